import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CivilStatusSimulator,
  OneStopApi,
  connect,
  dropDatabase,
  renderWorld,
  type DatabaseTarget,
} from '@hub/departments';
import { deleteTestTopics, ensureTopics } from '@hub/kafka';
import { SECRETS, TestHub } from './support/hub.js';
import { CHAOS, SEED, runs } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import {
  departmentConfig,
  pollingCrashLoop,
  reconcilePolled,
  startConnector,
  ticks,
} from './support/polling.js';
import { rng } from './support/rng.js';

/**
 * ARCHITECTURE §9.1 and §9.3 for the polling connectors (issue 11, task 3), as
 * `crash-loop.int.test.ts` does for http-ingest and consolidation: sql-poll reads the simulated
 * civil-status register (MariaDB, table cong_dan) and rest-poll the simulated one-stop dossier API
 * (infra/departments), each with its department's own configuration file, while the simulators
 * change records (births, corrections; new dossiers, status changes, deletions) and the test kills
 * -9 the connector at seeded random points and restarts it. Afterwards every record's current
 * state is on the observation topic (or dead-lettered with its reason: 0 lost), and no record
 * version was published under a second eventId after a crash (0 duplicated: consolidation drops
 * repeats of an eventId, see crash-loop.int.test.ts for what it does with them).
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'pollcrash');
const PEOPLE = runs(300, 2000);
const KILLS = runs(4, 30);
const CHANGES_PER_ROUND = runs(20, 40);
const MARIADB_SERVER = process.env.DEPT_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306';
const civil: DatabaseTarget = {
  client: 'mysql2',
  serverUrl: MARIADB_SERVER,
  database: `dept_systest_${hub.run}`,
};
const dlq = {
  sql: `${hub.topics.dlqPrefix}civil-status-cong-dan`,
  rest: `${hub.topics.dlqPrefix}one-stop-dossiers`,
};
const ONE_STOP_KEY = `one-stop-${randomBytes(16).toString('hex')}`;
SECRETS.push(ONE_STOP_KEY);
const civilStatus = new CivilStatusSimulator(civil);
const oneStop = new OneStopApi({ apiKeys: [ONE_STOP_KEY] });

beforeAll(async () => {
  await hub.createTopics(2);
  await ensureTopics(
    hub.kafka,
    Object.values(dlq).map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })),
  );
  await civilStatus.start();
  await civilStatus.reset();
  await oneStop.start();
  for (const { records } of renderWorld({ seed: SEED, people: PEOPLE })) {
    await civilStatus.load(records['civil-status']);
    await oneStop.load(records['one-stop']);
  }
}, 300_000);

afterAll(async () => {
  await hub.stop();
  await deleteTestTopics(hub.kafka, Object.values(dlq)).catch(() => undefined);
  await civilStatus.stop();
  await oneStop.stop();
  await dropDatabase(civil).catch(() => undefined);
}, 120_000);

const line = (
  what: string,
  r: { kills: number; changes: number },
  report: Awaited<ReturnType<typeof reconcilePolled>>,
) =>
  `${what}${CHAOS ? ' (chaos)' : ''}: ${report.records} source records checked, ${r.changes} changes made during the loop, ` +
  `${r.kills} kill -9, ${report.observations} observations (${report.repeats} re-published after a crash with their eventId), ` +
  `${report.deadLetters} dead letters; 0 lost, 0 duplicated (seed ${SEED})\n`;

describe('crash loops of the polling connectors (ARCHITECTURE §9.1, §9.3)', () => {
  it(`sql-poll on the civil-status register (MariaDB), kill -9 ${KILLS}× at seeded points, loses and duplicates nothing`, async () => {
    const config = departmentConfig(hub, 'sql-poll/civil-status-cong-dan.yaml', {
      topics: { observations: hub.topics.obsCitizen, deadLetter: dlq.sql },
      source: { settleSeconds: 1 },
    });
    const { proc, readyUrl } = await startConnector(hub, 'connectors/sql-poll', config, {
      CIVIL_STATUS_DB_URL: `${MARIADB_SERVER}/${civil.database}`,
    });
    const stats = await pollingCrashLoop({
      proc,
      readyUrl,
      kills: KILLS,
      random: rng(SEED),
      maxDelayMs: 2500,
      change: ticks(civilStatus, CHANGES_PER_ROUND),
    });
    const db = connect(civil);
    try {
      const report = await reconcilePolled({
        kafka: hub.kafka,
        entity: 'citizen',
        observations: hub.topics.obsCitizen,
        deadLetter: dlq.sql,
        expected: async () => {
          const rows = await db('cong_dan').select<
            { id: number; ho_ten: string; dia_chi_thuong_tru: string | null }[]
          >('id', 'ho_ten', 'dia_chi_thuong_tru');
          return new Map(rows.map((r) => [String(r.id), `${r.ho_ten}|${r.dia_chi_thuong_tru ?? ''}`]));
        },
        stateOf: (raw) =>
          `${String(raw.ho_ten)}|${typeof raw.dia_chi_thuong_tru === 'string' ? raw.dia_chi_thuong_tru : ''}`,
        timeoutMs: 300_000,
      });
      expect(proc.alive()).toBe(true);
      expect(stats.kills).toBe(KILLS);
      expect(report.records).toBeGreaterThan(PEOPLE / 2);
      process.stdout.write(line('sql-poll crash loop', stats, report));
    } finally {
      await db.destroy();
    }
  }, 1_500_000);

  it(`rest-poll on the one-stop dossier API, kill -9 ${KILLS}× at seeded points, loses and duplicates nothing`, async () => {
    const config = departmentConfig(hub, 'rest-poll/one-stop-dossiers.yaml', {
      topics: { observations: hub.topics.obsDossier, deadLetter: dlq.rest },
      source: {
        pageSize: 25,
        rateLimit: { perSecond: 100, burst: 100 },
        retry: { attempts: 5, baseMs: 100, maxMs: 2000 },
      },
    });
    const { proc, readyUrl } = await startConnector(hub, 'connectors/rest-poll', config, {
      ONE_STOP_API_URL: oneStop.url,
      ONE_STOP_API_KEY: ONE_STOP_KEY,
    });
    const stats = await pollingCrashLoop({
      proc,
      readyUrl,
      kills: KILLS,
      random: rng(SEED + 1),
      maxDelayMs: 2500,
      change: ticks(oneStop, CHANGES_PER_ROUND),
    });
    const stateOf = (d: Record<string, unknown>) =>
      `${String(d.ngayCapNhat)}|${String(d.trangThai)}|${String(d.daXoa)}`;
    const report = await reconcilePolled({
      kafka: hub.kafka,
      entity: 'dossier',
      observations: hub.topics.obsDossier,
      deadLetter: dlq.rest,
      expected: async () => {
        const out = new Map<string, string>();
        for (let page = 1; ; page++) {
          const res = await fetch(`${oneStop.url}/api/v1/dossiers?page=${page}&pageSize=500`, {
            headers: { 'x-api-key': ONE_STOP_KEY },
          });
          const body = (await res.json()) as { data: Record<string, unknown>[]; totalPages: number };
          for (const d of body.data) out.set(String(d.id), stateOf(d));
          if (page >= body.totalPages) return out;
        }
      },
      stateOf,
      timeoutMs: 300_000,
    });
    expect(proc.alive()).toBe(true);
    expect(stats.kills).toBe(KILLS);
    expect(report.records).toBeGreaterThan(0);
    process.stdout.write(line('rest-poll crash loop', stats, report));
  }, 1_500_000);

  it('leaks no key or personal number into the logs of these processes', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
