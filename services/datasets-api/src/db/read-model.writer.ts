import type { Knex } from 'knex';
import { aliasKeysOf, columnsOf, decide, type Decision, type GoldenValue, type MasterChange, type StoredState } from '../domain/records.js';
import type { Dataset } from '../domain/scopes.js';
import { CHANGES_LOCK_ID, CLEARED, TABLE } from './tables.js';

/** Rows per statement of the set-based path (bounded bind parameters). */
const WRITE_CHUNK = 500;

export type IgnoreReason = Extract<Decision, { kind: 'ignore' }>['reason'];

export interface ApplyStats {
  applied: number;
  ignored: Partial<Record<IgnoreReason, number>>;
  /** Change-feed rows written (applied changes plus records merged away). */
  feedRows: number;
}

export interface OffsetChange extends MasterChange {
  /** Kafka offset of the message the change came from. */
  readonly offset: string;
}

export interface BatchPosition {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** The offset to store: one past the last message of the batch. */
  readonly nextOffset: string;
}

/**
 * Applies master-topic messages to the read model. One batch = one transaction: record rows, alias
 * rows, change-feed rows and the consumed offset commit together, so a crash loses or duplicates
 * nothing (and a redelivered message is a duplicate version, ignored anyway).
 */
export class ReadModelWriter {
  constructor(private readonly db: Knex) {}

  async committedOffsets(groupId: string, topic: string, partitions: readonly number[]): Promise<Map<number, string>> {
    const rows = (await this.db('consumer_offsets').where({ group_id: groupId, topic }).whereIn('partition', [...partitions])) as {
      partition: number;
      next_offset: string;
    }[];
    return new Map(rows.map((r) => [r.partition, String(r.next_offset)]));
  }

  /**
   * Apply one consumed batch (one partition of one master topic) in one transaction. Set-based: the
   * states of every record the batch touches are read in one query, the decisions are taken in memory
   * in offset order, and the rows, aliases and change-feed rows are written with one statement each
   * (`mode: 'per-record'` keeps the statement-per-message reference path, which the equivalence test
   * compares against). Tombstones, rare, are applied one by one between the set-based segments.
   */
  async applyBatch(position: BatchPosition, changes: readonly OffsetChange[], mode: 'set' | 'per-record' = 'set'): Promise<ApplyStats> {
    return this.db.transaction(async (trx) => {
      // Sequence numbers of the change table are handed out in commit order (see CHANGES_LOCK_ID).
      await trx.raw('select pg_advisory_xact_lock(?)', [CHANGES_LOCK_ID]);
      const key = { group_id: position.groupId, topic: position.topic, partition: position.partition };
      const stored = (await trx('consumer_offsets').where(key).forUpdate().first()) as { next_offset: string } | undefined;
      const from = stored ? BigInt(stored.next_offset) : -1n;
      const stats: ApplyStats = { applied: 0, ignored: {}, feedRows: 0 };
      // Another instance may have stored this partition further while we held a stale assignment.
      const todo = changes.filter((change) => BigInt(change.offset) >= from);
      if (mode === 'per-record') {
        for (const change of todo) await this.applyOne(trx, change, stats);
      } else {
        await this.applySet(trx, todo, stats);
      }
      if (BigInt(position.nextOffset) > from) {
        await trx('consumer_offsets')
          .insert({ ...key, next_offset: position.nextOffset, updated_at: trx.fn.now() })
          .onConflict(['group_id', 'topic', 'partition'])
          .merge(['next_offset', 'updated_at']);
      }
      return stats;
    });
  }

  private async applySet(trx: Knex.Transaction, changes: readonly OffsetChange[], stats: ApplyStats): Promise<void> {
    const datasets = new Set(changes.map((c) => c.dataset));
    for (const dataset of datasets) {
      const mine = changes.filter((c) => c.dataset === dataset);
      const ids = new Set<string>();
      for (const c of mine) {
        ids.add(c.masterId);
        if (c.value && 'mergedFrom' in c.value) for (const id of c.value.mergedFrom) ids.add(id);
      }
      const states = await this.statesOf(trx, dataset, [...ids]);
      const pending = new PendingWrites(dataset);
      for (const change of mine) {
        const decision = decide(states.get(change.masterId), change);
        if (decision.kind === 'ignore') {
          stats.ignored[decision.reason] = (stats.ignored[decision.reason] ?? 0) + 1;
          continue;
        }
        stats.applied++;
        if (change.value === null) {
          // A tombstone looks for the survivor among the written rows: write what is pending first.
          await pending.flush(trx, stats);
          await this.applyTombstone(trx, change, states.get(change.masterId), stats);
          const after = await this.stateOf(trx, dataset, change.masterId);
          if (after) states.set(change.masterId, after);
          continue;
        }
        const value = change.value;
        const deleted = value.change === 'DELETED';
        const occurredAt = new Date(value.occurredAt);
        pending.record(recordRow(dataset, value), deleted ? [] : aliasKeysOf(dataset, value), { version: value.version, change: value.change, merged_into: null, occurred_at: occurredAt });
        states.set(value.masterId, { version: value.version, state: deleted ? 'DELETED' : 'LIVE', mergedInto: null });
        const absorbed = 'mergedFrom' in value ? value.mergedFrom.filter((id) => id !== value.masterId) : [];
        for (const id of absorbed) {
          const existing = states.get(id);
          if (existing?.state === 'MERGED' && existing.mergedInto === value.masterId) continue;
          const version = existing?.version ?? 0;
          pending.record(
            { master_id: id, version, state: 'MERGED', merged_into: value.masterId, change: 'DELETED', record: null, ...CLEARED[dataset], occurred_at: occurredAt },
            [],
            { version, change: 'DELETED', merged_into: value.masterId, occurred_at: occurredAt },
          );
          states.set(id, { version, state: 'MERGED', mergedInto: value.masterId });
        }
      }
      await pending.flush(trx, stats);
    }
  }

