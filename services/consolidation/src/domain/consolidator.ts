import { randomUUID } from 'node:crypto';
import { AppError } from '@hub/errors';
import type { EntityKind } from './entity-kind.js';
import { decide, type FieldScore, type Thresholds } from './fellegi-sunter.js';
import { MasterWriter, SYSTEM_ACTOR, type Cause } from './master-writer.js';
import type { ConsolidationStore, IdentifierRow } from './store.js';
import type { AuthorityConfig } from './survivorship.js';
import {
  identifierKey,
  identifierLock,
  type EntityType,
  type Identifier,
  type Observation,
  type SourceRecord,
} from './types.js';

export interface MatchingConfig {
  readonly thresholds: Readonly<Record<'citizen' | 'business', Thresholds>>;
  /** Most candidate source records compared per observation. */
  readonly maxCandidates: number;
}

export interface ConsolidatorOptions {
  readonly kinds: Readonly<Record<EntityType, EntityKind>>;
  readonly authorities: AuthorityConfig;
  readonly matching: MatchingConfig;
  readonly newId?: () => string;
}

interface Scored {
  readonly score: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly fieldScores?: readonly FieldScore[];
}

export type ApplyResult = 'created' | 'matched' | 'merged' | 'review' | 'stale' | 'deleted' | 'unchanged';

/**
 * Lock keys for an observation (taken before anything is read): its source record, identifiers and
 * blocking keys, and the identifiers its values link to (the representative's personal number, the
 * parent enterprise's code, the applicant's number), which `MasterWriter.recompute` would otherwise
 * have to lock later, while holding master rows.
 */
export function lockKeys(kind: EntityKind, o: Observation): string[] {
  const values = Object.fromEntries(kind.attributes.map((a) => [a.name, a.extract(o)]));
  return [
    `src:${kind.type}:${o.source.system}:${o.source.recordId}`,
    ...kind.identifiers(o).map((i) => identifierLock(kind.type, i)),
    ...kind.blockingKeys(o).map((k) => `bk:${kind.type}:${k}`),
    ...kind.links(values).map((l) => identifierLock(l.targetType, l.target)),
  ];
}

/**
 * A master this transaction found by an identifier or as a candidate was merged away by a concurrent
 * transaction (another instance of the consumer group) before this one locked it: what was decided
 * from the earlier reads no longer holds. Retriable: the batch rolls back and is retried, and then
 * reads the merge's result. A single instance never meets it (its batches run one at a time).
 */
export class MergedMeanwhileError extends AppError {
  override readonly retriable = true;
  constructor(type: EntityType, masterId: string) {
    super(
      'MERGED_MEANWHILE',
      `${type} master ${masterId} was merged by a concurrent transaction while this batch resolved against it; the batch is retried`,
    );
  }
}

const observedAtOf = (o: Observation): number => o.source.updatedAt ?? o.occurredAt;

/** The master, locked now, is still live: not merged away since its records were read. */
async function stillLive(store: ConsolidationStore, type: EntityType, masterId: string): Promise<boolean> {
  const [row] = await store.lockMasters(type, [masterId]);
  return row !== undefined && row.status === 'ACTIVE';
}

/** Rankings redone after a candidate turned out merged away meanwhile (each time one master fewer). */
const MAX_RERANKS = 10;

/** A newer statement replaces an older one; equal times fall back to the event id (deterministic). */
function isNewer(o: Observation, existing: SourceRecord): boolean {
  const at = observedAtOf(o);
  return at > existing.observedAt || (at === existing.observedAt && o.eventId >= existing.eventId);
}

/**
 * Entity resolution, incremental: each observation is matched against what exists.
 *
 * 1. A source record already linked stays with its master (sticky) unless its strong identifiers say
 *    otherwise.
 * 2. Strong identifiers (personal number or CMND alias, enterprise code, dossier code) decide
 *    deterministically; when they join several masters, those are merged — except masters holding a
 *    different primary number, which become an identifier-conflict review task instead.
 * 3. Without a strong hit: blocking, Fellegi–Sunter scoring against the candidates' source records;
 *    ≥ upper joins the best candidate, between thresholds creates a new master plus a review task.
 */
