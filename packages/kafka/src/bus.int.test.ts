import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DependencyUnavailableError, ValidationError } from '@hub/errors';
import { eventually, uniqueName } from '@hub/testing';
import { createKafkaClient, type KafkaClient } from './client.js';
import { ensureTopics, deleteTestTopics, groupLag } from './admin.js';
import { Publisher } from './publisher.js';
import { ConsumerRunner, type MessageContext } from './consumer.js';
import { DeadLetterWriter } from './dead-letter.js';
import { deadLetter, ok, type Outcome } from './outcome.js';
import { SchemaRegistry } from './schema-registry.js';
import { HEADERS, readHeaders } from './headers.js';
import { frame } from './codec.js';
import avro from 'avsc';

interface Ping {
  eventId: string;
  n: number;
  note: string | null;
}

const PingV1 = {
  type: 'record',
  name: 'Ping',
  namespace: 'hub.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'n', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

const endpoints = inject('endpoints');
let kafka: KafkaClient;
let registry: SchemaRegistry;
const topics: string[] = [];
const runners: ConsumerRunner<unknown>[] = [];

async function newTopic(prefix: string, partitions = 1): Promise<string> {
  const name = uniqueName(prefix);
  await ensureTopics(kafka, [{ name, partitions, replicationFactor: 1, config: {} }]);
  topics.push(name);
  return name;
}

function ping(n: number, note: string | null = null): Ping {
  return { eventId: `e-${n}`, n, note };
}

/** Every message of a topic as raw kafkajs sees it (for checking the bytes on the wire). */
async function readRaw(topic: string, count: number) {
  const raw = new Kafka({
    clientId: 'raw-reader',
    brokers: endpoints.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = raw.consumer({ groupId: uniqueName('raw') });
  const seen: {
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    offset: string;
  }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: readHeaders(message.headers),
        offset: message.offset,
      });
      return Promise.resolve();
    },
  });
  try {
    return await eventually(() => (seen.length >= count ? seen : undefined), {
      what: `${count} messages on ${topic}`,
    });
  } finally {
    await consumer.disconnect();
  }
}

function startRunner<T>(opts: {
  topic: string;
  groupId: string;
  dlqTopic: string;
  handler: (v: T, ctx: MessageContext) => Promise<Outcome>;
  retry?: { attempts: number; baseMs: number; maxMs: number };
  pauseMs?: number;
}): ConsumerRunner<T> {
  const runner = new ConsumerRunner<T>({
    kafka,
    registry,
    groupId: opts.groupId,
    inputs: [{ topic: opts.topic, schema: PingV1 }],
    handler: opts.handler,
    deadLetters: new DeadLetterWriter(kafka, opts.dlqTopic),
    retry: opts.retry ?? { attempts: 3, baseMs: 20, maxMs: 50 },
    pauseMs: opts.pauseMs ?? 60_000,
    sessionTimeoutMs: 10_000,
  });
  runners.push(runner as ConsumerRunner<unknown>);
  void runner.start();
  return runner;
}

beforeAll(() => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'bus-int-test' });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
});

afterAll(async () => {
  for (const r of runners) await r.stop().catch(() => undefined);
  await deleteTestTopics(kafka, topics).catch(() => undefined);
});

