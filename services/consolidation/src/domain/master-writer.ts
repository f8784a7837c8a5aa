import type { SourceRef } from '@hub/schemas';
import type { EntityKind } from './entity-kind.js';
import type { ConsolidationStore, OutboxEntry } from './store.js';
import { jsonEqual, stableJson, survive, type AuthorityConfig } from './survivorship.js';
import type { EntityType, MasterRow, Observation } from './types.js';

/** Who caused a change, for history rows. */
export interface Cause {
  readonly eventId: string | null;
  readonly actor: string;
  readonly reason: string | null;
  /** Deterministic time of the change: the observation's time, or the steward's clock. */
  readonly at: number;
}

export const SYSTEM_ACTOR = 'consolidation';

/** History change → the change kind on master.* (ChangeKind in schemas/common). */
export function feedChange(change: string): OutboxEntry['change'] {
  switch (change) {
    case 'CREATED':
    case 'DELETED':
      return change;
    case 'ABSORBED':
      return 'MERGED';
    case 'SPLIT_OFF':
    case 'SPLIT_FROM':
      return 'SPLIT';
    default:
      return 'UPDATED';
  }
}

/**
 * Recomputes golden records from their source records and writes the consequences: a new version,
 * a history row with the full snapshot, lineage, an outbox row, conflict review tasks. Merges move
 * everything of the absorbed masters to the survivor and leave a tombstone for each absorbed id.
 */
export class MasterWriter {
  constructor(
    private readonly store: ConsolidationStore,
    private readonly kinds: Readonly<Record<EntityType, EntityKind>>,
    private readonly authorities: AuthorityConfig,
  ) {}

  async recompute(
    type: EntityType,
    masterId: string,
    cause: Cause,
    change?: string,
    related: string | null = null,
  ): Promise<void> {
    const kind = this.kinds[type];
    const [row] = await this.store.lockMasters(type, [masterId]);
    if (!row || row.status === 'MERGED') return;
    const records = await this.store.sourceRecordsOf(type, masterId);
    const live = records.filter((r) => !r.deleted);
    if (live.length === 0) {
      if (row.status === 'DELETED') return;
      await this.writeVersion(row, 'DELETED', null, null, cause, change ?? 'DELETED', related);
      // No live source is left to disagree.
      this.store.settleConflicts(type, masterId, [], cause);
      return;
    }
    const pins = await this.store.pins(type, masterId);
    const result = survive<Observation>(records, kind.attributes, this.authorities, pins);
    const identifiers = await this.store.identifiersOf(type, [masterId]);
    const specs = kind.links(result.values);
    // Under the targets' locks: a concurrent arrival of a target is either seen here or sees this link.
    await this.store.lockIdentifiers(specs.map((l) => ({ type: l.targetType, ...l.target })));
    const links = await this.store.replaceLinks(type, masterId, specs);
    const timeline = type === 'dossier' ? await this.store.timeline(masterId) : [];
    const sources: SourceRef[] = live
      .map((r) => ({ system: r.system, recordId: r.recordId }))
      .sort((a, b) => (a.system + '\u0000' + a.recordId < b.system + '\u0000' + b.recordId ? -1 : 1));
    const golden = kind.golden(result.values, {
      sources,
      mergedFrom: row.mergedFrom,
      identifiers,
      links,
      timeline,
    });
    const lineageHash = stableJson(result.lineage);
    const unchanged = row.status === 'ACTIVE' && row.golden !== null && jsonEqual(row.golden, golden);
    if (unchanged && change === undefined) {
      if (lineageHash !== row.lineageHash) {
        this.store.replaceLineage(type, masterId, result.lineage, cause.at, row.lineageHash);
        await this.store.saveMaster(type, { ...row, lineageHash });
      }
    } else {
      const kindOfChange = change ?? (row.golden === null ? 'CREATED' : 'UPDATED');
      await this.writeVersion(row, 'ACTIVE', golden, lineageHash, cause, kindOfChange, related);
      this.store.replaceLineage(type, masterId, result.lineage, cause.at, row.lineageHash);
    }
    for (const conflict of result.conflicts) {
      await this.store.openReviewTask(
        {
          entityType: type,
          kind: 'ATTRIBUTE_CONFLICT',
          masterId,
          otherMasterId: null,
          attribute: conflict.attribute,
          dedupeKey: `conflict:${type}:${masterId}:${conflict.attribute}`,
          details: { candidates: conflict.candidates },
        },
        cause.at,
      );
    }
    this.store.settleConflicts(
      type,
      masterId,
      result.conflicts.map((c) => c.attribute),
      cause,
    );
  }

