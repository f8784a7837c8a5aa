import type { Knex } from 'knex';
import type {
  ConsolidationStore,
  HistoryEntry,
  IdentifierRow,
  MasterUpdate,
  OutboxEntry,
} from '../domain/store.js';
import type {
  EntityType,
  Identifier,
  LineageEntry,
  MasterRow,
  Observation,
  SourceRecord,
} from '../domain/types.js';
import { identifierLock } from '../domain/types.js';
import { KnexStoreBase, json } from './knex-store-base.js';
import { excludedWith, repointExclusions } from './exclusions.js';
import { bufferLineage, writeLineage, type LineageWrite } from './lineage-writer.js';
import {
  closeSettledConflicts,
  closeSettledMatches,
  noteConflicts,
  type ConflictState,
} from './settled-matches.js';
import { MASTER_TABLE, lockId, toMasterRow, type MasterDbRow } from './tables.js';

interface SourceDbRow {
  source_system: string;
  source_record_id: string;
  master_id: string;
  event_id: string;
  observed_at: string | number;
  deleted: boolean;
  observation: Observation;
}

const toSource = (r: SourceDbRow): SourceRecord => ({
  system: r.source_system,
  recordId: r.source_record_id,
  masterId: r.master_id,
  eventId: r.event_id,
  observedAt: Number(r.observed_at),
  deleted: r.deleted,
  observation: r.observation,
});

interface IdentifierDbRow {
  scheme: string;
  value: string;
  master_id: string;
  is_primary: boolean;
}
const toIdentifier = (r: IdentifierDbRow): IdentifierRow => ({
  scheme: r.scheme,
  value: r.value,
  masterId: r.master_id,
  primary: r.is_primary,
});

async function insertChunks(
  t: Knex.Transaction,
  table: string,
  rows: readonly object[],
  size = 500,
): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await t(table).insert(rows.slice(i, i + size));
}

/** ConsolidationStore on one knex transaction. Appends are buffered and written by `flush()`. */
export class KnexStore extends KnexStoreBase implements ConsolidationStore {
  private history: HistoryEntry[] = [];
  private outbox: OutboxEntry[] = [];
  private processed: { event_id: string; topic: string; partition: number; offset: string }[] = [];
  private lineage = new Map<string, LineageWrite>();
  private conflicts = new Map<string, ConflictState>();

  constructor(trx: Knex.Transaction) {
    super(trx);
  }

  async lock(keys: readonly string[]): Promise<void> {
    const ids = [...new Set(keys.map((k) => lockId(k)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (ids.length === 0) return;
    // unnest yields the array in order, so locks are always taken in ascending key order.
    await this.trx.raw('select count(pg_advisory_xact_lock(k)) from unnest(?::bigint[]) as t(k)', [
      ids.map(String),
    ]);
  }

  /** Every read here asks the database, after the lock (taking a held lock again does not wait). */
  async lockIdentifiers(ids: readonly (Identifier & { readonly type: EntityType })[]): Promise<void> {
    await this.lock(ids.map((i) => identifierLock(i.type, i)));
  }

  async processedEventIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = (await this.trx('processed_events').select('event_id').whereIn('event_id', ids)) as {
      event_id: string;
    }[];
    return new Set(rows.map((r) => r.event_id));
  }

  markProcessed(eventId: string, topic: string, partition: number, offset: string): void {
    this.processed.push({ event_id: eventId, topic, partition, offset });
  }

  async findIdentifiers(type: EntityType, ids: readonly Identifier[]): Promise<IdentifierRow[]> {
    if (ids.length === 0) return [];
    const rows = (await this.trx('identifier_aliases')
      .select('scheme', 'value', 'master_id', 'is_primary')
      .where('entity_type', type)
      .whereIn(
        ['scheme', 'value'],
        ids.map((i) => [i.scheme, i.value]),
      )) as IdentifierDbRow[];
    return rows.map(toIdentifier);
  }

  async identifiersOf(type: EntityType, masterIds: readonly string[]): Promise<IdentifierRow[]> {
    if (masterIds.length === 0) return [];
    const rows = (await this.trx('identifier_aliases')
      .select('scheme', 'value', 'master_id', 'is_primary')
      .where('entity_type', type)
      .whereIn('master_id', masterIds)
      .orderBy(['scheme', 'value'])) as IdentifierDbRow[];
    return rows.map(toIdentifier);
  }

  async addIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primary: Identifier | null,
  ): Promise<void> {
    if (ids.length === 0) return;
    const rows = ids.map((i) => ({
      entity_type: type,
      scheme: i.scheme,
      value: i.value,
      master_id: masterId,
      is_primary: primary !== null && primary.scheme === i.scheme && primary.value === i.value,
    }));
    await this.trx('identifier_aliases')
      .insert(rows)
      .onConflict(['entity_type', 'scheme', 'value'])
      .merge({ is_primary: this.trx.raw('identifier_aliases.is_primary or excluded.is_primary') });
  }

  async replaceIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primaries: readonly Identifier[],
  ): Promise<void> {
    await this.trx('identifier_aliases').where({ entity_type: type, master_id: masterId }).delete();
    if (ids.length === 0) return;
    await this.trx('identifier_aliases').insert(
      ids.map((i) => ({
        entity_type: type,
        scheme: i.scheme,
        value: i.value,
        master_id: masterId,
        is_primary: primaries.some((p) => p.scheme === i.scheme && p.value === i.value),
      })),
    );
  }