  /** Stored states of the given records, locked for this transaction, in one query. */
  private async statesOf(trx: Knex.Transaction, dataset: Dataset, ids: readonly string[]): Promise<Map<string, StoredState>> {
    const states = new Map<string, StoredState>();
    for (let i = 0; i < ids.length; i += WRITE_CHUNK) {
      const rows = (await trx(TABLE[dataset])
        .select('master_id', 'version', 'state', 'merged_into')
        .whereRaw('master_id = any(?::text[])', [ids.slice(i, i + WRITE_CHUNK)])
        .forUpdate()) as { master_id: string; version: string; state: StoredState['state']; merged_into: string | null }[];
      for (const r of rows) states.set(r.master_id, { version: Number(r.version), state: r.state, mergedInto: r.merged_into });
    }
    return states;
  }

  private async stateOf(trx: Knex.Transaction, dataset: Dataset, masterId: string): Promise<StoredState | undefined> {
    const row = (await trx(TABLE[dataset]).select('version', 'state', 'merged_into').where({ master_id: masterId }).forUpdate().first()) as
      | { version: string; state: StoredState['state']; merged_into: string | null }
      | undefined;
    return row ? { version: Number(row.version), state: row.state, mergedInto: row.merged_into } : undefined;
  }

  private async applyOne(trx: Knex.Transaction, change: MasterChange, stats: ApplyStats): Promise<void> {
    const existing = await this.stateOf(trx, change.dataset, change.masterId);
    const decision = decide(existing, change);
    if (decision.kind === 'ignore') {
      stats.ignored[decision.reason] = (stats.ignored[decision.reason] ?? 0) + 1;
      return;
    }
    stats.applied++;
    if (change.value === null) await this.applyTombstone(trx, change, existing, stats);
    else await this.applyValue(trx, change.dataset, change.value, stats);
  }

  private async applyValue(trx: Knex.Transaction, dataset: Dataset, value: GoldenValue, stats: ApplyStats): Promise<void> {
    const deleted = value.change === 'DELETED';
    const occurredAt = new Date(value.occurredAt);
    await trx(TABLE[dataset])
      .insert({ ...recordRow(dataset, value), updated_at: trx.fn.now() })
      .onConflict('master_id')
      .merge();
    await this.replaceAliases(trx, dataset, value.masterId, deleted ? [] : aliasKeysOf(dataset, value));
    await this.feed(trx, { dataset, master_id: value.masterId, version: value.version, change: value.change, merged_into: null, occurred_at: occurredAt }, stats);
    const absorbed = 'mergedFrom' in value ? value.mergedFrom.filter((id) => id !== value.masterId) : [];
    for (const id of absorbed) await this.markMerged(trx, dataset, id, value.masterId, occurredAt, stats);
  }

  private async applyTombstone(trx: Knex.Transaction, change: MasterChange, existing: StoredState | undefined, stats: ApplyStats): Promise<void> {
    const { dataset, masterId } = change;
    const survivor = (await trx(TABLE[dataset]).select('master_id').where({ state: 'LIVE' }).whereRaw('merged_from @> array[?]::text[]', [masterId]).first()) as
      | { master_id: string }
      | undefined;
    if (survivor) {
      await this.markMerged(trx, dataset, masterId, survivor.master_id, new Date(), stats);
      return;
    }
    if (existing?.state !== 'LIVE') return; // already deleted; the survivor is not known (yet)
    const version = Math.max(existing.version, change.version ?? 0);
    await trx(TABLE[dataset])
      .where({ master_id: masterId })
      .update({ state: 'DELETED', version, change: 'DELETED', record: null, ...CLEARED[dataset], updated_at: trx.fn.now() });
    await this.replaceAliases(trx, dataset, masterId, []);
    await this.feed(trx, { dataset, master_id: masterId, version, change: 'DELETED', merged_into: null, occurred_at: null }, stats);
  }