export class Consolidator {
  private readonly newId: () => string;

  constructor(private readonly opts: ConsolidatorOptions) {
    this.newId = opts.newId ?? randomUUID;
  }

  /** Most candidate source records compared per observation. */
  get maxCandidates(): number {
    return this.opts.matching.maxCandidates;
  }

  writer(store: ConsolidationStore): MasterWriter {
    return new MasterWriter(store, this.opts.kinds, this.opts.authorities);
  }

  async apply(store: ConsolidationStore, type: EntityType, o: Observation): Promise<ApplyResult> {
    const kind = this.opts.kinds[type];
    const writer = this.writer(store);
    const cause: Cause = { eventId: o.eventId, actor: SYSTEM_ACTOR, reason: null, at: o.occurredAt };
    const existing = await store.findSourceRecord(type, o.source.system, o.source.recordId);
    const record = (masterId: string, deleted: boolean): SourceRecord => ({
      system: o.source.system,
      recordId: o.source.recordId,
      masterId,
      eventId: o.eventId,
      observedAt: observedAtOf(o),
      deleted,
      observation: o,
    });
    if (type === 'dossier' && 'dossierCode' in o) {
      // Every status statement joins the timeline, even one older than the record's latest.
      const at = o.statusChangedAt ?? o.occurredAt;
      const masterId = existing?.masterId ?? (await this.resolveDossier(store, kind, o, writer, cause));
      await store.addTimeline(masterId, { status: o.status, at }, o.source, o.eventId);
      if (existing && !isNewer(o, existing)) {
        await writer.recompute(type, masterId, cause);
        return 'stale';
      }
      await store.upsertSourceRecord(type, record(masterId, o.operation === 'DELETE'), []);
      await writer.recompute(type, masterId, cause);
      return existing ? 'matched' : 'created';
    }
    if (existing && !isNewer(o, existing)) return 'stale';
    if (o.operation === 'DELETE') {
      if (!existing) return 'unchanged';
      await store.upsertSourceRecord(
        type,
        { ...existing, ...record(existing.masterId, true), observation: existing.observation },
        [],
      );
      await writer.recompute(type, existing.masterId, cause);
      return 'deleted';
    }

    const ids = kind.identifiers(o);
    const primary = kind.primary(o);
    const hits = ids.length ? await store.findIdentifiers(type, ids) : [];
    const group = [...new Set([...hits.map((h) => h.masterId), ...(existing ? [existing.masterId] : [])])];
    let masterId: string;
    let result: ApplyResult;
    let rejected: Identifier[] = [];
    if (group.length > 0) {
      const resolved = await this.resolveStrong(
        store,
        kind,
        group,
        hits,
        primary,
        existing?.masterId,
        cause,
        writer,
      );
      masterId = resolved.masterId;
      rejected = resolved.rejected;
      result = resolved.merged ? 'merged' : 'matched';
      if (!existing && rejected.length === 0) {
        // A new record placed by its identifiers may also match another master above the upper
        // threshold: had it arrived first, it would have joined that master and its identifiers
        // would have pulled the other in. Same result whatever the arrival order.
        const bridged = await this.bridge(store, kind, o, masterId, cause);
        if (bridged !== masterId) {
          masterId = bridged;
          result = 'merged';
        }
      }
    } else {
      const matched = await this.resolveProbabilistic(store, kind, o, primary, cause);
      masterId = matched.masterId;
      result = matched.result;
    }
    // The record goes to a master locked by this transaction; one merged away by a concurrent
    // transaction after it was read (an identifier, the record's own link) means a stale decision.
    const [target] = await store.lockMasters(type, [masterId]);
    if (target?.status === 'MERGED') throw new MergedMeanwhileError(type, masterId);
    const keep = ids.filter((i) => !rejected.some((r) => identifierKey(r) === identifierKey(i)));
    await store.upsertSourceRecord(type, record(masterId, false), kind.blockingKeys(o));
    await store.addIdentifiers(
      type,
      masterId,
      keep,
      primary && keep.some((k) => identifierKey(k) === identifierKey(primary)) ? primary : null,
    );
    const linking = type !== 'dossier' ? await store.resolveLinks(type, keep, masterId) : [];
    await writer.recompute(type, masterId, cause);
    // Records that point at this one by identifier now know its master id.
    for (const l of linking) await writer.recompute(l.type, l.masterId, cause);
    if (existing && existing.masterId !== masterId) {
      // The record moved (its identifier proved it belongs elsewhere): the old master loses it.
      await writer.recompute(type, existing.masterId, cause, undefined, masterId);
    }
    return result;
  }