  async findSourceRecord(
    type: EntityType,
    system: string,
    recordId: string,
  ): Promise<SourceRecord | undefined> {
    const row = (await this.trx('source_records')
      .where({ entity_type: type, source_system: system, source_record_id: recordId })
      .first()) as SourceDbRow | undefined;
    return row ? toSource(row) : undefined;
  }

  async candidates(
    type: EntityType,
    keys: readonly string[],
    limit: number,
    primaries: readonly string[] = [],
  ): Promise<SourceRecord[]> {
    const rows = (await this.trx('source_records as s')
      .join(`${MASTER_TABLE[type]} as m`, 'm.master_id', 's.master_id')
      .select('s.*')
      .where('s.entity_type', type)
      .where('m.status', 'ACTIVE')
      .where('s.deleted', false)
      .whereRaw('s.blocking_keys && ?::text[]', [[...keys]])
      .modify((q) => {
        // A count per candidate's master (by index), as the batch path reads it: `not exists` may be
        // planned as a hash of every primary alias of the dataset.
        if (primaries.length > 0)
          q.whereRaw(
            `(select count(*) from identifier_aliases a where a.entity_type = ? and a.master_id = s.master_id
               and a.is_primary and a.value <> all(?::text[])) = 0`,
            [type, [...primaries]],
          );
      })
      .orderBy(['s.source_system', 's.source_record_id'])
      .limit(limit)) as SourceDbRow[];
    return rows.map(toSource);
  }

  async sourceRecordsOf(type: EntityType, masterId: string): Promise<SourceRecord[]> {
    const rows = (await this.trx('source_records')
      .where({ entity_type: type, master_id: masterId })
      .orderBy(['source_system', 'source_record_id'])) as SourceDbRow[];
    return rows.map(toSource);
  }

  async upsertSourceRecord(
    type: EntityType,
    r: SourceRecord,
    blockingKeys: readonly string[],
  ): Promise<void> {
    await this.trx('source_records')
      .insert({
        entity_type: type,
        source_system: r.system,
        source_record_id: r.recordId,
        master_id: r.masterId,
        event_id: r.eventId,
        observed_at: r.observedAt,
        deleted: r.deleted,
        observation: json(r.observation),
        blocking_keys: [...blockingKeys],
        updated_at: this.trx.fn.now(),
      })
      .onConflict(['entity_type', 'source_system', 'source_record_id'])
      .merge();
  }

  async moveSourceRecords(
    type: EntityType,
    refs: readonly { system: string; recordId: string }[],
    toMasterId: string,
  ): Promise<void> {
    if (refs.length === 0) return;
    await this.trx('source_records')
      .where('entity_type', type)
      .whereIn(
        ['source_system', 'source_record_id'],
        refs.map((r) => [r.system, r.recordId]),
      )
      .update({ master_id: toMasterId, updated_at: this.trx.fn.now() });
  }

  async createMaster(type: EntityType, masterId: string): Promise<MasterRow> {
    const [row] = (await this.trx(MASTER_TABLE[type])
      .insert({ master_id: masterId, status: 'ACTIVE', version: 0 })
      .returning('*')) as MasterDbRow[];
    if (!row) throw new Error('insert returned no row');
    return toMasterRow(type, row);
  }

  async lockMasters(type: EntityType, masterIds: readonly string[]): Promise<MasterRow[]> {
    if (masterIds.length === 0) return [];
    const rows = (await this.trx(MASTER_TABLE[type])
      .whereIn('master_id', masterIds)
      .orderBy('master_id')
      .forUpdate()) as MasterDbRow[];
    return rows.map((r) => toMasterRow(type, r));
  }

