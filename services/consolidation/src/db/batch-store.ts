import type { Knex } from 'knex';
import type { StatusChange } from '@hub/schemas';
import type { EntityKind } from '../domain/entity-kind.js';
import type {
  ConsolidationStore,
  HistoryEntry,
  IdentifierRow,
  MasterUpdate,
  OutboxEntry,
} from '../domain/store.js';
import type { Pin } from '../domain/survivorship.js';
import type {
  EntityType,
  Identifier,
  LineageEntry,
  LinkSpec,
  MasterRow,
  NewReviewTask,
  Observation,
  SourceRecord,
} from '../domain/types.js';
import { identifierLock } from '../domain/types.js';
import { flushBatch } from './batch-flush.js';
import { BatchLoader } from './batch-loader.js';
import { prefetchBatch } from './batch-prefetch.js';
import {
  aliasKey,
  BatchState,
  blockKey,
  linkKey,
  masterKey,
  primaryFilter,
  recordKey,
  timelineKey,
  type MasterEntry,
} from './batch-state.js';
import { excludedWith } from './exclusions.js';
import { noteConflicts, type ConflictState } from './settled-matches.js';
import { bufferLineage } from './lineage-writer.js';
import { lockId } from './tables.js';

/** Provisional creation numbers (above any real one) until flush draws real ones, in the same order. */
const PROVISIONAL_SEQ = 2 ** 52;

const bySource = (a: SourceRecord, b: SourceRecord): number =>
  a.system !== b.system
    ? a.system < b.system
      ? -1
      : 1
    : a.recordId < b.recordId
      ? -1
      : a.recordId > b.recordId
        ? 1
        : 0;
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * ConsolidationStore for one consumed batch: `prepare` reads everything the batch's observations are
 * likely to touch with a few set-based statements, the consolidator then runs against memory (each
 * observation sees the effects of the ones before it), and `flush` writes the result with bulk
 * statements. Anything `prepare` did not foresee is read on demand, so results never depend on the
 * prediction — only the number of round trips does.
 */
export class BatchStore implements ConsolidationStore {
  private readonly state = new BatchState();
  private readonly load: BatchLoader;
  /** Observations of the batch that restate an existing record (each may drop it from a block). */
  private slack = 0;
  private flushed = false;
  /** Advisory lock keys this transaction holds. */
  private readonly held = new Set<string>();

  constructor(
    private readonly trx: Knex.Transaction,
    private readonly kinds: Readonly<Record<EntityType, EntityKind>>,
    private readonly maxCandidates: number,
  ) {
    this.load = new BatchLoader(trx, this.state);
  }