  private async resolveDossier(
    store: ConsolidationStore,
    kind: EntityKind,
    o: Observation,
    writer: MasterWriter,
    cause: Cause,
  ): Promise<string> {
    const ids = kind.identifiers(o);
    const hits = await store.findIdentifiers(kind.type, ids);
    const owners = [...new Set(hits.map((h) => h.masterId))];
    const masterId =
      owners.length > 1
        ? await writer.merge(kind.type, owners, cause)
        : (owners[0] ?? (await store.createMaster(kind.type, this.newId())).masterId);
    await store.addIdentifiers(kind.type, masterId, ids, kind.primary(o));
    return masterId;
  }

  private async resolveStrong(
    store: ConsolidationStore,
    kind: EntityKind,
    group: string[],
    hits: IdentifierRow[],
    primary: Identifier | null,
    sticky: string | undefined,
    cause: Cause,
    writer: MasterWriter,
  ): Promise<{ masterId: string; merged: boolean; rejected: Identifier[] }> {
    const type = kind.type;
    const held = await store.identifiersOf(type, group);
    const primariesOf = (m: string): string[] =>
      held.filter((h) => h.masterId === m && h.primary).map((h) => h.value);
    // The anchor: the master holding the observation's own number, else the oldest hit, else the
    // sticky one — the first of those that holds no other primary number. None: a new master.
    const rows = await store.lockMasters(type, group);
    const gone = rows.find((r) => r.status === 'MERGED');
    if (gone) throw new MergedMeanwhileError(type, gone.masterId);
    rows.sort((a, b) => a.seq - b.seq);
    const byPrimary = primary
      ? hits.find((h) => h.scheme === primary.scheme && h.value === primary.value)?.masterId
      : undefined;
    const order = [
      ...(byPrimary ? [byPrimary] : []),
      ...rows.map((r) => r.masterId).filter((m) => hits.some((h) => h.masterId === m)),
      ...(sticky ? [sticky] : []),
    ];
    const fits = (m: string): boolean => !primary || primariesOf(m).every((p) => p === primary.value);
    const anchor = order.find(fits) ?? (await store.createMaster(type, this.newId())).masterId;
    let allowed = new Set<string>([
      ...(group.includes(anchor) ? primariesOf(anchor) : []),
      ...(primary ? [primary.value] : []),
    ]);
    const joinable: string[] = [anchor];
    const rejected: Identifier[] = [];
    for (const m of group) {
      if (m === anchor) continue;
      const combined = new Set([...allowed, ...primariesOf(m)]);
      if (combined.size <= 1) {
        joinable.push(m);
        allowed = combined;
        continue;
      }
      if (!hits.some((h) => h.masterId === m)) continue; // only the sticky link: the record moves away
      for (const h of hits.filter((x) => x.masterId === m))
        rejected.push({ scheme: h.scheme, value: h.value });
      await store.openReviewTask(
        {
          entityType: type,
          kind: 'IDENTIFIER_CONFLICT',
          masterId: anchor,
          otherMasterId: m,
          attribute: kind.primaryScheme,
          dedupeKey: `idconflict:${type}:${[anchor, m].sort().join(':')}`,
          details: {
            schemes: hits.filter((x) => x.masterId === m).map((x) => x.scheme),
            reason: 'an alias links records holding different primary numbers',
          },
        },
        cause.at,
      );
    }
    if (joinable.length === 1) return { masterId: anchor, merged: false, rejected };
    const survivor = await writer.merge(type, joinable, cause);
    return { masterId: survivor, merged: true, rejected };
  }

