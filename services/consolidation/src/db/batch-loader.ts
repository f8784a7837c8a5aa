import type { Knex } from 'knex';
import type { DossierStatus } from '@hub/schemas';
import type { EntityType, Identifier, MasterStatus, Observation } from '../domain/types.js';
import {
  aliasKey,
  blockKey,
  masterKey,
  recordKey,
  timelineKey,
  type BatchState,
  type LinkRow,
  type TimelineRow,
} from './batch-state.js';
import { MASTER_TABLE, toMasterRow, type MasterDbRow } from './tables.js';

interface SourceDbRow {
  entity_type: EntityType;
  source_system: string;
  source_record_id: string;
  master_id: string;
  event_id: string;
  observed_at: string | number;
  deleted: boolean;
  observation: Observation;
  blocking_keys: string[];
}

interface AliasDbRow {
  entity_type: EntityType;
  scheme: string;
  value: string;
  master_id: string;
  is_primary: boolean;
}

interface LinkDbRow {
  from_type: EntityType;
  from_master_id: string;
  relation: string;
  target_type: EntityType;
  target_scheme: string;
  target_value: string;
  target_master_id: string | null;
}

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;
const distinct = (xs: readonly string[]): string[] => [...new Set(xs)];

function readRecords(state: BatchState, rows: readonly SourceDbRow[]): void {
  for (const r of rows) {
    state.readRecord({
      type: r.entity_type,
      blockingKeys: r.blocking_keys,
      record: {
        system: r.source_system,
        recordId: r.source_record_id,
        masterId: r.master_id,
        eventId: r.event_id,
        observedAt: Number(r.observed_at),
        deleted: r.deleted,
        observation: r.observation,
      },
    });
  }
}

const toAlias = (r: AliasDbRow) => ({
  type: r.entity_type,
  scheme: r.scheme,
  value: r.value,
  masterId: r.master_id,
  primary: r.is_primary,
});

const toLink = (r: LinkDbRow): LinkRow => ({
  fromType: r.from_type,
  fromMasterId: r.from_master_id,
  relation: r.relation,
  targetType: r.target_type,
  targetScheme: r.target_scheme,
  targetValue: r.target_value,
  targetMasterId: r.target_master_id,
});

/**
 * Bulk reads for one batch: each function answers a whole set of keys with one statement and puts
 * the rows into the batch state (where this batch's own changes win over what is read).
 */
