import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  HEADERS,
  SchemaRegistry,
  type KafkaClient,
} from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { eventually, uniqueName } from '@hub/testing';
import { connectorConfigSchema } from './config/schema.js';
import { CursorStore, type CursorCommit } from './db/cursor-store.js';
import { ConnectorMetrics } from './metrics.js';
import type { PollSource, SourceBatch } from './polling.js';
import { buildPollingConnector, type RuntimeDeps } from './runtime.js';
import { CONNECTOR_DLQ_HEADERS } from './sink.js';
import { createTestConnectorDb, decodeObservation, decodeStatus, readTopic } from './testing.js';

const endpoints = inject('endpoints');
let kafka: KafkaClient;
let registry: SchemaRegistry;
let testDb: Awaited<ReturnType<typeof createTestConnectorDb>>;
const topics: string[] = [];

/** An in-memory source: rows in order, the cursor is the index of the next row. */
class ArraySource implements PollSource {
  constructor(readonly rows: Record<string, unknown>[]) {}
  open = () => Promise.resolve();
  close = () => Promise.resolve();
  read(cursor: string | undefined, limit: number): Promise<SourceBatch> {
    const from = cursor === undefined ? 0 : Number(cursor);
    const records = this.rows.slice(from, from + limit).map((data) => ({ data }));
    const next = from + records.length;
    return Promise.resolve({ records, cursor: String(next), more: next < this.rows.length });
  }
  count = () => Promise.resolve(this.rows.length);
  listKeys = () => Promise.resolve(new Set(this.rows.map((r) => String(r.id))));
}

/** Fails the n-th commit once: Kafka has the batch, the cursor does not (a crash at the worst moment). */
class FlakyCursorStore extends CursorStore {
  calls = 0;
  constructor(
    db: ConstructorParameters<typeof CursorStore>[0],
    private readonly failAt: number,
  ) {
    super(db);
  }
  override async commit(id: string, c: CursorCommit): Promise<void> {
    this.calls++;
    if (this.calls === this.failAt) throw new Error('simulated crash after publish, before cursor commit');
    return super.commit(id, c);
  }
}

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'runtime-int-test' });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  testDb = await createTestConnectorDb(endpoints.DATABASE_URL);
});

afterAll(async () => {
  await deleteTestTopics(kafka, topics).catch(() => undefined);
  await testDb.drop();
});

async function newTopics() {
  const t = { obs: uniqueName('rt-obs'), dlq: uniqueName('rt-dlq'), status: uniqueName('rt-status') };
  topics.push(t.obs, t.dlq, t.status);
  await ensureTopics(
    kafka,
    [t.obs, t.dlq, t.status].map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })),
  );
  return t;
}

const Schema = connectorConfigSchema('memory', {});

