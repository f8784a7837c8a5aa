import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadSettings, startRegistry, status, stopRegistry } from '@hub/infra-local';
import {
  ConsumerRunner,
  DeadLetterWriter,
  Publisher,
  SchemaRegistry,
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  ok,
} from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';

/**
 * Issue 11 / ARCHITECTURE §9: the schema registry down for a while is an outage, not bad data.
 * A consumer meeting a schema id it has not seen while the registry is down waits (retries, then
 * pauses the partition) and processes the message once the registry is back; nothing is
 * dead-lettered for that reason.
 */
const endpoints = inject('endpoints');
const settings = loadSettings();
const kafka = createKafkaClient({
  brokers: endpoints.KAFKA_BROKERS.split(','),
  clientId: 'registry-outage-test',
});
const topics: string[] = [];

const V1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'hub.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'value', type: 'int' },
  ],
};
const V2 = { ...V1, fields: [...V1.fields, { name: 'unit', type: ['null', 'string'], default: null }] };

afterAll(async () => {
  // Leave the registry running for the next test file whatever happened here.
  if (!(await status(settings)).find((c) => c.name === 'registry')?.up) await startRegistry(settings);
  await deleteTestTopics(kafka, topics).catch(() => undefined);
}, 180_000);

describe('schema registry outage', () => {
  it('a consumer waits for the registry instead of dead-lettering, then catches up', async () => {
    const registryRow = (await status(settings)).find((c) => c.name === 'registry');
    expect(
      registryRow?.startedByThisCheckout,
      'this test restarts the registry, so this checkout must have started it',
    ).toBe(true);
    const topic = uniqueName('regoutage');
    const dlq = uniqueName('regoutage-dlq');
    topics.push(topic, dlq);
    await ensureTopics(
      kafka,
      [topic, dlq].map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })),
    );
    const registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
    await registry.setCompatibility(`${topic}-value`, 'BACKWARD_TRANSITIVE');
    // The reader knows v1; a writer will use v2, whose id the reader has never seen.
    const v1Writer = new Publisher({
      kafka,
      registry,
      outputs: { r: { topic, schema: V1 } },
      registerSchemas: true,
    });
    const v2Writer = new Publisher({
      kafka,
      registry,
      outputs: { r: { topic, schema: V2 } },
      registerSchemas: true,
    });
    await v1Writer.start();
    await v2Writer.start();
    await v1Writer.publish('r', { eventId: 'a', value: 1 }, { key: 'k' });

    const handled: string[] = [];
    const runner = new ConsumerRunner<{ eventId: string; value: number }>({
      kafka,
      registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL),
      groupId: uniqueName('regoutage'),
      inputs: [{ topic, schema: V1 }],
      deadLetters: new DeadLetterWriter(kafka, dlq),
      retry: { attempts: 3, baseMs: 100, maxMs: 300 },
      pauseMs: 2000,
      handler: (v) => {
        handled.push(v.eventId);
        return Promise.resolve(ok());
      },
    });
    void runner.start();
    await eventually(() => (handled.includes('a') ? true : undefined), { what: 'the v1 message' });

    expect(await stopRegistry(settings)).toBe(true);
    try {
      await v2Writer.publish('r', { eventId: 'b', value: 2, unit: 'kWh' }, { key: 'k' }); // id cached: no registry needed
      await eventually(() => (runner.health().pausedPartitions.length > 0 ? true : undefined), {
        timeoutMs: 60_000,
        what: 'the consumer to wait (pause)',
      });
      expect(handled).toEqual(['a']);
      expect(runner.stats.deadLettered).toBe(0);
      expect(runner.health().lastError).toMatch(/schema registry is unreachable/);
    } finally {
      await startRegistry(settings);
    }
    await eventually(() => (handled.includes('b') ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the v2 message after the registry came back',
    });
    expect(handled).toEqual(['a', 'b']);
    expect(runner.stats.deadLettered).toBe(0);
    expect(runner.health().ok).toBe(true);
    await runner.stop();
    await v1Writer.stop();
    await v2Writer.stop();
  }, 240_000);
});
