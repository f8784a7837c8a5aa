import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import {
  buildPollingConnector,
  CursorStore,
  CONNECTOR_DLQ_HEADERS,
  type CursorCommit,
  type PollingConnector,
} from '@hub/connector-runtime';
import { decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import { ensureTopics, HEADERS } from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';
import { SqlPollConfigSchema, type SqlPollConfig } from './config.js';
import { dialects, useIntegration } from './int.test-support.js';
import { connect, SqlSource } from './sql-source.js';

const ctx = useIntegration('sql-poll-int-test');

type Obs = { eventId: string; operation: string; fullName: string | null; source: { recordId: string } };

/** A cursor store that "crashes" at the n-th commit: Kafka has the batch, the database has not the cursor. */
class CrashingCursorStore extends CursorStore {
  calls = 0;
  constructor(
    db: Knex,
    private readonly crashAt: number,
  ) {
    super(db);
  }
  override async commit(id: string, c: CursorCommit): Promise<void> {
    if (++this.calls >= this.crashAt) throw new Error('killed between publish and cursor commit');
    return super.commit(id, c);
  }
}

describe.each(dialects())('sql-poll on $dialect', (d) => {
  const table = `test_citizens_${Date.now().toString(36)}_${d.dialect}`;
  let db: Knex;
  const t = {
    obs: uniqueName(`sp-obs-${d.dialect}`),
    dlq: uniqueName(`sp-dlq-${d.dialect}`),
    status: uniqueName(`sp-st-${d.dialect}`),
  };
  const id = `sp-${d.dialect}-${Date.now().toString(36)}`;
  let config: SqlPollConfig;

  function connector(cursors?: CursorStore): PollingConnector {
    return buildPollingConnector(config, new SqlSource(config.source, d.url()), ctx.deps(cursors), {
      deleteComparisonIntervalMs: config.source.deleteDetection.intervalMs,
      statusTopic: t.status,
      retry: { baseMs: 20, maxMs: 40 },
    });
  }

  async function published(): Promise<Obs[]> {
    return (await readTopic(ctx.kafka, t.obs)).map((m) => decodeObservation<Obs>('citizen', m.value));
  }

  beforeAll(async () => {
    db = connect(d.dialect, d.url());
    await db.schema.createTable(table, (tb) => {
      tb.integer('id').primary();
      tb.specificType('ho_ten', d.str);
      tb.specificType('ngay_sinh', d.str).nullable();
      tb.specificType('updated_at', `${d.ts} not null`);
      tb.specificType('deleted_at', d.ts).nullable();
      tb.index(['updated_at', 'id'], `${table}_cursor_idx`);
    });
    // 150 rows: the first 100 share one updated_at (microseconds), row 77 has an impossible date.
    const rows = Array.from({ length: 150 }, (_, i) => ({
      id: i + 1,
      ho_ten: `Nguyễn Thị ${i + 1}`.replace(/\d+/, (n) => 'ABCDEFGHIJ'[Number(n) % 10] ?? 'A'),
      ngay_sinh: i + 1 === 77 ? '31/02/1990' : '05/03/1990',
      updated_at: i < 100 ? '2025-01-01 00:00:00.000123' : `2025-01-0${2 + (i % 3)} 00:00:00.000456`,
    }));
    await db.batchInsert(table, rows, 50);
    ctx.topics.push(t.obs, t.dlq, t.status);
    await ensureTopics(
      ctx.kafka,
      [t.obs, t.dlq, t.status].map((name) => ({ name, partitions: 3, replicationFactor: 1, config: {} })),
    );
    config = SqlPollConfigSchema.parse({
      id,
      kind: 'sql-poll',
      source: {
        system: `test-civil-${d.dialect}`,
        dialect: d.dialect,
        connectionEnv: 'UNUSED_IN_TESTS',
        table,
        primaryKey: 'id',
        updatedAtColumn: 'updated_at',
        softDelete: { column: 'deleted_at' },
        deleteDetection: { mode: 'compare', intervalMs: 0 },
        settleSeconds: 0.3,
      },
      batchSize: 23,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 1000,
      countIntervalMs: 100,
      topics: { observations: t.obs, deadLetter: t.dlq },
      mapping: {
        entity: 'citizen',
        recordId: 'id',
        updatedAt: 'updated_at',
        fields: { fullName: 'ho_ten', dateOfBirth: 'ngay_sinh' },
      },
    });
  });

  afterAll(async () => {
    await db.schema.dropTableIfExists(table);
    await db.destroy();
  });

  it('snapshot: every row arrives exactly once (equal timestamps included); a killed batch is re-sent with the same eventIds after restart', async () => {
    // First run "dies" at its 3rd cursor commit: two batches committed, the third published but not committed.
    const crashing = new CrashingCursorStore(ctx.connectorDb.db, 3);
    const first = connector(crashing);
    await first.start();
    await eventually(() => (crashing.calls >= 4 ? true : undefined), { what: 'the crash' });
    await first.stop();
    // Restart from the durable cursor.
    const second = connector();
    await second.start();
    await eventually(async () => ((await published()).length >= 149 + 23 ? true : undefined), {
      what: 'the snapshot',
      timeoutMs: 30_000,
    });
    const stored = new CursorStore(ctx.connectorDb.db);
    await eventually(
      async () =>
        (JSON.parse((await stored.load(id)) ?? '{}') as { snapshotDone?: boolean }).snapshotDone ?? undefined,
      { what: 'snapshot done' },
    );
    await second.stop();

    const events = await published();
    const ids = new Map<string, Set<string>>();
    for (const e of events)
      ids.set(e.source.recordId, (ids.get(e.source.recordId) ?? new Set()).add(e.eventId));
    const expected = Array.from({ length: 150 }, (_, i) => String(i + 1)).filter((x) => x !== '77');
    expect([...ids.keys()].sort()).toEqual(expected.sort());
    // Duplicates only from the batch killed before its commit, and only as exact repeats (same eventId).
    for (const set of ids.values()) expect(set.size).toBe(1);
    // (each failed commit attempt re-sent that one batch of 23)
    expect(events.length - 149).toBeLessThanOrEqual(23 * (crashing.calls - 2));

    const dead = await readTopic(ctx.kafka, t.dlq);
    expect(dead.map((m) => m.headers[CONNECTOR_DLQ_HEADERS.recordId])).toContain('77');
    expect(dead[0]?.headers[HEADERS.dlqError]).toContain('dateOfBirth (source ngay_sinh)');
  });

  it('incremental: inserts, updates, soft and hard deletes arrive once each; the source count is reported', async () => {
    const earlier = await published();
    const before = earlier.length;
    const seen = new Set(earlier.map((e) => e.eventId));
    await db(table).insert(
      [151, 152, 153].map((n) => ({
        id: n,
        ho_ten: `Trần Văn ${'KLM'[n - 151] ?? 'K'}`,
        ngay_sinh: '1980',
        updated_at: db.raw(d.now),
      })),
    );
    await db(table)
      .whereIn('id', [101, 102])
      .update({ ho_ten: 'Lê Thị Hoa', updated_at: db.raw(d.now) });
    await db(table)
      .where({ id: 103 })
      .update({ deleted_at: db.raw(d.now), updated_at: db.raw(d.now) });
    await db(table).whereIn('id', [104, 105]).delete();
    const c = connector();
    await c.start();
    await eventually(async () => ((await published()).length >= before + 3 + 2 + 1 + 2 ? true : undefined), {
      what: 'the changes',
    });
    await eventually(() => (c.status.sourceRecordCount === 150 ? true : undefined), {
      what: 'the source count',
    });
    await new Promise((r) => setTimeout(r, 600)); // a few more polls: nothing else may arrive
    await c.stop();
    // Partitions interleave when read back, so "new" means an eventId not seen before.
    const fresh = (await published()).filter((e) => !seen.has(e.eventId));
    const summary = fresh.map((e) => `${e.source.recordId}:${e.operation}`).sort();
    expect(summary).toEqual([
      '101:UPSERT',
      '102:UPSERT',
      '103:DELETE',
      '104:DELETE',
      '105:DELETE',
      '151:UPSERT',
      '152:UPSERT',
      '153:UPSERT',
    ]);
    expect(fresh.find((e) => e.source.recordId === '101')?.fullName).toBe('Lê Thị Hoa');
    expect(c.status.newestSourceUpdateAt).not.toBeNull();
  });
});