  async saveMaster(type: EntityType, u: MasterUpdate): Promise<void> {
    await this.trx(MASTER_TABLE[type])
      .where('master_id', u.masterId)
      .update({
        status: u.status,
        version: u.version,
        golden: u.golden === null ? null : json(u.golden),
        merged_into: u.mergedInto,
        merged_from: [...u.mergedFrom],
        lineage_hash: u.lineageHash,
        updated_at: this.trx.fn.now(),
      });
  }

  excludedWith(type: EntityType, masterId: string): Promise<Set<string>> {
    return excludedWith(this.trx, type, masterId);
  }

  async absorb(type: EntityType, survivor: string, absorbed: readonly string[]): Promise<void> {
    const t = this.trx;
    await t('source_records')
      .where('entity_type', type)
      .whereIn('master_id', absorbed)
      .update({ master_id: survivor });
    await t('identifier_aliases')
      .where('entity_type', type)
      .whereIn('master_id', absorbed)
      .update({ master_id: survivor });
    await t('links')
      .where('target_type', type)
      .whereIn('target_master_id', absorbed)
      .update({ target_master_id: survivor });
    await t('links').where('from_type', type).whereIn('from_master_id', absorbed).delete();
    await t(MASTER_TABLE[type]).whereIn('merged_into', absorbed).update({ merged_into: survivor });
    await t('review_tasks')
      .where({ entity_type: type, status: 'OPEN' })
      .whereIn('master_id', absorbed)
      .update({ master_id: survivor });
    await repointExclusions(t, type, survivor, absorbed);
    if (type === 'dossier') {
      await t.raw(
        `insert into dossier_status_events (master_id, status, at, source_system, source_record_id, event_id)
         select ?, status, at, source_system, source_record_id, event_id from dossier_status_events where master_id = any(?::text[])
         on conflict do nothing`,
        [survivor, [...absorbed]],
      );
      await t('dossier_status_events').whereIn('master_id', absorbed).delete();
    }
  }

  async closeSettledMatches(
    type: EntityType,
    survivor: string,
    absorbed: readonly string[],
    cause: { readonly actor: string; readonly at: number },
  ): Promise<void> {
    // Everything merged into the cluster before already names the survivor in `merged_into`.
    await closeSettledMatches(this.trx, type, [survivor, ...absorbed], [], cause.actor, cause.at);
  }

  settleConflicts(type: EntityType, masterId: string, inConflict: readonly string[], cause: Pick<ConflictState, 'actor' | 'at'>): void {
    noteConflicts(this.conflicts, type, masterId, inConflict, cause);
  }

  replaceLineage(
    type: EntityType,
    masterId: string,
    entries: readonly LineageEntry[],
    at: number,
    previous: string | null,
  ): void {
    bufferLineage(this.lineage, { type, masterId, entries, at, previous });
  }

  addHistory(entry: HistoryEntry): void {
    this.history.push(entry);
  }

  addOutbox(entry: OutboxEntry): void {
    this.outbox.push(entry);
  }

  async flush(): Promise<void> {
    const t = this.trx;
    await writeLineage(t, [...this.lineage.values()]);
    if (this.history.length) {
      await insertChunks(
        t,
        'master_history',
        this.history.map((h) => ({
          entity_type: h.entityType,
          master_id: h.masterId,
          version: h.version,
          change: h.change,
          snapshot: h.snapshot === null ? null : json(h.snapshot),
          changed_attributes: [...h.changedAttributes],
          event_id: h.eventId,
          actor: h.actor,
          reason: h.reason,
          related_master_id: h.relatedMasterId,
          at: new Date(h.at),
        })),
      );
    }
    if (this.outbox.length) {
      await insertChunks(
        t,
        'outbox',
        this.outbox.map((o) => ({
          entity_type: o.entityType,
          topic: `master.${o.entityType}`,
          message_key: o.masterId,
          version: o.version,
          change: o.change,
          payload: o.payload === null ? null : json(o.payload),
          occurred_at: o.occurredAt,
        })),
      );
    }
    if (this.processed.length) {
      await insertChunks(t, 'processed_events', this.processed);
    }
    // Review tasks were written as they were opened: the settled ones can be closed now.
    await closeSettledConflicts(t, [...this.conflicts.values()]);
    this.conflicts.clear();
    this.lineage.clear();
    this.history = [];
    this.outbox = [];
    this.processed = [];
  }
}
