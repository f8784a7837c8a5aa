/**
 * The whole province flows: the five simulated departments (small seed) and every connector
 * process, started as `npm start` would start them (node dist/main.js, configuration folders,
 * environment), on unique test topics and databases. For each connector, the records that reach
 * Kafka plus those dead-lettered or rejected with a reason must equal the simulator's ground truth.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTestConnectorDb,
  decodeObservation,
  decodeStatus,
  readTopic,
} from '@hub/connector-runtime/testing';
import { Departments, dropDatabase, type DatabaseTarget } from '@hub/departments';
import { createKafkaClient, deleteTestTopics, ensureTopics, type KafkaClient } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { eventually, uniqueName } from '@hub/testing';

const endpoints = inject('endpoints');
const here = fileURLToPath(new URL('.', import.meta.url));
const connectorsDir = join(here, '..', '..');
const PEOPLE = 300;
const ONE_STOP_KEY = 'test-one-stop-key';
const POLICE_KEY = `test-police-${randomBytes(16).toString('hex')}`;
const suffix = randomBytes(3).toString('hex');
const t = {
  citizen: uniqueName('prov-citizen'),
  business: uniqueName('prov-business'),
  dossier: uniqueName('prov-dossier'),
  status: uniqueName('prov-status'),
};
const dlqOf = (id: string) => `test.prov-dlq.${id}.${suffix}`;
// As in the demo: civil status on MariaDB, the business registry on PostgreSQL.
const civil: DatabaseTarget = {
  client: 'mysql2',
  serverUrl: 'mysql://root@127.0.0.1:3306',
  database: `dept_test_${suffix}_civil`,
};
const business: DatabaseTarget = {
  client: 'pg',
  serverUrl: endpoints.DATABASE_URL.replace(/\/[^/]*$/, ''),
  database: `dept_test_${suffix}_biz`,
};

let kafka: KafkaClient;
let connectorDb: Awaited<ReturnType<typeof createTestConnectorDb>>;
let departments: Departments;
let work: string;
let httpPort: number;
const children: ChildProcess[] = [];
const logs: string[] = [];
const deadTopics: string[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The department configuration files of a kind, rewritten onto test topics (ids and mappings kept). */
async function configFolder(
  kind: string,
  edit: (doc: Record<string, unknown>) => void = () => undefined,
): Promise<string> {
  const from = join(connectorsDir, 'config', 'departments', kind);
  const to = join(work, 'config', kind);
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    const doc = parse(await readFile(join(from, name), 'utf8')) as Record<string, unknown> & {
      id: string;
      mapping?: { entity: keyof typeof t };
    };
    if (doc.mapping) {
      doc.topics = { observations: t[doc.mapping.entity], deadLetter: dlqOf(doc.id) };
      deadTopics.push(dlqOf(doc.id));
      Object.assign(doc, { pollIntervalMs: 300, countIntervalMs: 300, heartbeatIntervalMs: 1000 });
    }
    edit(doc);
    await writeFile(join(to, name), stringify(doc));
  }
  return to;
}