describe('PollingConnector against real Kafka, registry and PostgreSQL', () => {
  it('publishes every good row, dead-letters the bad one with its reason, survives a failed cursor commit without loss, and heartbeats', async () => {
    const t = await newTopics();
    const id = `rt-${Date.now().toString(36)}`;
    const config = Schema.parse({
      id,
      kind: 'memory',
      source: { system: 'test-memory' },
      batchSize: 4,
      pollIntervalMs: 50,
      heartbeatIntervalMs: 200,
      countIntervalMs: 100,
      topics: { observations: t.obs, deadLetter: t.dlq },
      mapping: {
        entity: 'citizen',
        recordId: 'id',
        version: 'v',
        fields: { fullName: 'name', dateOfBirth: 'dob' },
      },
    });
    const rows = Array.from({ length: 10 }, (_, i) => ({
      id: i + 1,
      v: 1,
      name: `Nguyễn Văn ${String.fromCharCode(65 + i)}`,
      dob: i === 6 ? '31/02/1990' : '01/02/1990',
    }));
    const source = new ArraySource([...rows]);
    const cursors = new FlakyCursorStore(testDb.db, 2);
    const deps: RuntimeDeps = {
      kafka,
      registry,
      db: testDb.db,
      cursors,
      metrics: new ConnectorMetrics(),
      logger: silentLogger(),
      registerSchemas: true,
    };
    const connector = buildPollingConnector(config, source, deps, {
      statusTopic: t.status,
      deleteComparisonIntervalMs: 0,
      retry: { baseMs: 20, maxMs: 50 },
    });
    await connector.start();
    await eventually(async () => ((await cursors.load(id)) === '10' ? true : undefined), {
      what: 'cursor at the end',
    });

    // A row deleted at the source is found by key comparison and published as a DELETE.
    source.rows.splice(0, 1);
    await eventually(async () => ((await cursors.knownKeys(id)).has('1') ? undefined : true), {
      what: 'deletion of row 1',
    });
    await connector.pause();
    expect(connector.health().state).toBe('PAUSED');
    await connector.resume();
    await connector.stop();

    const published = (await readTopic(kafka, t.obs)).map((m) => ({
      key: m.key,
      v: decodeObservation<{ eventId: string; operation: string; source: { recordId: string } }>(
        'citizen',
        m.value,
      ),
    }));
    const upserts = published.filter((p) => p.v.operation === 'UPSERT');
    const byRecord = new Map<string, Set<string>>();
    for (const p of upserts)
      byRecord.set(p.v.source.recordId, (byRecord.get(p.v.source.recordId) ?? new Set()).add(p.v.eventId));
    // Nothing lost: every good row arrived. Duplicates (the batch whose commit failed) carry the same eventId.
    expect([...byRecord.keys()].sort((a, b) => Number(a) - Number(b))).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '8',
      '9',
      '10',
    ]);
    for (const ids of byRecord.values()) expect(ids.size).toBe(1);
    expect(upserts.length).toBeGreaterThan(9); // the failed commit's batch was re-sent
    expect(published.filter((p) => p.v.operation === 'DELETE').map((p) => p.key)).toEqual(['test-memory:1']);

    const dead = await readTopic(kafka, t.dlq);
    expect(dead.length).toBeGreaterThanOrEqual(1);
    const letter = dead[0]!;
    expect(letter.headers[HEADERS.dlqReason]).toBe('MAPPING_FAILED');
    expect(letter.headers[HEADERS.dlqError]).toContain('dateOfBirth');
    expect(letter.headers[CONNECTOR_DLQ_HEADERS.recordId]).toBe('7');
    expect(JSON.parse(letter.value!.toString())).toEqual(rows[6]);
    expect(JSON.parse(letter.headers[CONNECTOR_DLQ_HEADERS.details]!)[0]).toMatchObject({
      field: 'dateOfBirth',
      source: 'dob',
    });

    const beats = (await readTopic(kafka, t.status)).map((m) =>
      decodeStatus<Record<string, unknown>>(m.value),
    );
    expect(beats.every((b) => b.connectorId === id)).toBe(true);
    const last = beats[beats.length - 1]!;
    expect(last).toMatchObject({
      state: 'STOPPED',
      cursor: '10',
      recordsRejected: 0,
      connectorKind: 'memory',
      sourceSystem: 'test-memory',
    });
    expect(last.recordsPublished as number).toBeGreaterThanOrEqual(10);
    expect(last.recordsDeadLettered as number).toBeGreaterThanOrEqual(1);
    expect(last.sourceRecordCount).not.toBeNull();
    expect(
      beats.some((b) => typeof b.lastError === 'string' && b.lastError.includes('simulated crash')),
    ).toBe(true);
    expect(beats.map((b) => b.state)).toContain('PAUSED');
  });

  it('lets an operator view and reset a cursor', async () => {
    const store = new CursorStore(testDb.db);
    await store.commit('op-test', {
      cursor: '{"ts":"x"}',
      upsertKeys: [{ recordId: 'a', versionToken: 'e1', identity: null }],
    });
    expect((await store.view('op-test'))[0]).toMatchObject({
      connectorId: 'op-test',
      cursor: '{"ts":"x"}',
      updatedBy: 'connector',
    });
    await store.reset('op-test');
    expect(await store.load('op-test')).toBeUndefined();
    expect((await store.view('op-test'))[0]?.updatedBy).toBe('operator');
    expect((await store.knownKeys('op-test')).size).toBe(0);
  });
});