export class BatchLoader {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly state: BatchState,
  ) {}

  /** Source records by (system, record id). */
  async records(type: EntityType, refs: readonly { system: string; recordId: string }[]): Promise<void> {
    const todo = refs.filter((r) => !this.state.knownRecords.has(recordKey(type, r.system, r.recordId)));
    if (todo.length === 0) return;
    // `= any` on each key column (an index scan whatever the table statistics say); the few extra
    // (system, record id) combinations it may return are real rows and harmless.
    const res: unknown = await this.trx.raw(
      `select * from source_records
       where entity_type = ? and source_system = any(?::text[]) and source_record_id = any(?::text[])`,
      [type, distinct(todo.map((r) => r.system)), distinct(todo.map((r) => r.recordId))],
    );
    readRecords(this.state, rowsOf<SourceDbRow>(res));
    for (const r of todo) this.state.knownRecords.add(recordKey(type, r.system, r.recordId));
  }

  /** Identifier rows by (type, scheme, value); absent ones are remembered as absent. */
  async aliases(ids: readonly (Identifier & { type: EntityType })[]): Promise<void> {
    const todo = ids.filter((i) => !this.state.aliases.has(aliasKey(i.type, i.scheme, i.value)));
    if (todo.length === 0) return;
    const res: unknown = await this.trx.raw(
      `select entity_type, scheme, value, master_id, is_primary from identifier_aliases
       where entity_type = any(?::text[]) and scheme = any(?::text[]) and value = any(?::text[])`,
      [
        distinct(todo.map((i) => i.type)),
        distinct(todo.map((i) => i.scheme)),
        distinct(todo.map((i) => i.value)),
      ],
    );
    for (const r of rowsOf<AliasDbRow>(res)) this.state.readAlias(toAlias(r));
    for (const i of todo) {
      const k = aliasKey(i.type, i.scheme, i.value);
      if (!this.state.aliases.has(k)) this.state.setAlias(k, null, false);
    }
  }

  /** Identifier rows of masters, without locking them (primary-number checks on candidates). */
  async aliasesOfMasters(type: EntityType, masterIds: readonly string[]): Promise<void> {
    const todo = masterIds.filter((m) => !this.state.aliasesLoadedFor.has(masterKey(type, m)));
    if (todo.length === 0) return;
    const res: unknown = await this.trx.raw(
      `select entity_type, scheme, value, master_id, is_primary from identifier_aliases
       where entity_type = ? and master_id = any(?::text[])`,
      [type, todo],
    );
    this.refreshAliases(type, todo, rowsOf<AliasDbRow>(res));
  }

  /**
   * Candidate source records of these blocking keys (not deleted), with their masters' status:
   * per request, the first `perKeyLimit` of its key in (system, record id) order, so the first N of
   * any union of keys is exact. A request with a primary-number filter (`primaryFilter`) counts only
   * records of masters holding no primary number outside it — the ones the resolver would not skip —
   * so a block full of other persons is not read (nor does it hide the few that could match).
   */
  async candidates(
    type: EntityType,
    requests: readonly { readonly key: string; readonly filter: string }[],
    perKeyLimit: number,
  ): Promise<void> {
    const seen = new Set<string>();
    const todo = requests.filter((r) => {
      const id = `${r.key}\u0000${r.filter}`;
      if (seen.has(id) || this.state.loadedBlocks.get(blockKey(type, r.key))?.has(r.filter)) return false;
      seen.add(id);
      return true;
    });
    if (todo.length === 0) return;
    // One GIN probe per key, ranked per key; each record comes back once however many of the keys
    // it shares (by its row address within this statement), so its observation is sent and parsed
    // once. (A single `&&` probe for all keys is planned as a sequential scan without statistics.)
    // No `entity_type` condition on source records: blocking keys carry their dataset's prefix
    // (cn/cg/cc citizens, bn/bc businesses), and without fresh statistics the planner would AND the
    // GIN probe with a scan of the whole primary key for it (seconds per batch). The filter is a
    // count, not `not exists`: under the `or`, the planner would hash every primary alias of the
    // dataset once per key (a full scan growing with the province); the count probes the aliases of
    // each candidate's master by index (`identifier_aliases_master_idx`).
    const res: unknown = await this.trx.raw(
      `select s.*, m.status as master_status from source_records s
       left join ${MASTER_TABLE[type]} m on m.master_id = s.master_id
       where s.ctid = any(array(
         select distinct l.ctid from unnest(?::text[], ?::text[]) as k(key, filter)
         cross join lateral (
           select c.ctid from source_records c
           where not c.deleted and c.blocking_keys @> array[k.key]
             and (k.filter = '' or (
               select count(*) from identifier_aliases a
               where a.entity_type = ? and a.master_id = c.master_id and a.is_primary
                 and a.value <> all(string_to_array(k.filter, chr(31)))) = 0)
           order by c.source_system, c.source_record_id limit ?) l))`,
      [todo.map((r) => r.key), todo.map((r) => r.filter), type, perKeyLimit],
    );
    const rows = rowsOf<SourceDbRow & { master_status: MasterStatus | null }>(res).filter(
      (r) => r.entity_type === type,
    );
    readRecords(this.state, rows);
    // Their masters' status came with them (as `statuses` reads it: no lock, known ones kept).
    for (const r of rows)
      if (r.master_status !== null && this.state.statusOf(type, r.master_id) === undefined)
        this.state.knownStatus.set(masterKey(type, r.master_id), r.master_status);
    await this.statuses(type, distinct(rows.map((r) => r.master_id)));
    for (const r of todo) {
      const b = blockKey(type, r.key);
      const filters = this.state.loadedBlocks.get(b) ?? new Set<string>();
      filters.add(r.filter);
      this.state.loadedBlocks.set(b, filters);
    }
  }

  /** Status of masters not loaded (no lock). */
  async statuses(type: EntityType, masterIds: readonly string[]): Promise<void> {
    const todo = masterIds.filter((m) => this.state.statusOf(type, m) === undefined);
    if (todo.length === 0) return;
    const res: unknown = await this.trx.raw(
      `select master_id, status from ${MASTER_TABLE[type]} where master_id = any(?::text[])`,
      [todo],
    );
    for (const r of rowsOf<{ master_id: string; status: MasterStatus }>(res))
      this.state.knownStatus.set(masterKey(type, r.master_id), r.status);
  }

  /** Link rows pointing at these identifiers (pending ones get resolved when the target appears). */
  async linksTo(targetType: EntityType, ids: readonly Identifier[]): Promise<void> {
    const todo = ids.filter(
      (i) => !this.state.linkTargetsLoaded.has(aliasKey(targetType, i.scheme, i.value)),
    );
    if (todo.length === 0) return;
    const res: unknown = await this.trx.raw(
      `select * from links
       where target_type = ? and target_scheme = any(?::text[]) and target_value = any(?::text[])`,
      [targetType, distinct(todo.map((i) => i.scheme)), distinct(todo.map((i) => i.value))],
    );
    for (const r of rowsOf<LinkDbRow>(res)) this.state.setLink(toLink(r), false);
    for (const i of todo) this.state.linkTargetsLoaded.add(aliasKey(targetType, i.scheme, i.value));
  }

  /**
   * Lock masters (FOR UPDATE, in id order) and then read everything a recompute needs: their
   * source records, identifiers, pins, incoming links and (dossiers) timeline. Reading after the lock
   * sees what a concurrent instance committed before releasing it.
   */
  async masters(type: EntityType, masterIds: readonly string[]): Promise<void> {
    const todo = [...new Set(masterIds)]
      .filter((m) => !this.state.loaded.has(masterKey(type, m)))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (todo.length === 0) return;
    const t = this.trx;
    const rows = rowsOf<MasterDbRow>(
      await t.raw(
        `select * from ${MASTER_TABLE[type]} where master_id = any(?::text[]) order by master_id for update`,
        [todo],
      ),
    );
    // Records this batch already holds come back without their observation when the event id
    // (unique per statement) is unchanged: the same JSON is not transferred and parsed twice.
    const held = new Map<string, Observation>();
    for (const m of todo)
      for (const e of this.state.recordsOf(type, m)) held.set(e.record.eventId, e.record.observation);
    const records = rowsOf<Omit<SourceDbRow, 'observation'> & { observation: Observation | null }>(
      await t.raw(
        `select entity_type, source_system, source_record_id, master_id, event_id, observed_at, deleted,
           blocking_keys, case when event_id = any(?::text[]) then null else observation end as observation
         from source_records where entity_type = ? and master_id = any(?::text[])`,
        [[...held.keys()], type, todo],
      ),
    ).map((r): SourceDbRow => {
      const observation = r.observation ?? held.get(r.event_id);
      if (!observation) throw new Error('a source record came back without its observation');
      return { ...r, observation };
    });
    const aliases = rowsOf<AliasDbRow>(
      await t.raw(
        `select entity_type, scheme, value, master_id, is_primary from identifier_aliases
         where entity_type = ? and master_id = any(?::text[])`,
        [type, todo],
      ),
    );
    const pins = rowsOf<{
      master_id: string;
      attribute: string;
      value: unknown;
      source_system: string | null;
      source_record_id: string | null;
      event_id: string | null;
    }>(
      await t.raw(
        `select master_id, attribute, value, source_system, source_record_id, event_id from attribute_lineage
         where entity_type = ? and master_id = any(?::text[]) and pinned`,
        [type, todo],
      ),
    );
    const inbound = rowsOf<LinkDbRow>(
      await t.raw(`select * from links where target_type = ? and target_master_id = any(?::text[])`, [
        type,
        todo,
      ]),
    );
    const timeline =
      type === 'dossier'
        ? rowsOf<{
            master_id: string;
            status: DossierStatus;
            at: string | number;
            source_system: string;
            source_record_id: string;
            event_id: string;
          }>(await t.raw(`select * from dossier_status_events where master_id = any(?::text[])`, [todo]))
        : [];

    // Clean records that named one of these masters but no longer do were moved by someone else (a
    // concurrent merge). Their blocks are read again when asked, so they stay candidates under
    // the master they belong to now instead of vanishing from the candidates.
    const fresh = new Set(records.map((r) => recordKey(type, r.source_system, r.source_record_id)));
    for (const m of todo)
      for (const e of this.state.recordsOf(type, m)) {
        const k = recordKey(type, e.record.system, e.record.recordId);
        if (e.dirty || fresh.has(k)) continue;
        this.state.dropRecord(k);
        for (const b of e.blockingKeys) this.state.loadedBlocks.delete(blockKey(type, b));
      }
    readRecords(this.state, records);
    this.refreshAliases(type, todo, aliases);
    for (const l of inbound) this.state.setLink(toLink(l), false);
    for (const r of rows) {
      const row = toMasterRow(type, r);
      const tl = new Map<string, TimelineRow>();
      for (const e of timeline.filter((x) => x.master_id === row.masterId)) {
        const entry: TimelineRow = {
          status: e.status,
          at: Number(e.at),
          system: e.source_system,
          recordId: e.source_record_id,
          eventId: e.event_id,
        };
        tl.set(timelineKey(entry), entry);
      }
      this.state.masters.set(masterKey(type, row.masterId), {
        row,
        isNew: false,
        dirty: false,
        pins: pins
          .filter((p) => p.master_id === row.masterId)
          .map((p) => ({
            attribute: p.attribute,
            value: p.value,
            source:
              p.source_system !== null && p.source_record_id !== null
                ? { system: p.source_system, recordId: p.source_record_id }
                : null,
            eventId: p.event_id,
          })),
        timeline: tl,
      });
    }
    for (const m of todo) this.state.loaded.add(masterKey(type, m));
  }

  private refreshAliases(type: EntityType, masterIds: readonly string[], rows: readonly AliasDbRow[]): void {
    const fresh = new Set(rows.map((r) => aliasKey(r.entity_type, r.scheme, r.value)));
    for (const m of masterIds)
      for (const a of this.state.aliasesOf(type, m)) {
        const k = aliasKey(a.type, a.scheme, a.value);
        if (!fresh.has(k)) this.state.dropAlias(k);
      }
    for (const r of rows) this.state.readAlias(toAlias(r));
    for (const m of masterIds) this.state.aliasesLoadedFor.add(masterKey(type, m));
  }
}