function start(kind: string, env: Record<string, string>): void {
  const child = spawn(process.execPath, [join(connectorsDir, kind, 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
      CONNECTOR_DATABASE_URL: connectorDb.url,
      CONNECTOR_STATUS_TOPIC: t.status,
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      REGISTER_SCHEMAS: 'true',
      ENSURE_TOPICS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => logs.push(`[${kind}] ${b.toString().slice(0, 2000)}`);
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  children.push(child);
}

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'province-int-test' });
  connectorDb = await createTestConnectorDb(endpoints.DATABASE_URL);
  work = await mkdtemp(join(tmpdir(), 'hub-province-test-'));
  httpPort = await freePort();
  await ensureTopics(
    kafka,
    Object.values(t).map((name) => ({ name, partitions: 3, replicationFactor: 1, config: {} })),
  );
  departments = new Departments({
    world: { seed: 17, people: PEOPLE },
    civilStatus: civil,
    business,
    oneStop: { port: 0, apiKeys: [ONE_STOP_KEY], rateLimit: { perSecond: 20, burst: 40 } },
    push: {
      targetUrl: `http://127.0.0.1:${httpPort}/v1/sources/police-residence/citizens/batch`,
      apiKey: POLICE_KEY,
    },
    fileDropDir: join(work, 'drop'),
    logger: silentLogger(),
  });
  await departments.startAndSeed();

  const sql = await configFolder('sql-poll', (d) => {
    // Hard-delete comparison every 2 s instead of 5 min; nothing here deletes, so nothing may come of it.
    const source = d.source as { deleteDetection?: { intervalMs: number } };
    if (source.deleteDetection) source.deleteDetection.intervalMs = 2000;
  });
  const rest = await configFolder('rest-poll');
  const files = await configFolder('file-drop', (d) => Object.assign(d.source as object, { minAgeMs: 0 }));
  const ingest = await configFolder('http-ingest', (d) => {
    d.topics = { observations: { citizen: t.citizen }, status: t.status };
  });
  const serverUrl = (target: DatabaseTarget) => `${target.serverUrl}/${target.database}`;
  start('sql-poll', {
    CONNECTOR_CONFIG: sql,
    CIVIL_STATUS_DB_URL: serverUrl(civil).replace('root@', 'root:@'),
    BUSINESS_REGISTRY_DB_URL: serverUrl(business),
  });
  start('rest-poll', {
    CONNECTOR_CONFIG: rest,
    ONE_STOP_API_URL: departments.oneStop.url,
    ONE_STOP_API_KEY: ONE_STOP_KEY,
  });
  start('file-drop', { CONNECTOR_CONFIG: files, SOCIAL_PROTECTION_DROP_DIR: join(work, 'drop') });
  start('http-ingest', {
    CONNECTOR_CONFIG: ingest,
    HTTP_PORT: String(httpPort),
    HTTP_HOST: '127.0.0.1',
    INGEST_KEY_POLICE_RESIDENCE: POLICE_KEY,
  });
  await eventually(
    async () =>
      (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.ok ? true : undefined,
    {
      what: `http-ingest to be ready\n${logs.join('\n')}`,
      timeoutMs: 60_000,
    },
  );
});

afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode === null ? new Promise<void>((r) => c.once('exit', () => r())) : Promise.resolve(),
    ),
  );
  await departments.stop();
  await dropDatabase(civil).catch(() => undefined);
  await dropDatabase(business).catch(() => undefined);
  await deleteTestTopics(kafka, [...Object.values(t), ...deadTopics]).catch(() => undefined);
  await connectorDb.drop();
  await rm(work, { recursive: true, force: true });
});

type Obs = { eventId: string; source: { recordId: string; connectorId: string } };

/** Per connector: distinct records published, and dead letters. */
async function arrived(): Promise<Map<string, { records: number; events: number; dead: number }>> {
  const out = new Map<string, { records: number; events: number; dead: number }>();
  const ids = new Map<string, { records: Set<string>; events: Set<string> }>();
  for (const entity of ['citizen', 'business', 'dossier'] as const) {
    for (const m of await readTopic(kafka, t[entity])) {
      const o = decodeObservation<Obs>(entity, m.value);
      const e = ids.get(o.source.connectorId) ?? { records: new Set(), events: new Set() };
      e.records.add(o.source.recordId);
      e.events.add(o.eventId);
      ids.set(o.source.connectorId, e);
    }
  }
  for (const [id, e] of ids) out.set(id, { records: e.records.size, events: e.events.size, dead: 0 });
  for (const topic of deadTopics) {
    const id = topic.split('.')[2] ?? '';
    const dead = (await readTopic(kafka, topic).catch(() => [])).length;
    out.set(id, { ...(out.get(id) ?? { records: 0, events: 0 }), dead });
  }
  return out;
}

