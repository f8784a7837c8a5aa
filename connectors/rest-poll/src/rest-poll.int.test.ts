import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import {
  buildPollingConnector,
  ConnectorMetrics,
  CursorStore,
  loadConfigFiles,
  type CursorCommit,
  type PollingConnector,
  type RuntimeDeps,
} from '@hub/connector-runtime';
import { createTestConnectorDb, decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import { OneStopApi, renderWorld, type SourceRecord } from '@hub/departments';
import {
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  SchemaRegistry,
  type KafkaClient,
} from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { eventually, uniqueName } from '@hub/testing';
import { RestPollConfigSchema, type RestPollConfig } from './config.js';
import { RestSource } from './rest-source.js';

const endpoints = inject('endpoints');
const KEY = 'test-one-stop-key';
let kafka: KafkaClient;
let registry: SchemaRegistry;
let connectorDb: Awaited<ReturnType<typeof createTestConnectorDb>>;
let api: OneStopApi;
let config: RestPollConfig;
const t = { obs: uniqueName('rp-obs'), dlq: uniqueName('rp-dlq'), status: uniqueName('rp-st') };
const sources: RestSource[] = [];

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

function connector(cursors: CursorStore = new CursorStore(connectorDb.db)): PollingConnector {
  const deps: RuntimeDeps = {
    kafka,
    registry,
    db: connectorDb.db,
    cursors,
    metrics: new ConnectorMetrics(),
    logger: silentLogger(),
    registerSchemas: true,
  };
  const source = new RestSource(config.source, { baseUrl: api.url, apiKey: KEY });
  sources.push(source);
  return buildPollingConnector(config, source, deps, {
    statusTopic: t.status,
    retry: { baseMs: 20, maxMs: 50 },
  });
}

type Obs = {
  eventId: string;
  operation: string;
  source: { recordId: string; updatedAt: number | null };
  status: string;
};
const published = async () =>
  (await readTopic(kafka, t.obs)).map((m) => decodeObservation<Obs>('dossier', m.value));

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'rest-poll-int-test' });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  connectorDb = await createTestConnectorDb(endpoints.DATABASE_URL);
  await ensureTopics(
    kafka,
    Object.values(t).map((name) => ({ name, partitions: 2, replicationFactor: 1, config: {} })),
  );
  // The simulated one-stop system: rate-limited, with a 503 burst and random 500s.
  api = new OneStopApi({
    apiKeys: [KEY],
    rateLimit: { perSecond: 40, burst: 8 },
    faults: { burst5xx: 3, errorRate: 0.1 },
  });
  await api.start();
  const records: SourceRecord[] = [];
  for (const h of renderWorld({ seed: 11, people: 200 })) records.push(...h.records['one-stop']);
  // 40 dossiers share one update time: more than a page, to exercise the (time, id) dedupe.
  records.slice(0, 40).forEach((r) => (r.row.ngayCapNhat = '2024-05-06T10:00:00.000+07:00'));
  await api.load(records);
  const file = fileURLToPath(
    new URL('../../config/departments/rest-poll/one-stop-dossiers.yaml', import.meta.url),
  );
  const [loaded] = loadConfigFiles([file], RestPollConfigSchema);
  if (!loaded) throw new Error('no config');
  config = RestPollConfigSchema.parse({
    ...loaded.config,
    id: `rp-${Date.now().toString(36)}`,
    pollIntervalMs: 100,
    heartbeatIntervalMs: 1000,
    countIntervalMs: 100,
    topics: { observations: t.obs, deadLetter: t.dlq },
    source: {
      ...loaded.config.source,
      pageSize: 25,
      rateLimit: { perSecond: 1000, burst: 1000 }, // faster than the server allows: it answers 429
      timeoutMs: 2000,
      retry: { attempts: 8, baseMs: 10, maxMs: 100 },
    },
  });
});

afterAll(async () => {
  await api.stop();
  await deleteTestTopics(kafka, Object.values(t)).catch(() => undefined);
  await connectorDb.drop();
});

describe('rest-poll against the simulated one-stop API', () => {
  it('snapshot through 5xx, 429 and a crash: every dossier arrives or is dead-lettered, repeats keep their eventId', async () => {
    const total = (await api.counts()).dossiers?.total ?? 0;
    const crashing = new CrashingCursorStore(connectorDb.db, 3);
    const first = connector(crashing);
    await first.start();
    await eventually(() => (crashing.calls >= 3 ? true : undefined), {
      what: 'the crash',
      timeoutMs: 60_000,
    });
    await first.stop();
    const second = connector();
    await second.start();
    let dead = 0;
    await eventually(
      async () => {
        const ids = new Set((await published()).map((e) => e.source.recordId));
        dead = (await readTopic(kafka, t.dlq)).length;
        return ids.size + dead >= total ? true : undefined;
      },
      { what: 'the snapshot', timeoutMs: 90_000 },
    );
    await eventually(() => (second.status.sourceRecordCount !== null ? true : undefined), {
      what: 'the count',
    });
    await second.stop();
    const events = await published();
    const byRecord = new Map<string, Set<string>>();
    for (const e of events)
      byRecord.set(e.source.recordId, (byRecord.get(e.source.recordId) ?? new Set()).add(e.eventId));
    expect(byRecord.size + dead).toBe(total);
    for (const ids of byRecord.values()) expect(ids.size).toBe(1);
    expect(second.status.sourceRecordCount).toBe((await api.counts()).dossiers?.live);
    expect(sources.reduce((n, s) => n + s.client.stats.retries, 0)).toBeGreaterThan(0);
  });

  it('incremental: new, advanced and deleted dossiers arrive once each', async () => {
    const seen = new Set((await published()).map((e) => e.eventId));
    api.setFaults({ errorRate: 0.1 });
    await api.tick(12);
    const c = connector();
    await c.start();
    // Every dossier's current version (id @ update time) must be in Kafka, exactly once.
    const versions = async (): Promise<Set<string>> => {
      const res = await fetch(`${api.url}/api/v1/dossiers?page=1&pageSize=500`, {
        headers: { 'x-api-key': KEY },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as {
        data: Array<{ id: number; ngayCapNhat: string }>;
        totalPages: number;
      };
      if (body.totalPages > 1) throw new Error('more than one page');
      return new Set(body.data.map((d) => `${d.id}@${Date.parse(d.ngayCapNhat)}`));
    };
    const inKafka = async () =>
      new Set((await published()).map((e) => `${e.source.recordId}@${e.source.updatedAt}`));
    await eventually(
      async () => {
        const [want, have] = [await versions(), await inKafka()];
        return [...want].every((v) => have.has(v)) ? true : undefined;
      },
      { what: 'the changes', timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 500)); // more polls: nothing else may arrive
    await c.stop();
    const fresh = (await published()).filter((e) => !seen.has(e.eventId));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length).toBeLessThanOrEqual(12);
    expect(new Set(fresh.map((e) => e.eventId)).size).toBe(fresh.length);
    const perVersion = new Set(fresh.map((e) => `${e.source.recordId}@${e.source.updatedAt}`));
    expect(perVersion.size).toBe(fresh.length);
  });
});
