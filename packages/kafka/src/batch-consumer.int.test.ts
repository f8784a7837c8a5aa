import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, uniqueName } from '@hub/testing';
import { deleteTestTopics, ensureTopics } from './admin.js';
import { BatchConsumer, type ConsumedBatch } from './batch-consumer.js';
import { createKafkaClient, type KafkaClient } from './client.js';
import { DeadLetterWriter } from './dead-letter.js';
import { Publisher } from './publisher.js';
import { SchemaRegistry } from './schema-registry.js';

/**
 * `partitionsConsumedConcurrently`: batches of different partitions are handled at the same time,
 * each partition's in offset order. Real broker and registry. The handler holds each batch until a
 * batch of another partition is in flight too (or 3 s pass), so a consumer that handles one
 * partition at a time never shows two in flight.
 */
interface Tick {
  eventId: string;
  n: number;
}
const TickSchema = {
  type: 'record',
  name: 'Tick',
  namespace: 'hub.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'n', type: 'int' },
  ],
};

const endpoints = inject('endpoints');
const COUNT = 60;
let kafka: KafkaClient;
let registry: SchemaRegistry;
const topic = uniqueName('kafka.concurrent.ticks');
const dlq = uniqueName('kafka.concurrent.dlq');

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'concurrent-test' });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  await ensureTopics(kafka, [
    { name: topic, partitions: 2, replicationFactor: 1, config: {} },
    { name: dlq, partitions: 1, replicationFactor: 1, config: {} },
  ]);
  const publisher = new Publisher({
    kafka,
    registry,
    outputs: { ticks: { topic, schema: TickSchema } },
    registerSchemas: true,
  });
  await publisher.start();
  try {
    // 60 keys land on both partitions (the default partitioner hashes the key).
    const results = await publisher.publishBatch(
      'ticks',
      Array.from({ length: COUNT }, (_, n) => ({ key: `k-${n}`, value: { eventId: `t-${n}`, n } })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
  } finally {
    await publisher.stop();
  }
}, 60_000);

afterAll(async () => {
  await deleteTestTopics(kafka, [topic, dlq]).catch(() => undefined);
}, 60_000);

describe('BatchConsumer partitionsConsumedConcurrently', () => {
  it('handles two partitions at the same time, each in offset order, every message once', async () => {
    const inFlight = new Set<number>();
    let most = 0;
    const seen = new Map<number, string[]>();
    const handled: number[] = [];
    const consumer = new BatchConsumer<Tick>({
      kafka,
      registry,
      groupId: uniqueName('kafka.concurrent'),
      inputs: [{ topic, schema: TickSchema }],
      deadLetters: new DeadLetterWriter(kafka, dlq),
      committedOffsets: () => Promise.resolve(new Map()),
      maxBatchMessages: 5,
      partitionsConsumedConcurrently: 2,
      handleBatch: async (batch: ConsumedBatch<Tick>) => {
        inFlight.add(batch.partition);
        most = Math.max(most, inFlight.size);
        const until = Date.now() + 3000;
        while (inFlight.size < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        // Keep this batch in flight a little longer, so the other partition's is not left alone.
        await new Promise((r) => setTimeout(r, 20));
        seen.set(batch.partition, [
          ...(seen.get(batch.partition) ?? []),
          ...batch.messages.map((m) => m.offset),
        ]);
        handled.push(...batch.messages.map((m) => m.value.n));
        inFlight.delete(batch.partition);
      },
    });
    void consumer.start();
    try {
      await eventually(() => expect(handled.length).toBe(COUNT), {
        timeoutMs: 60_000,
        what: `all ${COUNT} ticks handled`,
      });
    } finally {
      await consumer.stop();
    }
    expect(most).toBe(2);
    expect([...seen.keys()].sort()).toEqual([0, 1]);
    for (const offsets of seen.values()) expect(offsets.map(Number)).toEqual(offsets.map((_, i) => i)); // in order, none twice
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, n) => n));
  }, 90_000);
});