describe('every simulated department through its connector', () => {
  it('record counts in Kafka match the simulators’ ground truth (minus rejections with a reason)', async () => {
    // The police system pushes its queue to http-ingest (batches of 100, 207 when some are rejected).
    const responses = await departments.push.flush();
    expect(responses.every((r) => r.ok)).toBe(true);
    const rejectedByIngest = responses.reduce(
      (n, r) => n + (JSON.parse(r.body) as { rejected: number }).rejected,
      0,
    );
    const truth = await departments.counts();
    const total = (d: keyof typeof truth, table: string) => truth[d][table]?.total ?? Number.NaN;
    const expected: Record<string, number> = {
      'civil-status-cong-dan': total('civil-status', 'cong_dan'),
      'civil-status-khai-sinh': total('civil-status', 'khai_sinh'),
      'civil-status-ket-hon-chong': total('civil-status', 'ket_hon'),
      'civil-status-ket-hon-vo': total('civil-status', 'ket_hon'),
      'civil-status-khai-tu': total('civil-status', 'khai_tu'),
      'business-registry-doanh-nghiep': total('business-registry', 'doanh_nghiep'),
      'business-registry-chi-nhanh': total('business-registry', 'chi_nhanh'),
      'business-registry-ho-kinh-doanh': total('business-registry', 'ho_kinh_doanh'),
      'one-stop-dossiers': total('one-stop', 'dossiers'),
      'social-protection-tq': total('social-protection', 'TQ'),
      'social-protection-hg': total('social-protection', 'HG'),
    };
    let got = new Map<string, { records: number; events: number; dead: number }>();
    await eventually(
      async () => {
        got = await arrived();
        return Object.entries(expected).every(
          ([id, n]) => (got.get(id)?.records ?? 0) + (got.get(id)?.dead ?? 0) >= n,
        ) &&
          (got.get('http-ingest-police-residence')?.events ?? 0) + rejectedByIngest >=
            total('police-residence', 'delivered')
          ? true
          : undefined;
      },
      { what: 'every department to arrive', timeoutMs: 90_000, intervalMs: 1000 },
    ).catch((e: unknown) => {
      const seen = JSON.stringify(Object.fromEntries(got));
      throw new Error(
        `${String(e)}\nexpected ${JSON.stringify(expected)}\ngot ${seen}\n${logs.join('\n').slice(-4000)}`,
      );
    });
    const summary = Object.fromEntries([...got].map(([id, v]) => [id, v.records + v.dead]));
    expect(summary).toMatchObject(expected);
    expect((got.get('http-ingest-police-residence')?.events ?? 0) + rejectedByIngest).toBe(
      total('police-residence', 'delivered'),
    );
    expect(truth['police-residence'].pending?.total).toBe(0);
    for (const n of Object.values(expected)) expect(n).toBeGreaterThan(0);

    // Marriage and death registrations read the named person's cong_dan row (source.joins): most
    // carry its CCCD or CMND (the rest: person rows without a number in the simulator's noise).
    const identified = new Map<string, { all: number; withId: number }>();
    for (const m of await readTopic(kafka, t.citizen)) {
      const o = decodeObservation<Obs & { personalId: string | null; legacyIds: unknown[] }>(
        'citizen',
        m.value,
      );
      if (!/^civil-status-(ket-hon-chong|ket-hon-vo|khai-tu)$/.test(o.source.connectorId)) continue;
      const c = identified.get(o.source.connectorId) ?? { all: 0, withId: 0 };
      c.all++;
      if (o.personalId !== null || o.legacyIds.length > 0) c.withId++;
      identified.set(o.source.connectorId, c);
    }
    expect(identified.size).toBe(3);
    for (const [id, c] of identified) expect(`${id}: ${c.withId > c.all / 2}`).toBe(`${id}: true`);

    // Reconciliation on the heartbeats: each polled connector reports the source's live count.
    const live: Record<string, number | undefined> = {
      'civil-status-cong-dan': truth['civil-status'].cong_dan?.live,
      'business-registry-doanh-nghiep': truth['business-registry'].doanh_nghiep?.live,
      'one-stop-dossiers': truth['one-stop'].dossiers?.live,
      'social-protection-hg': truth['social-protection'].HG?.live,
    };
    await eventually(
      async () => {
        const latest = new Map<string, number | null>();
        for (const m of await readTopic(kafka, t.status)) {
          const s = decodeStatus<{ connectorId: string; sourceRecordCount: number | null }>(m.value);
          latest.set(s.connectorId, s.sourceRecordCount);
        }
        return Object.entries(live).every(([id, n]) => latest.get(id) === n) ? true : undefined;
      },
      { what: 'the source counts on the heartbeats', timeoutMs: 30_000, intervalMs: 1000 },
    );
  });
});