  private async resolveProbabilistic(
    store: ConsolidationStore,
    kind: EntityKind,
    o: Observation,
    primary: Identifier | null,
    cause: Cause,
  ): Promise<{ masterId: string; result: ApplyResult }> {
    const type = kind.type;
    const keys = kind.blockingKeys(o);
    const thresholds = this.thresholdsOf(type);
    if (!kind.score || !thresholds || keys.length === 0) {
      return { masterId: (await store.createMaster(type, this.newId())).masterId, result: 'created' };
    }
    let ranked = await this.rank(store, kind, [o], keys, primary ? [primary.value] : [], () => false);
    for (let i = 0; ; i++) {
      const top = ranked[0];
      if (!top || decide(top[1].score, thresholds) !== 'match') break;
      if (await stillLive(store, type, top[0])) return { masterId: top[0], result: 'matched' };
      // Merged away by a concurrent transaction after its records were read as candidates: rank
      // again with what locking it read (its records, now under the survivor).
      if (i >= MAX_RERANKS) throw new MergedMeanwhileError(type, top[0]);
      ranked = await this.rank(store, kind, [o], keys, primary ? [primary.value] : [], () => false);
    }
    const created = await store.createMaster(type, this.newId());
    const queued = await this.queueReviews(store, type, created.masterId, ranked, thresholds, o, cause);
    return { masterId: created.masterId, result: queued ? 'review' : 'created' };
  }

  /**
   * The best other master the observation matches at or above the upper threshold (never one holding
   * another primary number, never one a steward kept apart from `masterId`) merges with `masterId`.
   */
  private async bridge(
    store: ConsolidationStore,
    kind: EntityKind,
    o: Observation,
    masterId: string,
    cause: Cause,
  ): Promise<string> {
    const thresholds = this.thresholdsOf(kind.type);
    const keys = kind.blockingKeys(o);
    if (!kind.score || !thresholds || keys.length === 0) return masterId;
    const own = kind.primary(o);
    const primaries = [
      ...(await store.identifiersOf(kind.type, [masterId])).filter((i) => i.primary).map((i) => i.value),
      ...(own ? [own.value] : []),
    ];
    let top: [string, Scored] | undefined;
    for (let i = 0; ; i++) {
      top = (await this.rank(store, kind, [o], keys, primaries, (m) => m === masterId))[0];
      if (!top || decide(top[1].score, thresholds) !== 'match') return masterId;
      if (await stillLive(store, kind.type, top[0])) break;
      // Merged away meanwhile by a concurrent transaction (see resolveProbabilistic).
      if (i >= MAX_RERANKS) throw new MergedMeanwhileError(kind.type, top[0]);
    }
    if ((await store.excludedWith(kind.type, masterId)).has(top[0])) return masterId;
    return this.writer(store).merge(kind.type, [masterId, top[0]], cause);
  }

  private thresholdsOf(type: EntityType): Thresholds | undefined {
    return type === 'citizen' || type === 'business' ? this.opts.matching.thresholds[type] : undefined;
  }

