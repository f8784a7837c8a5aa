import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readTopic } from '@hub/connector-runtime/testing';
import {
  BatchConsumer,
  DeadLetterWriter,
  HEADERS,
  Publisher,
  SchemaRegistry,
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  type ConsumedBatch,
} from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';
import { CHAOS, SEED, runs } from './support/hostile.js';
import { rng } from './support/rng.js';
import { TestDatabases } from './support/stack.js';

/**
 * ARCHITECTURE §9.2 in the batch consumer (issue 11, task 1): a record PostgreSQL refuses for its
 * data (SQLSTATE class 22) used to fail its whole batch again and again, blocking the partition.
 * Real Kafka, registry and PostgreSQL: 30 readings in batches of 10 (2 000 in batches of 200 under
 * `HUB_CHAOS=1`), three (40) of which PostgreSQL refuses (text for a numeric, a code too long for
 * varchar(8), an impossible date — one of them the very last record, so its offset has no
 * neighbour to be committed with), and one real
 * connection loss (57P01, the handler's backend terminated) on the first attempt. The handler
 * stores its offset in the same transaction as its rows, like consolidation does.
 */
const endpoints = inject('endpoints');
const kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'systest-poison' });
const dbs = new TestDatabases(endpoints.DATABASE_URL);
const topic = uniqueName('sys.poison.readings');
const dlq = uniqueName('sys.poison.dlq');
const group = uniqueName('sys.poison');

interface Reading {
  eventId: string;
  code: string;
  amount: string;
  takenOn: string;
}
const ReadingSchema = {
  type: 'record',
  name: 'Reading',
  namespace: 'hub.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'code', type: 'string' },
    { name: 'amount', type: 'string' },
    { name: 'takenOn', type: 'string' },
  ],
};

const COUNT = runs(30, 2000);
const BATCH = runs(10, 200);
/** What PostgreSQL refuses in a record, and the SQLSTATE it answers with. */
const REFUSALS: { patch: Partial<Reading>; sqlState: string }[] = [
  { patch: { amount: 'mười hai' }, sqlState: '22P02' },
  { patch: { code: 'TQ-0123456789' }, sqlState: '22001' },
  { patch: { takenOn: '2025-02-30' }, sqlState: '22008' },
];
/** offset → its refusal: 4 and 17, plus seeded offsets under chaos, and always the very last record. */
const POISON = (() => {
  const random = rng(SEED);
  const offsets = new Set([4, 17, COUNT - 1]);
  while (offsets.size < runs(3, 40)) offsets.add(Math.floor(random() * COUNT));
  const sorted = [...offsets].sort((a, b) => a - b);
  return new Map(sorted.map((o, i) => [o, REFUSALS[i % REFUSALS.length] as (typeof REFUSALS)[number]]));
})();
const reading = (i: number): Reading => ({
  eventId: `reading-${i}`,
  code: `TQ-${i}`,
  amount: `${i}.25`,
  takenOn: '2025-05-01',
  ...POISON.get(i)?.patch,
});

let dbUrl: string;
let consumer: BatchConsumer<Reading>;

const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: dbUrl });
  c.on('error', () => undefined); // a terminated backend also emits 'error'; the query reports it
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
};