describe('bus against the real broker and registry', () => {
  it('round-trips Avro events producer → Kafka → consumer in Confluent wire format with the registered schema id', async () => {
    const topic = await newTopic('roundtrip');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    const schemaId = publisher.codec('ping').id;
    const results = await publisher.publishBatch(
      'ping',
      [1, 2, 3].map((n) => ({ key: `k-${n}`, value: ping(n, n === 2 ? 'hai' : null), source: 'test-src' })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    await publisher.stop();

    // The bytes on the wire: magic 0, the registry's id, then Avro.
    const raw = await readRaw(topic, 3);
    for (const m of raw) {
      expect(m.value?.readUInt8(0)).toBe(0);
      expect(m.value?.readUInt32BE(1)).toBe(schemaId);
      expect(m.headers[HEADERS.source]).toBe('test-src');
      expect(m.headers[HEADERS.correlationId]).toBeTruthy();
    }
    // The registry knows that id as exactly this schema.
    const registered = await registry.client.getBySubjectAndId(`${topic}-value`, schemaId);
    expect(
      avro.Type.forSchema(JSON.parse(registered.schema) as avro.Schema).equals(
        avro.Type.forSchema(PingV1 as avro.Schema),
      ),
    ).toBe(true);

    const got: { value: Ping; schemaId: number; key: string | null }[] = [];
    startRunner<Ping>({
      topic,
      groupId: uniqueName('rt'),
      dlqTopic: await newTopic('rt-dlq'),
      handler: (value, ctx) => {
        got.push({ value, schemaId: ctx.schemaId, key: ctx.key });
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (got.length >= 3 ? true : undefined), { what: 'three decoded events' });
    expect(got.map((g) => g.value)).toEqual([ping(1), ping(2, 'hai'), ping(3)]);
    expect(got.every((g) => g.schemaId === schemaId)).toBe(true);
    expect(got.map((g) => g.key)).toEqual(['k-1', 'k-2', 'k-3']);
  });

  it('compresses record batches with gzip by default (the broker stores far fewer bytes) and readers get the values back', async () => {
    // The broker's own log segments tell what it stored: the launcher's data directory (the same
    // one the global setup started the broker with).
    const dataDir = join(
      process.env.HUB_INFRA_DIR ?? resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', '.infra'),
      'kafka',
      'data',
    );
    const storedBytes = (topic: string): number => {
      const dir = join(dataDir, `${topic}-0`);
      return readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    };
    // ~1 KB values that repeat as department records do (the same words in every row).
    const values = Array.from({ length: 300 }, (_, n) =>
      ping(n, `Xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang; hồ sơ số ${n}. `.repeat(14)),
    );
    const sendAll = async (client: KafkaClient, topic: string) => {
      const publisher = new Publisher({
        kafka: client,
        registry,
        outputs: { ping: { topic, schema: PingV1 } },
        registerSchemas: true,
      });
      await publisher.start();
      try {
        const results = await publisher.publishBatch(
          'ping',
          values.map((v) => ({ key: `k-${v.n}`, value: v })),
        );
        expect(results.every((r) => r.ok)).toBe(true);
        return publisher.codec('ping');
      } finally {
        await publisher.stop();
      }
    };
    const plain = createKafkaClient({
      brokers: endpoints.KAFKA_BROKERS.split(','),
      clientId: 'bus-int-test-plain',
      compression: 'none',
    });
    expect(kafka.compression).toBe('gzip');
    const gzTopic = await newTopic('gzip');
    const plainTopic = await newTopic('plain');
    const codec = await sendAll(kafka, gzTopic);
    await sendAll(plain, plainTopic);

    const gz = storedBytes(gzTopic);
    const uncompressed = storedBytes(plainTopic);
    expect(uncompressed).toBeGreaterThan(300 * 1000);
    expect(gz).toBeLessThan(uncompressed / 5);

    const raw = await readRaw(gzTopic, values.length);
    const decoded = raw.map((m) => codec.decodeIfSameSchema(m.value)?.value as Ping);
    expect(decoded.sort((a, b) => a.n - b.n)).toEqual(values);
  });

  it('refuses to publish a value that does not fit the schema, naming the field, and still sends the good ones', async () => {
    const topic = await newTopic('invalid');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    const results = await publisher.publishBatch('ping', [
      { key: 'a', value: ping(1) },
      { key: 'b', value: { eventId: 'e-2', n: 'two', note: null } as unknown as Ping },
      { key: 'c', value: ping(3) },
    ]);
    await publisher.stop();
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = results[1];
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok) {
      expect(bad.error).toBeInstanceOf(ValidationError);
      expect(bad.error.details[0]).toMatchObject({ field: '/n' });
      expect(bad.error.details[0]?.problem).toContain('int');
    }
    const raw = await readRaw(topic, 2);
    expect(raw.map((m) => m.key)).toEqual(['a', 'c']);
  });

  it('dead-letters poison messages with their original bytes and reason, and goes on with the next', async () => {
    const topic = await newTopic('poison');
    const dlqTopic = await newTopic('poison-dlq');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    // An incompatible writer schema registered under another subject: n is a string there.
    const otherSchema = {
      ...PingV1,
      fields: [
        { name: 'eventId', type: 'string' },
        { name: 'n', type: 'string' },
      ],
    };
    const otherId = await registry.register(`${uniqueName('other')}-value`, otherSchema);
    const wrongSchemaBytes = frame(
      otherId,
      avro.Type.forSchema(otherSchema as avro.Schema).toBuffer({ eventId: 'x', n: 'not a number' }),
    );
    const notWire = Buffer.from('{"eventId":"json-not-avro"}');
    const truncated = publisher.encode('ping', ping(99)).subarray(0, 7);

    const raw = new Kafka({
      clientId: 'poison-writer',
      brokers: endpoints.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    }).producer();
    await raw.connect();
    await publisher.publish('ping', ping(1), { key: 'good-1' });
    await raw.send({ topic, messages: [{ key: 'bad-json', value: notWire, headers: { origin: 'legacy' } }] });
    await raw.send({ topic, messages: [{ key: 'bad-schema', value: wrongSchemaBytes }] });
    await raw.send({ topic, messages: [{ key: 'bad-truncated', value: truncated }] });
    await publisher.publish('ping', ping(2), { key: 'good-2' });
    await publisher.publish('ping', ping(3, 'reject me'), { key: 'rejected-by-handler' });
    await publisher.publish('ping', ping(4), { key: 'good-4' });
    await raw.disconnect();
    await publisher.stop();

    const handled: number[] = [];
    const groupId = uniqueName('poison');
    const runner = startRunner<Ping>({
      topic,
      groupId,
      dlqTopic,
      handler: (v) => {
        if (v.note === 'reject me')
          return Promise.resolve(
            deadLetter('VALIDATION_FAILED', '/note: the department sent a rejected value'),
          );
        handled.push(v.n);
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (handled.includes(4) ? true : undefined), {
      what: 'the good message after the poison',
    });
    expect(handled).toEqual([1, 2, 4]);

    const dead = await readRaw(dlqTopic, 4);
    const byKey = new Map(dead.map((d) => [d.key, d]));
    expect(byKey.get('bad-json')?.value?.equals(notWire)).toBe(true);
    expect(byKey.get('bad-json')?.headers[HEADERS.dlqReason]).toBe('NOT_WIRE_FORMAT');
    expect(byKey.get('bad-json')?.headers.origin).toBe('legacy'); // original headers kept
    expect(byKey.get('bad-schema')?.value?.equals(wrongSchemaBytes)).toBe(true);
    expect(byKey.get('bad-schema')?.headers[HEADERS.dlqReason]).toBe('SCHEMA_MISMATCH');
    expect(byKey.get('bad-truncated')?.headers[HEADERS.dlqReason]).toBe('DECODE_FAILED');
    expect(byKey.get('rejected-by-handler')?.headers[HEADERS.dlqReason]).toBe('VALIDATION_FAILED');
    for (const d of dead) {
      expect(d.headers[HEADERS.dlqSource]).toMatch(new RegExp(`^${topic.replace(/\./g, '\\.')}/0/\\d+$`));
      expect(d.headers[HEADERS.dlqError]?.length).toBeGreaterThan(10);
      expect(Number.isNaN(Date.parse(d.headers[HEADERS.dlqAt] ?? ''))).toBe(false);
      expect(d.headers[HEADERS.dlqConsumer]).toBe(groupId);
    }
    expect(runner.stats.deadLettered).toBe(4);
    // Everything is final, so everything is committed.
    await eventually(
      async () => ((await groupLag(kafka, groupId, topic))[0]?.lag === 0n ? true : undefined),
      { what: 'lag 0' },
    );
  });

  it('passes tombstones of a compacted topic to onTombstone, in order, instead of dead-lettering them', async () => {
    const topic = await newTopic('tombstones');
    const dlqTopic = await newTopic('tombstones-dlq');
    const publisher = new Publisher({ kafka, registry, outputs: { ping: { topic, schema: PingV1 } }, registerSchemas: true });
    await publisher.start();
    await publisher.publish('ping', ping(1), { key: 'm-1' });
    const raw = new Kafka({ clientId: 'tombstone-writer', brokers: endpoints.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'm-1', value: null }] });
    await raw.disconnect();
    await publisher.publish('ping', ping(2), { key: 'm-2' });
    await publisher.stop();
    const events: string[] = [];
    const runner = new ConsumerRunner<Ping>({
      kafka,
      registry,
      groupId: uniqueName('tomb'),
      inputs: [{ topic, schema: PingV1 }],
      deadLetters: new DeadLetterWriter(kafka, dlqTopic),
      handler: (v) => {
        events.push(`value ${v.n}`);
        return Promise.resolve(ok());
      },
      onTombstone: (ctx) => {
        events.push(`tombstone ${ctx.key ?? ''}`);
        return Promise.resolve(ok());
      },
    });
    runners.push(runner as ConsumerRunner<unknown>);
    void runner.start();
    await eventually(() => (events.length >= 3 ? true : undefined), { what: 'value, tombstone, value' });
    expect(events).toEqual(['value 1', 'tombstone m-1', 'value 2']);
    expect(runner.stats.deadLettered).toBe(0);
  });

  it('retries a dependency failure with backoff, without dead-lettering, and keeps the order', async () => {
    const topic = await newTopic('retry');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    await publisher.publishBatch(
      'ping',
      [1, 2, 3].map((n) => ({ key: 'same', value: ping(n) })),
    );
    await publisher.stop();
    let failures = 0;
    const seen: number[] = [];
    const runner = startRunner<Ping>({
      topic,
      groupId: uniqueName('retry'),
      dlqTopic: await newTopic('retry-dlq'),
      retry: { attempts: 5, baseMs: 10, maxMs: 20 },
      handler: (v) => {
        if (v.n === 2 && failures < 2) {
          failures++;
          return Promise.reject(new DependencyUnavailableError('postgres', 'connection refused'));
        }
        seen.push(v.n);
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (seen.length === 3 ? true : undefined), { what: 'all three' });
    expect(seen).toEqual([1, 2, 3]);
    expect(runner.stats.retries).toBe(2);
    expect(runner.stats.deadLettered).toBe(0);
  });

  it('after an outage pauses a partition, a restarted consumer gets every uncommitted message again and no committed one', async () => {
    const topic = await newTopic('restart');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    await publisher.publishBatch(
      'ping',
      [1, 2, 3, 4, 5, 6].map((n) => ({ key: 'k', value: ping(n) })),
    );
    await publisher.stop();
    const groupId = uniqueName('restart');
    const dlqTopic = await newTopic('restart-dlq');

    // First instance: the database "goes down" at message 4 and stays down.
    const first: number[] = [];
    const r1 = startRunner<Ping>({
      topic,
      groupId,
      dlqTopic,
      retry: { attempts: 2, baseMs: 5, maxMs: 10 },
      handler: (v) => {
        if (v.n >= 4) return Promise.reject(new DependencyUnavailableError('postgres', 'down'));
        first.push(v.n);
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (r1.health().pausedPartitions.length > 0 ? true : undefined), {
      what: 'partition paused',
    });
    expect(first).toEqual([1, 2, 3]);
    expect(r1.health().ok).toBe(false);
    expect(r1.health().lastError).toContain('down');
    expect(r1.stats.deadLettered).toBe(0); // an outage is not poison
    const lag = await groupLag(kafka, groupId, topic);
    expect(lag[0]).toMatchObject({ committed: 3n, end: 6n, lag: 3n });
    await r1.stop();

    // Second instance of the same group: exactly the uncommitted ones, in order.
    const second: number[] = [];
    startRunner<Ping>({
      topic,
      groupId,
      dlqTopic,
      handler: (v) => {
        second.push(v.n);
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (second.length >= 3 ? true : undefined), { what: 'redelivery' });
    await new Promise((r) => setTimeout(r, 500)); // nothing more arrives
    expect(second).toEqual([4, 5, 6]);
  });

  it('a graceful stop finishes the message in hand and commits it', async () => {
    const topic = await newTopic('graceful');
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { ping: { topic, schema: PingV1 } },
      registerSchemas: true,
    });
    await publisher.start();
    await publisher.publishBatch(
      'ping',
      [1, 2, 3, 4, 5].map((n) => ({ key: 'k', value: ping(n) })),
    );
    await publisher.stop();
    const groupId = uniqueName('graceful');
    const dlqTopic = await newTopic('graceful-dlq');
    const first: number[] = [];
    let stopping: Promise<void> | undefined;
    const r1: ConsumerRunner<Ping> = startRunner<Ping>({
      topic,
      groupId,
      dlqTopic,
      handler: async (v) => {
        if (v.n === 2) {
          stopping = r1.stop(); // stop requested while message 2 is in hand
          await new Promise((r) => setTimeout(r, 300));
        }
        first.push(v.n);
        return ok();
      },
    });
    await eventually(() => (stopping ? true : undefined), { what: 'stop requested' });
    await stopping;
    expect(r1.health().running).toBe(false);
    expect(first).toEqual([1, 2]);
    const second: number[] = [];
    startRunner<Ping>({
      topic,
      groupId,
      dlqTopic,
      handler: (v) => {
        second.push(v.n);
        return Promise.resolve(ok());
      },
    });
    await eventually(() => (second.length >= 3 ? true : undefined), { what: 'the rest' });
    expect(second).toEqual([3, 4, 5]);
  });
});
