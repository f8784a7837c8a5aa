import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@hub/errors';
import type { Consolidator } from './consolidator.js';
import type { EntityKind } from './entity-kind.js';
import type { Cause } from './master-writer.js';
import type { ConsolidationStore, Exclusion } from './store.js';
import type { Pin } from './survivorship.js';
import { identifierKey, sourceKey, type EntityType, type Identifier, type ReviewKind } from './types.js';

export interface ReviewTask {
  readonly id: number;
  readonly entityType: EntityType;
  readonly kind: ReviewKind;
  readonly status: 'OPEN' | 'RESOLVED';
  readonly masterId: string;
  readonly otherMasterId: string | null;
  readonly attribute: string | null;
  readonly details: Record<string, unknown>;
}

/** What steward operations need beyond the consolidation store. */
export interface StewardStore extends ConsolidationStore {
  lockReviewTask(id: number): Promise<ReviewTask | undefined>;
  closeReviewTask(id: number, resolution: string, steward: string, reason: string, at: number): Promise<void>;
  /** Follows merged_into: the active master an id now resolves to. */
  currentMasterId(type: EntityType, masterId: string): Promise<string>;
  pin(type: EntityType, masterId: string, pin: Pin, at: number): Promise<void>;
  /** Record that two masters are different entities (never matched or queued again). */
  addExclusion(type: EntityType, a: string, b: string, exclusion: Exclusion): Promise<void>;
}

export type Resolution =
  | { readonly decision: 'MERGE' }
  | { readonly decision: 'KEEP_APART' }
  | {
      readonly decision: 'PICK_VALUE';
      readonly source: { readonly system: string; readonly recordId: string };
    }
  | {
      /** Split the given source records out of the (one) task master that holds them all. */
      readonly decision: 'SPLIT';
      readonly sourceRecords: readonly { readonly system: string; readonly recordId: string }[];
    };

export interface StewardAction {
  readonly steward: string;
  readonly reason: string;
}

function stewardCause(a: StewardAction, now: number): Cause {
  if (a.steward.trim() === '')
    throw new ValidationError('a steward identity is required', {
      details: [{ field: '/steward', problem: 'is empty' }],
    });
  if (a.reason.trim() === '')
    throw new ValidationError('a reason is required', {
      details: [{ field: '/reason', problem: 'is empty' }],
    });
  return { eventId: null, actor: `steward:${a.steward}`, reason: a.reason, at: now };
}

/** Steward decisions, each recorded in history with the steward's identity and reason. */
export class StewardService {
  constructor(
    private readonly consolidator: Consolidator,
    private readonly kinds: Readonly<Record<EntityType, EntityKind>>,
    private readonly now: () => number = Date.now,
  ) {}

  async resolveTask(
    store: StewardStore,
    taskId: number,
    resolution: Resolution,
    action: StewardAction,
  ): Promise<void> {
    const cause = stewardCause(action, this.now());
    const task = await store.lockReviewTask(taskId);
    if (!task) throw new NotFoundError(`review task ${taskId} does not exist`);
    if (task.status !== 'OPEN') throw new ConflictError(`review task ${taskId} is already resolved`);
    const type = task.entityType;
    const writer = this.consolidator.writer(store);
    const masterId = await store.currentMasterId(type, task.masterId);
    switch (resolution.decision) {
      case 'MERGE': {
        if (task.otherMasterId === null)
          throw new ValidationError(`review task ${taskId} (${task.kind}) has no second record to merge`);
        const other = await store.currentMasterId(type, task.otherMasterId);
        if (other !== masterId) {
          const primaries = (await store.identifiersOf(type, [masterId, other])).filter((i) => i.primary);
          if (new Set(primaries.map((p) => p.value)).size > 1) {
            throw new ConflictError(
              'the two records hold different primary numbers; correct the source records, or split, instead of merging',
            );
          }
          await writer.merge(type, [masterId, other], cause);
        }
        break;
      }
      case 'KEEP_APART': {
        // Different entities: probabilistic matching never joins them nor asks about them again.
        if (task.otherMasterId !== null) {
          const other = await store.currentMasterId(type, task.otherMasterId);
          if (other !== masterId)
            await store.addExclusion(type, masterId, other, {
              origin: 'KEEP_APART',
              reviewTaskId: taskId,
              actor: cause.actor,
              reason: cause.reason,
              at: cause.at,
            });
        }
        break;
      }
      case 'SPLIT': {
        const masters = [masterId];
        if (task.otherMasterId !== null) {
          const other = await store.currentMasterId(type, task.otherMasterId);
          if (other !== masterId) masters.push(other);
        }
        const wanted = new Set(resolution.sourceRecords.map(sourceKey));
        let holder: string | undefined;
        for (const m of masters) {
          const keys = new Set((await store.sourceRecordsOf(type, m)).map(sourceKey));
          if ([...wanted].every((k) => keys.has(k))) {
            holder = m;
            break;
          }
        }
        if (holder === undefined)
          throw new ValidationError(
            `the source records to split out are not all part of one master of review task ${taskId}`,
          );
        await this.split(store, type, holder, resolution.sourceRecords, action);
        break;
      }
      case 'PICK_VALUE': {
        if (task.attribute === null)
          throw new ValidationError(`review task ${taskId} (${task.kind}) is not about an attribute`);
        const attribute = task.attribute;
        const records = await store.sourceRecordsOf(type, masterId);
        const record = records.find((r) => sourceKey(r) === sourceKey(resolution.source));
        if (!record)
          throw new ValidationError(
            `source record ${resolution.source.system}/${resolution.source.recordId} is not part of master ${masterId}`,
          );
        const spec = this.kinds[type].attributes.find((a) => a.name === attribute);
        if (!spec) throw new ValidationError(`unknown attribute ${attribute}`);
        const value = spec.extract(record.observation);
        await store.pin(
          type,
          masterId,
          { attribute, value, source: resolution.source, eventId: record.eventId },
          cause.at,
        );
        await writer.recompute(type, masterId, cause, 'STEWARD_PICKED_VALUE');
        break;
      }
    }
    await store.closeReviewTask(taskId, resolution.decision, action.steward, action.reason, cause.at);
  }