  /**
   * Candidates sharing a blocking key, best Fellegi–Sunter score per master (over every pair of the
   * given observations and the candidate's source records), best first. Skips masters holding a
   * primary number other than the given ones, and those `excluded` says to skip.
   */
  private async rank(
    store: ConsolidationStore,
    kind: EntityKind,
    observations: readonly Observation[],
    keys: readonly string[],
    primaries: readonly string[],
    excluded: (masterId: string) => boolean,
  ): Promise<[string, Scored][]> {
    if (!kind.score) return [];
    const score = kind.score.bind(kind);
    // The store leaves out masters holding another primary number (and does not count them against
    // the limit); the check below stays, as the rule's statement.
    const candidates = (
      await store.candidates(kind.type, keys, this.opts.matching.maxCandidates, [...new Set(primaries)])
    ).filter((c) => !excluded(c.masterId));
    const held = candidates.length
      ? await store.identifiersOf(kind.type, [...new Set(candidates.map((c) => c.masterId))])
      : [];
    // A candidate holding a different primary number is a different entity, whatever the score.
    const otherPerson = new Set(
      primaries.length > 0
        ? held.filter((h) => h.primary && !primaries.includes(h.value)).map((h) => h.masterId)
        : [],
    );
    const best = new Map<string, Scored>();
    for (const c of candidates) {
      if (otherPerson.has(c.masterId)) continue;
      for (const o of observations) {
        const s = score(o, c.observation);
        const prev = best.get(c.masterId);
        if (!prev || s.score > prev.score) best.set(c.masterId, s);
      }
    }
    return [...best.entries()].sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
  }

  /** POSSIBLE_MATCH tasks for the (up to three) best candidates in the review band. */
  private async queueReviews(
    store: ConsolidationStore,
    type: EntityType,
    masterId: string,
    ranked: readonly [string, Scored][],
    thresholds: Thresholds,
    o: Observation,
    cause: Cause,
  ): Promise<boolean> {
    let queued = false;
    for (const [other, s] of ranked.slice(0, 3)) {
      if (decide(s.score, thresholds) !== 'review') continue;
      queued = true;
      await store.openReviewTask(
        {
          entityType: type,
          kind: 'POSSIBLE_MATCH',
          masterId,
          otherMasterId: other,
          attribute: null,
          dedupeKey: `match:${type}:${[masterId, other].sort().join(':')}`,
          details: {
            score: s.score,
            fields: s.fields,
            ...(s.fieldScores ? { fieldScores: s.fieldScores } : {}),
            source: o.source.system,
            sourceRecordId: o.source.recordId,
          },
        },
        cause.at,
      );
    }
    return queued;
  }

  /**
   * Re-resolution of a master's records (after a split): matched against every other master except
   * `excluded` ones (the steward's keep-apart and split pairs). At or above the upper threshold the
   * master merges into the best candidate (the older id survives); in the review band it gets
   * POSSIBLE_MATCH tasks; below, it stays on its own. Returns the master the records now belong to.
   */
  async rematch(
    store: ConsolidationStore,
    type: EntityType,
    masterId: string,
    excluded: ReadonlySet<string>,
    cause: Cause,
  ): Promise<string> {
    const kind = this.opts.kinds[type];
    const thresholds = this.thresholdsOf(type);
    const records = (await store.sourceRecordsOf(type, masterId)).filter((r) => !r.deleted);
    const observations = records.map((r) => r.observation);
    const keys = [...new Set(observations.flatMap((o) => kind.blockingKeys(o)))].sort();
    const first = observations[0];
    if (!kind.score || !thresholds || keys.length === 0 || !first) return masterId;
    const primaries = (await store.identifiersOf(type, [masterId]))
      .filter((i) => i.primary)
      .map((i) => i.value);
    const ranked = await this.rank(
      store,
      kind,
      observations,
      keys,
      primaries,
      (m) => m === masterId || excluded.has(m),
    );
    const top = ranked[0];
    // (rank skipped candidates holding another primary number, so a merge never joins two.)
    if (top && decide(top[1].score, thresholds) === 'match')
      return this.writer(store).merge(type, [masterId, top[0]], cause);
    await this.queueReviews(store, type, masterId, ranked, thresholds, first, cause);
    return masterId;
  }
}
