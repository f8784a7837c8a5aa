import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, uniqueName } from '@hub/testing';
import { deleteTestTopics, ensureTopics, groupLag } from './admin.js';
import { createKafkaClient, type KafkaClient } from './client.js';
import { ConsumerRunner } from './consumer.js';
import { DeadLetterWriter } from './dead-letter.js';
import { HEADERS, readHeaders } from './headers.js';
import { ok } from './outcome.js';
import { RACE_RETRIES } from './poison-batch.js';
import { Publisher } from './publisher.js';
import { SchemaRegistry } from './schema-registry.js';

/**
 * Decision 0008 in the per-message ConsumerRunner (the steward console's consumers), against the
 * real broker, registry and PostgreSQL: a handler stores each message in its own transaction. The
 * records PostgreSQL refuses for their data (22P02, 22001, 22008, and a unique violation that is no
 * race) are dead-lettered with a reason naming them, every other one is stored exactly once, and the
 * real outages met on the way — a statement timeout (57014), the handler's backend terminated
 * (57P01), a database that refuses connections — are retried, never dead-lettered.
 */
const endpoints = inject('endpoints');
let kafka: KafkaClient;
let registry: SchemaRegistry;
let admin: pg.Client;
const dbName = `kafka_consumer_test_${randomBytes(4).toString('hex')}`;
let dbUrl: string;
const topics: string[] = [];
const runners: ConsumerRunner<unknown>[] = [];

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

const reading = (i: number, patch: Partial<Reading> = {}): Reading => ({
  eventId: `reading-${i}`,
  code: `TQ-${i}`,
  amount: String(i * 10),
  takenOn: '2025-05-01',
  ...patch,
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined); // a terminated backend also emits 'error'; the query reports it
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** One transaction per message, as the console's repositories do: insert the reading, commit. */
async function store(url: string, r: Reading, before?: (c: pg.Client) => Promise<void>): Promise<void> {
  await withClient(url, async (c) => {
    try {
      await c.query('begin');
      await c.query('insert into readings values ($1, $2, $3, $4)', [r.eventId, r.code, r.amount, r.takenOn]);
      await before?.(c);
      await c.query('commit');
    } catch (e) {
      await c.query('rollback').catch(() => undefined);
      throw e;
    }
  });
}

async function newTopic(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await ensureTopics(kafka, [{ name, partitions: 1, replicationFactor: 1, config: {} }]);
  topics.push(name);
  return name;
}

async function publish(topic: string, values: readonly Reading[]): Promise<void> {
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
      values.map((value) => ({ key: value.eventId, value })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
  } finally {
    await publisher.stop();
  }
}

/** Every message of a topic (a throwaway group from the beginning), once `count` have arrived. */
async function readAll(topic: string, count: number) {
  const consumer = kafka.raw.consumer({ groupId: uniqueName('dlq-reader') });
  const seen: { key: string | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({ key: message.key?.toString() ?? null, headers: readHeaders(message.headers) });
      return Promise.resolve();
    },
  });
  try {
    await eventually(() => (seen.length >= count ? true : undefined), { what: `${count} on ${topic}` });
    await new Promise((r) => setTimeout(r, 300)); // and nothing more
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

async function rowsPerEvent(): Promise<Map<string, number>> {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query<{ event_id: string; n: number }>(
      'select event_id, count(*)::int as n from readings group by event_id',
    );
    return new Map(rows.map((r) => [r.event_id, r.n]));
  });
}

function startRunner(
  topic: string,
  groupId: string,
  dlq: string,
  handler: (r: Reading) => Promise<void>,
  pauseMs = 60_000,
): ConsumerRunner<Reading> {
  const runner = new ConsumerRunner<Reading>({
    kafka,
    registry,
    groupId,
    inputs: [{ topic, schema: ReadingSchema }],
    deadLetters: new DeadLetterWriter(kafka, dlq),
    retry: { attempts: 4, baseMs: 20, maxMs: 100 },
    pauseMs,
    sessionTimeoutMs: 10_000,
    handler: async (r) => {
      await handler(r);
      return ok();
    },
  });
  runners.push(runner as ConsumerRunner<unknown>);
  void runner.start();
  return runner;
}