  /**
   * Split (unmerge): the given source records leave the master and form a new one; both are
   * recomputed from their own records and the pair is excluded from matching. The records that left
   * are then re-resolved against every other master (a match merges them into it, the review band
   * queues tasks). Returns the master they end up in. Refused when both sides would hold the same
   * strong identifier (they would only be merged back).
   */
  async split(
    store: StewardStore,
    type: EntityType,
    masterId: string,
    refs: readonly { system: string; recordId: string }[],
    action: StewardAction,
  ): Promise<string> {
    const cause = stewardCause(action, this.now());
    if (type === 'dossier')
      throw new ValidationError('a dossier is identified by its code and cannot be split');
    const kind = this.kinds[type];
    const [row] = await store.lockMasters(type, [masterId]);
    if (!row || row.status !== 'ACTIVE') throw new NotFoundError(`no active ${type} ${masterId}`);
    const records = await store.sourceRecordsOf(type, masterId);
    const wanted = new Set(refs.map(sourceKey));
    const leaving = records.filter((r) => wanted.has(sourceKey(r)));
    const staying = records.filter((r) => !wanted.has(sourceKey(r)));
    if (leaving.length !== wanted.size)
      throw new ValidationError('some source records are not part of this master');
    if (leaving.length === 0 || staying.length === 0)
      throw new ValidationError('a split needs records on both sides');
    const idsOf = (rs: typeof records): { ids: Identifier[]; primaries: Identifier[] } => {
      const ids = new Map<string, Identifier>();
      const primaries = new Map<string, Identifier>();
      for (const r of rs.filter((x) => !x.deleted)) {
        for (const i of kind.identifiers(r.observation)) ids.set(identifierKey(i), i);
        const p = kind.primary(r.observation);
        if (p) primaries.set(identifierKey(p), p);
      }
      return { ids: [...ids.values()], primaries: [...primaries.values()] };
    };
    const a = idsOf(staying);
    const b = idsOf(leaving);
    const shared = a.ids.filter((i) => b.ids.some((j) => identifierKey(i) === identifierKey(j)));
    if (shared.length)
      throw new ConflictError(
        `both sides hold the same identifier (${shared.map((s) => s.scheme).join(', ')}); they would be merged again`,
      );
    const created = await store.createMaster(type, randomUUID());
    await store.moveSourceRecords(type, leaving, created.masterId);
    await store.replaceIdentifiers(type, masterId, a.ids, a.primaries);
    await store.replaceIdentifiers(type, created.masterId, b.ids, b.primaries);
    const writer = this.consolidator.writer(store);
    await writer.recompute(type, masterId, cause, 'SPLIT_OFF', created.masterId);
    await writer.recompute(type, created.masterId, cause, 'SPLIT_FROM', masterId);
    // The steward said these records are not that entity: never match them with it again…
    await store.addExclusion(type, masterId, created.masterId, {
      origin: 'SPLIT',
      reviewTaskId: null,
      actor: cause.actor,
      reason: cause.reason,
      at: cause.at,
    });
    // …and re-resolve them against every other master: they may belong to another one (a merge,
    // the older id surviving, which re-points the exclusion) or deserve a review task.
    return this.consolidator.rematch(
      store,
      type,
      created.masterId,
      await store.excludedWith(type, created.masterId),
      cause,
    );
  }
}