  async lock(keys: readonly string[]): Promise<void> {
    const fresh = [...new Set(keys)].filter((k) => !this.held.has(k));
    const ids = [...new Set(fresh.map((k) => lockId(k)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (ids.length === 0) return;
    // unnest yields the array in order, so locks are always taken in ascending key order.
    await this.trx.raw('select count(pg_advisory_xact_lock(k)) from unnest(?::bigint[]) as t(k)', [
      ids.map(String),
    ]);
    for (const k of fresh) this.held.add(k);
  }

  /**
   * Link targets are usually locked with the batch (`lockKeys`); one that is not (a target chosen
   * from another record of the master, a master recomputed after a merge) and the identifiers a
   * merge moves are locked now. What was read about them before the lock (their identifier row, the
   * links pointing at them) is read again after it.
   */
  async lockIdentifiers(ids: readonly (Identifier & { readonly type: EntityType })[]): Promise<void> {
    const late = ids.filter((i) => !this.held.has(identifierLock(i.type, i)));
    if (late.length === 0) return;
    await this.lock(late.map((i) => identifierLock(i.type, i)));
    const keys = late.map((i) => aliasKey(i.type, i.scheme, i.value));
    this.state.forgetAliases(keys);
    // Links to them may have been written meanwhile (pending, or to a master being merged here).
    for (const k of keys) this.state.linkTargetsLoaded.delete(k);
    for (const type of new Set(late.map((i) => i.type)))
      await this.load.linksTo(
        type,
        late.filter((i) => i.type === type),
      );
  }

  async processedEventIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const res: unknown = await this.trx.raw(
      'select event_id from processed_events where event_id = any(?::text[])',
      [[...ids]],
    );
    return new Set((res as { rows: { event_id: string }[] }).rows.map((r) => r.event_id));
  }

  markProcessed(eventId: string, topic: string, partition: number, offset: string): void {
    this.state.processed.push({ event_id: eventId, topic, partition, offset });
  }

  /** Prefetch for the whole batch (after its advisory locks): records, identifiers, candidates, masters. */
  async prepare(type: EntityType, observations: readonly Observation[]): Promise<void> {
    this.slack = await prefetchBatch(
      this.load,
      this.state,
      this.kinds,
      type,
      observations,
      this.maxCandidates,
    );
  }

  async findIdentifiers(type: EntityType, ids: readonly Identifier[]): Promise<IdentifierRow[]> {
    await this.load.aliases(ids.map((i) => ({ ...i, type })));
    return ids.flatMap((i) => {
      const a = this.state.aliases.get(aliasKey(type, i.scheme, i.value));
      return a ? [{ scheme: a.scheme, value: a.value, masterId: a.masterId, primary: a.primary }] : [];
    });
  }

  async identifiersOf(type: EntityType, masterIds: readonly string[]): Promise<IdentifierRow[]> {
    await this.load.aliasesOfMasters(type, masterIds);
    return [...new Set(masterIds)]
      .flatMap((m) => this.state.aliasesOf(type, m))
      .map((a) => ({ scheme: a.scheme, value: a.value, masterId: a.masterId, primary: a.primary }))
      .sort((a, b) => byText(a.scheme, b.scheme) || byText(a.value, b.value));
  }

  async addIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primary: Identifier | null,
  ): Promise<void> {
    await this.load.aliases(ids.map((i) => ({ ...i, type })));
    for (const i of ids) {
      const k = aliasKey(type, i.scheme, i.value);
      const old = this.state.aliases.get(k);
      const isPrimary = primary !== null && primary.scheme === i.scheme && primary.value === i.value;
      // As `insert … on conflict do update set is_primary = old or new`: an existing row keeps its master.
      this.state.setAlias(
        k,
        {
          type,
          scheme: i.scheme,
          value: i.value,
          masterId: old?.masterId ?? masterId,
          primary: (old?.primary ?? false) || isPrimary,
        },
        true,
      );
    }
  }

  async replaceIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primaries: readonly Identifier[],
  ): Promise<void> {
    await this.load.aliasesOfMasters(type, [masterId]);
    for (const a of this.state.aliasesOf(type, masterId))
      this.state.setAlias(aliasKey(type, a.scheme, a.value), null, true);
    for (const i of ids)
      this.state.setAlias(
        aliasKey(type, i.scheme, i.value),
        {
          type,
          scheme: i.scheme,
          value: i.value,
          masterId,
          primary: primaries.some((p) => p.scheme === i.scheme && p.value === i.value),
        },
        true,
      );
  }

  async findSourceRecord(
    type: EntityType,
    system: string,
    recordId: string,
  ): Promise<SourceRecord | undefined> {
    await this.load.records(type, [{ system, recordId }]);
    return this.state.records.get(recordKey(type, system, recordId))?.record;
  }

  async candidates(
    type: EntityType,
    keys: readonly string[],
    limit: number,
    primaries: readonly string[] = [],
  ): Promise<SourceRecord[]> {
    const filter = primaryFilter(primaries);
    await this.load.candidates(
      type,
      keys.map((key) => ({ key, filter })),
      limit + this.slack,
    );
    const found = new Set<string>();
    for (const k of keys) for (const r of this.state.recordsByBlock.get(blockKey(type, k)) ?? []) found.add(r);
    const live = [...found].flatMap((k) => {
      const e = this.state.records.get(k);
      return e && !e.record.deleted ? [e.record] : [];
    });
    const masters = [...new Set(live.map((r) => r.masterId))];
    await this.load.statuses(type, masters);
    // Records other reads brought into the batch are filtered as the database filters them.
    if (filter !== '') await this.load.aliasesOfMasters(type, masters);
    const eligible = (m: string): boolean =>
      filter === '' || !this.state.aliasesOf(type, m).some((a) => a.primary && !primaries.includes(a.value));
    return live
      .filter((r) => this.state.statusOf(type, r.masterId) === 'ACTIVE' && eligible(r.masterId))
      .sort(bySource)
      .slice(0, limit);
  }

  async sourceRecordsOf(type: EntityType, masterId: string): Promise<SourceRecord[]> {
    await this.load.masters(type, [masterId]);
    return this.state
      .recordsOf(type, masterId)
      .map((e) => e.record)
      .sort(bySource);
  }

  upsertSourceRecord(type: EntityType, record: SourceRecord, blockingKeys: readonly string[]): Promise<void> {
    this.state.setRecord({ type, record, blockingKeys: [...blockingKeys], dirty: true });
    return Promise.resolve();
  }