beforeAll(async () => {
  kafka = createKafkaClient({
    brokers: endpoints.KAFKA_BROKERS.split(','),
    clientId: 'consumer-pg-int-test',
  });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  admin = new pg.Client({ connectionString: endpoints.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(endpoints.DATABASE_URL);
  url.pathname = `/${dbName}`;
  dbUrl = url.toString();
  await withClient(dbUrl, (c) =>
    // No key on event_id: a message applied twice shows up as two rows. The code is unique.
    c.query(`create table readings (event_id text not null, code varchar(8) not null unique,
               amount integer not null, taken_on date not null)`),
  );
});

afterAll(async () => {
  for (const r of runners) await r.stop().catch(() => undefined);
  await deleteTestTopics(kafka, topics).catch(() => undefined);
  if (!dbName.includes('test')) throw new Error('refusing to drop a database without "test" in its name');
  await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  await admin.end();
});

describe('ConsumerRunner with a handler writing to PostgreSQL (decision 0008)', () => {
  it('dead-letters each message PostgreSQL refuses, naming it; stores the others once; retries real outages', async () => {
    const topic = await newTopic('cr-pg');
    const dlq = await newTopic('cr-pg-dlq');
    const groupId = uniqueName('cr-pg');
    /** offset → what PostgreSQL refuses in it, and the SQLSTATE it answers. */
    const refused = new Map<number, { patch: Partial<Reading>; sqlState: string }>([
      [2, { patch: { amount: 'mười hai' }, sqlState: '22P02' }],
      [4, { patch: { code: 'TQ-0' }, sqlState: '23505' }], // the code of reading 0: no race, a duplicate
      [5, { patch: { code: 'TQ-0123456789' }, sqlState: '22001' }],
      [6, { patch: { takenOn: '2025-02-30' }, sqlState: '22008' }],
    ]);
    const COUNT = 9;
    await publish(
      topic,
      Array.from({ length: COUNT }, (_, i) => reading(i, refused.get(i)?.patch)),
    );

    const attempts = new Map<number, string[]>(); // per reading: the SQLSTATE of each failed attempt, or 'ok'
    const note = (i: number, what: string) => attempts.set(i, [...(attempts.get(i) ?? []), what]);
    const runner = startRunner(topic, groupId, dlq, async (r) => {
      const i = Number(r.eventId.split('-')[1]);
      const first = !attempts.has(i);
      try {
        await store(dbUrl, r, async (c) => {
          // Real outages on the first attempt of two good readings, after their insert (lost work).
          if (first && i === 1) {
            await c.query(`set local statement_timeout = '20ms'`);
            await c.query('select pg_sleep(1)'); // 57014 query_canceled
          }
          if (first && i === 3) await c.query('select pg_terminate_backend(pg_backend_pid())'); // 57P01
        });
        note(i, 'ok');
      } catch (e) {
        note(i, String((e as { code?: unknown }).code));
        throw e;
      }
    });

    await eventually(
      async () => ((await groupLag(kafka, groupId, topic))[0]?.lag === 0n ? true : undefined),
      { timeoutMs: 60_000, what: 'every offset committed' },
    );
    const good = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !refused.has(i));
    expect(await rowsPerEvent()).toEqual(new Map(good.map((i) => [`reading-${i}`, 1])));

    // The outages were real, retried and then stored; the refusals were real too.
    expect(attempts.get(1)).toEqual(['57014', 'ok']);
    expect(attempts.get(3)).toEqual(['57P01', 'ok']);
    expect(attempts.get(2)).toEqual(['22P02']); // a data error is not retried
    expect(attempts.get(4)).toEqual(Array<string>(RACE_RETRIES + 1).fill('23505')); // a possible race is, a little
    expect(attempts.get(5)).toEqual(['22001']);
    expect(attempts.get(6)).toEqual(['22008']);

    const letters = await readAll(dlq, refused.size);
    expect(letters.map((l) => l.headers[HEADERS.dlqSource])).toEqual(
      [...refused.keys()].map((o) => `${topic}/0/${o}`),
    );
    for (const [offset, { sqlState, patch }] of refused) {
      const letter = letters.find((l) => l.headers[HEADERS.dlqSource] === `${topic}/0/${offset}`);
      expect(letter?.key).toBe(`reading-${offset}`);
      expect(letter?.headers[HEADERS.dlqReason]).toBe('DATABASE_REJECTED');
      expect(letter?.headers[HEADERS.dlqConsumer]).toBe(groupId);
      const error = letter?.headers[HEADERS.dlqError] ?? '';
      expect(error).toContain(
        `record ${topic}/0/${offset} (event reading-${offset}) fails on its own: PostgreSQL ${sqlState}`,
      );
      for (const bad of Object.values(patch)) expect(error).not.toContain(bad); // the value stays in the payload
    }
    expect(runner.stats).toMatchObject({
      processed: good.length,
      deadLettered: refused.size,
      retries: 2 + RACE_RETRIES,
      blocked: 0,
    });
    expect(runner.health()).toMatchObject({ ok: true, pausedPartitions: [] });
    process.stdout.write(
      `consumer-postgres: ${COUNT} messages, ${refused.size} refused by PostgreSQL (22P02, 23505 after ${RACE_RETRIES} retries, 22001, 22008) dead-lettered, ` +
        `${good.length} stored once each, real 57014 and 57P01 retried (${runner.stats.retries} retries in all)\n`,
    );
  });

  it('a database that refuses connections pauses the partition, dead-letters nothing, and every message is stored once it is back', async () => {
    const topic = await newTopic('cr-pg-down');
    const dlq = await newTopic('cr-pg-down-dlq');
    const groupId = uniqueName('cr-pg-down');
    await publish(
      topic,
      [10, 11, 12].map((i) => reading(i)),
    );
    // A port nothing listens on: connections are refused (ECONNREFUSED), like a database that is down.
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const down = new URL(dbUrl);
    down.host = `127.0.0.1:${closedPort}`;
    let url = down.toString();
    const errors: string[] = [];
    const runner = startRunner(
      topic,
      groupId,
      dlq,
      async (r) => {
        try {
          await store(url, r);
        } catch (e) {
          errors.push(String((e as { code?: unknown }).code));
          throw e;
        }
      },
      500,
    );
    await eventually(() => (runner.health().pausedPartitions.length > 0 ? true : undefined), {
      what: 'the partition paused',
    });
    expect(errors.slice(0, 4)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(runner.stats.deadLettered).toBe(0);
    expect(runner.health().lastError).toContain('ECONNREFUSED');
    expect((await groupLag(kafka, groupId, topic))[0]?.lag ?? 3n).toBeGreaterThan(0n);

    url = dbUrl; // the database is back
    await eventually(
      async () => ((await groupLag(kafka, groupId, topic))[0]?.lag === 0n ? true : undefined),
      { timeoutMs: 60_000, what: 'every offset committed after the outage' },
    );
    const rows = await rowsPerEvent();
    expect([10, 11, 12].map((i) => rows.get(`reading-${i}`))).toEqual([1, 1, 1]);
    expect(runner.stats.deadLettered).toBe(0);
    expect(runner.stats.blocked).toBeGreaterThanOrEqual(1);
  });
});
