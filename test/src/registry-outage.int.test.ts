import { randomBytes } from 'node:crypto';
import pg from 'pg';
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
import { TestHub } from './support/hub.js';
import { readTopic } from '@hub/connector-runtime/testing';
import { assertNoLeaks } from './support/leaks.js';

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
const hub = new TestHub(endpoints, 'regoutage');

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
  await hub.stop();
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

  it('http-ingest and consolidation started while the registry is down wait for it, then serve — no restart, nothing dead-lettered', async () => {
    // Their subjects are registered while the registry is up; the processes start with nothing cached.
    await hub.createTopics(1);
    const key = `police-${randomBytes(20).toString('hex')}`;
    expect(await stopRegistry(settings)).toBe(true);
    let waits: Record<string, number>;
    let started: [ReturnType<TestHub['consolidation']>, ReturnType<TestHub['httpIngest']>];
    try {
      started = [hub.consolidation(), hub.httpIngest(key, `onestop-${randomBytes(20).toString('hex')}`)];
      // Not ready (they cannot encode or decode yet), but alive and saying why they wait.
      for (const p of started) p.catch(() => undefined);
      const count = () =>
        Object.fromEntries(
          hub.procs.map((p) => [p.name, p.log().split('schema_registry_unavailable_waiting').length - 1]),
        );
      waits = await eventually(
        () => {
          const c = count();
          return Object.keys(c).length === 2 && Object.values(c).every((n) => n >= 2) ? c : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: 'both processes waiting for the registry' },
      );
      for (const p of hub.procs) expect(p.alive(), `${p.name} still running during the outage`).toBe(true);
    } finally {
      await startRegistry(settings);
    }
    const [consolidation, ingest] = await Promise.all(started);
    for (const p of hub.procs) {
      expect(p.starts, `${p.name} never restarted`).toBe(1);
      expect(p.log()).toContain('schema_registry_available');
    }
    // They work: pushed citizens are acknowledged and become master records, once each.
    const records = Array.from({ length: 5 }, (_, i) => ({
      recordId: `REGOUT-${i}`,
      updatedAt: '2025-05-01T08:00:00+07:00',
      personalId: `00819000${String(i).padStart(4, '0')}`,
      fullName: `Trần Thị Chờ ${['An', 'Bình', 'Chi', 'Dung', 'Hà'][i] ?? 'An'}`,
      dateOfBirth: '05/03/1990',
      sex: 'FEMALE',
    }));
    const res = await fetch(`${ingest.url}/v1/sources/police-residence/citizens/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ records }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(records.length);
    const db = new pg.Client({ connectionString: consolidation.dbUrl });
    await db.connect();
    try {
      await eventually(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            `select count(*) as n from citizens where personal_id like '00819000%'`,
          );
          return Number(rows[0]?.n) === records.length ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500, what: 'the pushed citizens in the master table' },
      );
    } finally {
      await db.end();
    }
    // Every record pushed was accepted above (none refused at the edge); none was dead-lettered by consolidation.
    expect(await readTopic(hub.kafka, hub.topics.dlqConsolidation)).toEqual([]);
    assertNoLeaks(hub.procs.map((p) => p.logFile));
    process.stdout.write(
      `registry-outage: started during the outage, waits logged before it came back: ${JSON.stringify(waits)}; ` +
        `${records.length} citizens pushed and consolidated after it, 0 restarts, 0 dead letters\n`,
    );
  }, 300_000);
});