  async moveSourceRecords(
    type: EntityType,
    refs: readonly { system: string; recordId: string }[],
    toMasterId: string,
  ): Promise<void> {
    await this.load.records(type, refs);
    for (const ref of refs) {
      const e = this.state.records.get(recordKey(type, ref.system, ref.recordId));
      if (e) this.state.setRecord({ ...e, record: { ...e.record, masterId: toMasterId }, dirty: true });
    }
  }

  createMaster(type: EntityType, masterId: string): Promise<MasterRow> {
    const s = this.state;
    const row: MasterRow = {
      masterId,
      entityType: type,
      status: 'ACTIVE',
      version: 0,
      mergedInto: null,
      mergedFrom: [],
      golden: null,
      seq: PROVISIONAL_SEQ + ++s.newMasters,
      lineageHash: null,
    };
    const mk = masterKey(type, masterId);
    s.masters.set(mk, { row, isNew: true, dirty: true, pins: [], timeline: new Map() });
    s.loaded.add(mk);
    s.aliasesLoadedFor.add(mk);
    return Promise.resolve(row);
  }

  async lockMasters(type: EntityType, masterIds: readonly string[]): Promise<MasterRow[]> {
    await this.load.masters(type, masterIds);
    return [...new Set(masterIds)].sort(byText).flatMap((m) => this.state.master(type, m)?.row ?? []);
  }

  async saveMaster(type: EntityType, u: MasterUpdate): Promise<void> {
    const e = await this.loadedMaster(type, u.masterId);
    if (!e) return; // as an UPDATE of no row
    e.row = {
      ...e.row,
      status: u.status,
      version: u.version,
      golden: u.golden,
      mergedInto: u.mergedInto,
      mergedFrom: u.mergedFrom,
      lineageHash: u.lineageHash,
    };
    e.dirty = true;
  }

  /**
   * Exclusions as the database will hold them after this batch: rows of masters this batch absorbed
   * into `masterId` are re-pointed only at flush, so they are read under their old ids and mapped.
   */
  async excludedWith(type: EntityType, masterId: string): Promise<Set<string>> {
    const survivorOf = new Map<string, string>();
    for (const d of this.state.deferred)
      if (d.kind === 'match_exclusions' && d.type === type)
        for (const a of d.absorbed) survivorOf.set(a, d.survivor);
    const resolve = (id: string): string => {
      let cur = id;
      for (let i = 0; i < 64 && survivorOf.has(cur); i++) cur = survivorOf.get(cur) ?? cur;
      return cur;
    };
    const ids = [masterId, ...[...survivorOf.keys()].filter((a) => resolve(a) === masterId)];
    const out = new Set<string>();
    for (const id of ids)
      for (const other of await excludedWith(this.trx, type, id)) {
        const r = resolve(other);
        if (r !== masterId) out.add(r);
      }
    return out;
  }

  async absorb(type: EntityType, survivor: string, absorbed: readonly string[]): Promise<void> {
    await this.load.masters(type, [survivor, ...absorbed]);
    this.state.absorb(type, survivor, absorbed);
  }

  closeSettledMatches(
    type: EntityType,
    survivor: string,
    absorbed: readonly string[],
    cause: { readonly actor: string; readonly at: number },
  ): Promise<void> {
    const s = this.state;
    const roots = s.mergedRoots.get(type) ?? new Map<string, string>();
    s.mergedRoots.set(type, roots);
    const gone = new Set(absorbed);
    for (const id of [survivor, ...absorbed]) if (!roots.has(id)) roots.set(id, id);
    for (const [id, root] of roots) if (gone.has(root)) roots.set(id, survivor);
    const rootOf = (id: string): string => roots.get(id) ?? id;
    // Tasks of this batch: settled now, in memory (their ids are re-pointed already at this point).
    for (const [key, e] of s.reviewTasks) {
      const { task } = e;
      if (task.entityType !== type || task.kind !== 'POSSIBLE_MATCH' || task.otherMasterId === null) continue;
      if (rootOf(task.masterId) !== survivor || rootOf(task.otherMasterId) !== survivor) continue;
      s.reviewTasks.delete(key);
      s.settledTasks.push({ ...e, actor: cause.actor, resolvedAt: cause.at });
    }
    // Stored tasks: at flush, in merge order, with the cluster as it is right after this merge.
    s.deferred.push({
      kind: 'settled_matches',
      type,
      members: [...roots].flatMap(([id, root]) => (root === survivor ? [id] : [])),
      ...cause,
    });
    return Promise.resolve();
  }

  async pins(type: EntityType, masterId: string): Promise<Pin[]> {
    return [...((await this.loadedMaster(type, masterId))?.pins ?? [])];
  }

  replaceLineage(
    type: EntityType,
    masterId: string,
    entries: readonly LineageEntry[],
    at: number,
    previous: string | null,
  ): void {
    bufferLineage(this.state.lineage, { type, masterId, entries, at, previous });
  }