beforeAll(async () => {
  dbUrl = await dbs.create('poison');
  await withClient(async (c) => {
    await c.query(`create table readings (event_id text primary key, code varchar(8) not null,
                     amount numeric(8,2) not null, taken_on date not null)`);
    // No unique key: a record applied twice shows up here as two rows.
    await c.query(`create table applications (event_id text not null, kafka_offset bigint not null)`);
    await c.query(`create table consumer_offsets (group_id text, topic text, partition int,
                     next_offset bigint not null, primary key (group_id, topic, partition))`);
  });
  await ensureTopics(kafka, [
    { name: topic, partitions: 1, replicationFactor: 1, config: {} },
    { name: dlq, partitions: 1, replicationFactor: 1, config: {} },
  ]);
  const registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  const publisher = new Publisher({
    kafka,
    registry,
    outputs: { readings: { topic, schema: ReadingSchema } },
    registerSchemas: true,
  });
  await publisher.start();
  try {
    const results = await publisher.publishBatch(
      'readings',
      Array.from({ length: COUNT }, (_, i) => ({ key: `k-${i}`, value: reading(i) })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
  } finally {
    await publisher.stop();
  }
}, 120_000);

afterAll(async () => {
  await consumer?.stop().catch(() => undefined);
  await deleteTestTopics(kafka, [topic, dlq]).catch(() => undefined);
  await dbs.dropAll();
}, 120_000);

/** Consolidation's contract: lock the offset row, skip what is below it, write, store the next offset, commit. */
let terminated = false;
async function handleBatch(batch: ConsumedBatch<Reading>): Promise<void> {
  await withClient(async (c) => {
    try {
      await c.query('begin');
      await c.query(`insert into consumer_offsets values ($1, $2, $3, -1) on conflict do nothing`, [
        group,
        batch.topic,
        batch.partition,
      ]);
      const { rows } = await c.query<{ next_offset: string }>(
        `select next_offset from consumer_offsets where group_id = $1 and topic = $2 and partition = $3 for update`,
        [group, batch.topic, batch.partition],
      );
      const stored = BigInt(rows[0]?.next_offset ?? '-1');
      if (BigInt(batch.nextOffset) <= stored) return await c.query('rollback');
      if (!terminated) {
        // A real outage on the very first attempt: PostgreSQL ends this connection (57P01).
        terminated = true;
        await c.query('select pg_terminate_backend(pg_backend_pid())');
      }
      for (const m of batch.messages) {
        if (BigInt(m.offset) < stored) continue;
        const v = m.value;
        await c.query(`insert into readings values ($1, $2, $3, $4)`, [
          v.eventId,
          v.code,
          v.amount,
          v.takenOn,
        ]);
        await c.query(`insert into applications values ($1, $2)`, [v.eventId, m.offset]);
      }
      await c.query(
        `update consumer_offsets set next_offset = $4 where group_id = $1 and topic = $2 and partition = $3`,
        [group, batch.topic, batch.partition, batch.nextOffset],
      );
      return await c.query('commit');
    } catch (e) {
      await c.query('rollback').catch(() => undefined);
      throw e;
    }
  });
}

describe('a record PostgreSQL refuses in a batch (ARCHITECTURE §9.2)', () => {
  it('is dead-lettered with a reason naming it; its neighbours are applied exactly once', async () => {
    consumer = new BatchConsumer<Reading>({
      kafka,
      registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL),
      groupId: group,
      inputs: [{ topic, schema: ReadingSchema }],
      deadLetters: new DeadLetterWriter(kafka, dlq),
      committedOffsets: async (t, partitions) =>
        withClient(async (c) => {
          const { rows } = await c.query<{ partition: number; next_offset: string }>(
            `select partition, next_offset from consumer_offsets
              where group_id = $1 and topic = $2 and partition = any($3) and next_offset >= 0`,
            [group, t, partitions],
          );
          return new Map(rows.map((r) => [r.partition, String(r.next_offset)]));
        }),
      handleBatch,
      maxBatchMessages: BATCH,
      retry: { attempts: 5, baseMs: 50, maxMs: 500 },
      pauseMs: 1000,
    });
    void consumer.start();

    const stored = await eventually(
      () =>
        withClient(async (c) => {
          const { rows } = await c.query<{ next_offset: string }>(
            `select next_offset from consumer_offsets where group_id = $1`,
            [group],
          );
          return rows[0]?.next_offset === String(COUNT) ? rows[0].next_offset : undefined;
        }),
      { timeoutMs: 120_000, intervalMs: 300, what: `offset ${COUNT} stored` },
    );
    expect(stored).toBe(String(COUNT));

    const applied = await withClient(async (c) =>
      (
        await c.query<{ event_id: string; n: string }>(
          `select event_id, count(*) as n from applications group by event_id order by event_id`,
        )
      ).rows.map((r) => [r.event_id, Number(r.n)] as const),
    );
    const good = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !POISON.has(i));
    expect(new Map(applied)).toEqual(new Map(good.map((i) => [`reading-${i}`, 1])));
    const readings = await withClient(
      async (c) => (await c.query<{ n: number }>('select count(*)::int as n from readings')).rows,
    );
    expect(readings).toEqual([{ n: good.length }]);

    const letters = await eventually(
      async () => {
        const all = await readTopic(kafka, dlq);
        return all.length >= POISON.size ? all : undefined;
      },
      { timeoutMs: 60_000, what: 'dead letters' },
    );
    expect(letters.map((l) => l.headers[HEADERS.dlqSource])).toEqual(
      [...POISON.keys()].map((o) => `${topic}/0/${o}`),
    );
    for (const [offset, { sqlState, patch }] of POISON) {
      const letter = letters.find((l) => l.headers[HEADERS.dlqSource] === `${topic}/0/${offset}`);
      expect(letter?.headers[HEADERS.dlqReason]).toBe('DATABASE_REJECTED');
      const error = letter?.headers[HEADERS.dlqError] ?? '';
      expect(error).toContain(`record ${topic}/0/${offset} (event reading-${offset})`);
      expect(error).toContain(`PostgreSQL ${sqlState}`);
      // The refused value stays in the dead letter's payload, not in its explanation.
      for (const bad of Object.values(patch)) expect(error).not.toContain(bad);
      expect(letter?.key).toBe(`k-${offset}`);
    }
    // The connection loss was retried, not dead-lettered; each chunk with a bad record was bisected.
    expect(consumer.stats.retries).toBeGreaterThanOrEqual(1);
    // One bisection per chunk holding a bad record (several bad records of a chunk share one).
    expect(consumer.stats.bisections).toBeGreaterThanOrEqual(1);
    expect(consumer.stats.bisections).toBeLessThanOrEqual(POISON.size);
    expect(consumer.stats.deadLettered).toBe(POISON.size);
    process.stdout.write(
      `poison-batch${CHAOS ? ' (chaos)' : ''}: ${COUNT} records in batches of ${BATCH}, ${POISON.size} refused by PostgreSQL (22P02, 22001, 22008) ` +
        `dead-lettered, ${good.length} applied once each, ${consumer.stats.bisections} bisections, ` +
        `${consumer.stats.batches} transactions committed, ${consumer.stats.retries} retries after a real 57P01\n`,
    );
  }, 180_000);
});