  private async writeVersion(
    row: MasterRow,
    status: 'ACTIVE' | 'DELETED',
    golden: Record<string, unknown> | null,
    lineageHash: string | null,
    cause: Cause,
    change: string,
    related: string | null,
  ): Promise<void> {
    const version = row.version + 1;
    await this.store.saveMaster(row.entityType, {
      masterId: row.masterId,
      status,
      version,
      golden,
      mergedInto: null,
      mergedFrom: row.mergedFrom,
      lineageHash,
    });
    const before = row.golden ?? {};
    const changed =
      golden === null ? [] : Object.keys(golden).filter((k) => !jsonEqual(before[k], golden[k]));
    this.store.addHistory({
      entityType: row.entityType,
      masterId: row.masterId,
      version,
      change,
      snapshot: golden,
      changedAttributes: changed,
      eventId: cause.eventId,
      actor: cause.actor,
      reason: cause.reason,
      at: cause.at,
      relatedMasterId: related,
    });
    this.store.addOutbox({
      entityType: row.entityType,
      masterId: row.masterId,
      version,
      change: feedChange(change),
      payload: golden,
      occurredAt: cause.at,
    });
  }

  /**
   * Merge masters into the one created first (a stable survivor id); absorbed ids resolve to it
   * through `merged_into`. Returns the survivor id.
   */
  async merge(type: EntityType, masterIds: readonly string[], cause: Cause): Promise<string> {
    const rows = (await this.store.lockMasters(type, masterIds)).filter((r) => r.status !== 'MERGED');
    rows.sort((a, b) => a.seq - b.seq);
    const [survivor, ...absorbed] = rows;
    if (!survivor) throw new Error('merge of no active master');
    if (absorbed.length === 0) return survivor.masterId;
    const absorbedIds = absorbed.map((r) => r.masterId);
    // Their identifiers move to the survivor: under the identifiers' locks, a golden record linking
    // to one of them meanwhile (a dossier's applicant, written by a concurrent transaction) is
    // either seen here and re-pointed, or sees the survivor.
    const moving = await this.store.identifiersOf(type, absorbedIds);
    await this.store.lockIdentifiers(moving.map((i) => ({ type, scheme: i.scheme, value: i.value })));
    const linking = await this.store.linkingTo(type, absorbedIds);
    await this.store.absorb(type, survivor.masterId, absorbedIds);
    for (const r of absorbed) {
      const version = r.version + 1;
      await this.store.saveMaster(type, {
        masterId: r.masterId,
        status: 'MERGED',
        version,
        golden: r.golden,
        mergedInto: survivor.masterId,
        mergedFrom: r.mergedFrom,
        lineageHash: null,
      });
      this.store.replaceLineage(type, r.masterId, [], cause.at, r.lineageHash);
      this.store.addHistory({
        entityType: type,
        masterId: r.masterId,
        version,
        change: 'MERGED_INTO',
        snapshot: null,
        changedAttributes: [],
        eventId: cause.eventId,
        actor: cause.actor,
        reason: cause.reason,
        at: cause.at,
        relatedMasterId: survivor.masterId,
      });
      this.store.addOutbox({
        entityType: type,
        masterId: r.masterId,
        version,
        change: 'MERGED',
        payload: null,
        occurredAt: cause.at,
      });
    }
    const mergedFrom = [
      ...new Set([...survivor.mergedFrom, ...absorbed.flatMap((r) => [r.masterId, ...r.mergedFrom])]),
    ].sort();
    await this.store.saveMaster(type, { ...survivor, mergedFrom, lineageHash: null });
    // A possible match between masters that are now one is no longer a question for a steward.
    await this.store.closeSettledMatches(type, survivor.masterId, absorbedIds, cause);
    await this.recompute(type, survivor.masterId, cause, 'ABSORBED', absorbedIds.join(','));
    // Golden records linking to an absorbed id now link to the survivor.
    for (const l of linking) await this.recompute(l.type, l.masterId, cause);
    return survivor.masterId;
  }
}