  addHistory(entry: HistoryEntry): void {
    this.state.history.push(entry);
  }

  addOutbox(entry: OutboxEntry): void {
    this.state.outbox.push(entry);
  }

  settleConflicts(type: EntityType, masterId: string, inConflict: readonly string[], cause: Pick<ConflictState, 'actor' | 'at'>): void {
    noteConflicts(this.state.conflicts, type, masterId, inConflict, cause);
  }

  openReviewTask(task: NewReviewTask, at: number): Promise<void> {
    // As `on conflict (dedupe_key) where status = 'OPEN' do update set details`: the first one stays.
    const open = this.state.reviewTasks.get(task.dedupeKey);
    if (open) open.task = { ...open.task, details: task.details };
    else this.state.reviewTasks.set(task.dedupeKey, { task, at });
    return Promise.resolve();
  }

  async replaceLinks(
    type: EntityType,
    masterId: string,
    links: readonly LinkSpec[],
  ): Promise<Map<string, string | null>> {
    const s = this.state;
    s.clearLinksFrom(type, masterId);
    await this.load.aliases(links.map((l) => ({ type: l.targetType, ...l.target })));
    const out = new Map<string, string | null>();
    for (const l of links) {
      const targetId =
        s.aliases.get(aliasKey(l.targetType, l.target.scheme, l.target.value))?.masterId ?? null;
      out.set(l.relation, targetId);
      if (s.links.has(linkKey(type, masterId, l.relation))) continue; // on conflict do nothing
      s.setLink(
        {
          fromType: type,
          fromMasterId: masterId,
          relation: l.relation,
          targetType: l.targetType,
          targetScheme: l.target.scheme,
          targetValue: l.target.value,
          targetMasterId: targetId,
        },
        true,
      );
    }
    return out;
  }

  async resolveLinks(
    targetType: EntityType,
    ids: readonly Identifier[],
    masterId: string,
  ): Promise<{ type: EntityType; masterId: string }[]> {
    if (ids.length === 0) return [];
    await this.load.linksTo(targetType, ids);
    const wanted = new Set(ids.map((i) => aliasKey(targetType, i.scheme, i.value)));
    const out: { type: EntityType; masterId: string }[] = [];
    for (const l of [...this.state.links.values()]) {
      if (l.targetMasterId !== null || l.targetType !== targetType) continue;
      if (!wanted.has(aliasKey(targetType, l.targetScheme, l.targetValue))) continue;
      this.state.setLink({ ...l, targetMasterId: masterId }, true);
      out.push({ type: l.fromType, masterId: l.fromMasterId });
    }
    return out;
  }

  async linkingTo(
    targetType: EntityType,
    masterIds: readonly string[],
  ): Promise<{ type: EntityType; masterId: string }[]> {
    if (masterIds.length === 0) return [];
    await this.load.masters(targetType, masterIds);
    const ids = new Set(masterIds);
    const found = new Map<string, { type: EntityType; masterId: string }>();
    for (const l of this.state.links.values())
      if (l.targetType === targetType && l.targetMasterId !== null && ids.has(l.targetMasterId))
        found.set(masterKey(l.fromType, l.fromMasterId), { type: l.fromType, masterId: l.fromMasterId });
    return [...found.values()].sort((a, b) => byText(a.type, b.type) || byText(a.masterId, b.masterId));
  }

  async addTimeline(
    masterId: string,
    entry: StatusChange,
    source: { system: string; recordId: string },
    eventId: string,
  ): Promise<void> {
    const m = await this.loadedMaster('dossier', masterId);
    if (!m) return;
    const k = timelineKey(entry);
    if (m.timeline.has(k)) return; // on conflict do nothing
    const row = { ...entry, system: source.system, recordId: source.recordId, eventId };
    m.timeline.set(k, row);
    this.state.dirtyTimeline.set(`${masterId}\u0000${k}`, { masterId, row });
  }

  async timeline(masterId: string): Promise<StatusChange[]> {
    const m = await this.loadedMaster('dossier', masterId);
    return [...(m?.timeline.values() ?? [])]
      .sort((a, b) => a.at - b.at || byText(a.status, b.status))
      .map((e) => ({ status: e.status, at: e.at }));
  }

  async flush(): Promise<void> {
    if (this.flushed) throw new Error('a batch store is flushed once');
    this.flushed = true;
    await flushBatch(this.trx, this.state);
  }

  private async loadedMaster(type: EntityType, masterId: string): Promise<MasterEntry | undefined> {
    await this.load.masters(type, [masterId]);
    return this.state.master(type, masterId);
  }
}