  /** The record `id` was merged into `survivor`: lookups answer with the survivor; its data is dropped. */
  private async markMerged(trx: Knex.Transaction, dataset: Dataset, id: string, survivor: string, at: Date, stats: ApplyStats): Promise<void> {
    const existing = await this.stateOf(trx, dataset, id);
    if (existing?.state === 'MERGED' && existing.mergedInto === survivor) return;
    const version = existing?.version ?? 0;
    await trx(TABLE[dataset])
      .insert({ master_id: id, version, state: 'MERGED', merged_into: survivor, change: 'DELETED', record: null, ...CLEARED[dataset], occurred_at: at, updated_at: trx.fn.now() })
      .onConflict('master_id')
      .merge();
    await this.replaceAliases(trx, dataset, id, []);
    await this.feed(trx, { dataset, master_id: id, version, change: 'DELETED', merged_into: survivor, occurred_at: at }, stats);
  }

  private async replaceAliases(trx: Knex.Transaction, dataset: Dataset, masterId: string, keys: readonly string[]): Promise<void> {
    await trx('identifier_aliases').where({ dataset, master_id: masterId }).delete();
    if (keys.length > 0) {
      await trx('identifier_aliases')
        .insert(keys.map((alias_key) => ({ dataset, alias_key, master_id: masterId })))
        .onConflict(['dataset', 'alias_key', 'master_id'])
        .ignore();
    }
  }

  private async feed(
    trx: Knex.Transaction,
    row: { dataset: Dataset; master_id: string; version: number; change: string; merged_into: string | null; occurred_at: Date | null },
    stats: ApplyStats,
  ): Promise<void> {
    await trx('changes').insert(row);
    stats.feedRows++;
  }
}

/** The read-model row of a golden record (a deleted one keeps no personal data). */
function recordRow(dataset: Dataset, value: GoldenValue): Record<string, unknown> & { master_id: string } {
  const deleted = value.change === 'DELETED';
  return {
    master_id: value.masterId,
    version: value.version,
    state: deleted ? 'DELETED' : 'LIVE',
    merged_into: null,
    change: value.change,
    record: deleted ? null : JSON.stringify(value),
    ...(deleted ? CLEARED[dataset] : columnsOf(dataset, value)),
    occurred_at: new Date(value.occurredAt),
  };
}

interface FeedFields {
  version: number;
  change: string;
  merged_into: string | null;
  occurred_at: Date | null;
}

/**
 * The writes of a run of applied golden records, in offset order: the last row and alias set of each
 * record (a record changed twice in a batch is written once, as it ends), and one change-feed row per
 * applied change, inserted in order (a multi-row INSERT takes sequence values in row order, and the
 * advisory lock makes that the commit order).
 */
class PendingWrites {
  private rows = new Map<string, Record<string, unknown>>();
  private aliases = new Map<string, readonly string[]>();
  private feedRows: Record<string, unknown>[] = [];

  constructor(private readonly dataset: Dataset) {}

  record(row: Record<string, unknown> & { master_id: string }, aliasKeys: readonly string[], feed: FeedFields): void {
    this.rows.delete(row.master_id); // keep insertion order = order of the last change
    this.rows.set(row.master_id, row);
    this.aliases.set(row.master_id, aliasKeys);
    this.feedRows.push({ dataset: this.dataset, master_id: row.master_id, ...feed });
  }

  async flush(trx: Knex.Transaction, stats: ApplyStats): Promise<void> {
    if (this.feedRows.length === 0) return;
    const table = TABLE[this.dataset];
    const rows = [...this.rows.values()].map((r) => ({ ...r, updated_at: trx.fn.now() }));
    for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
      await trx(table).insert(rows.slice(i, i + WRITE_CHUNK)).onConflict('master_id').merge();
    }
    const ids = [...this.aliases.keys()];
    for (let i = 0; i < ids.length; i += WRITE_CHUNK) {
      await trx('identifier_aliases').where({ dataset: this.dataset }).whereRaw('master_id = any(?::text[])', [ids.slice(i, i + WRITE_CHUNK)]).delete();
    }
    const aliasRows = [...this.aliases].flatMap(([master_id, keys]) => keys.map((alias_key) => ({ dataset: this.dataset, alias_key, master_id })));
    for (let i = 0; i < aliasRows.length; i += WRITE_CHUNK) {
      await trx('identifier_aliases').insert(aliasRows.slice(i, i + WRITE_CHUNK)).onConflict(['dataset', 'alias_key', 'master_id']).ignore();
    }
    for (let i = 0; i < this.feedRows.length; i += WRITE_CHUNK) {
      await trx('changes').insert(this.feedRows.slice(i, i + WRITE_CHUNK));
    }
    stats.feedRows += this.feedRows.length;
    this.rows = new Map();
    this.aliases = new Map();
    this.feedRows = [];
  }
}
