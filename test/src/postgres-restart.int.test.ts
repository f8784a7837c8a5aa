import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '@hub/testing';
import { TestHub } from './support/hub.js';
import { CHAOS, SEED, runs } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { PrivatePostgres } from './support/private-pg.js';
import { rng } from './support/rng.js';
import { freePort } from './support/stack.js';

/**
 * ARCHITECTURE §9.1/§9.3 (issue 11, task 5): PostgreSQL restarted under load. The consolidation
 * process and the http-ingest connector (its idempotency store) run on a private PostgreSQL started
 * by this test (never the machine's server); while a department pushes citizens, that server is
 * stopped (clean and crash-like) and started again. Without anyone touching the processes, they
 * recover and every acknowledged citizen is in the master table exactly once.
 */
const endpoints = inject('endpoints');
const KEY = `police-${randomBytes(20).toString('hex')}`;
const RECORDS = runs(200, 3000);
const BATCH = 20;
const RESTARTS = runs(2, 12);
const random = rng(SEED + 5);

let server: PrivatePostgres;
let hub: TestHub;
let ingest: Awaited<ReturnType<TestHub['httpIngest']>>;
let consolidation: Awaited<ReturnType<TestHub['consolidation']>>;

beforeAll(async () => {
  server = new PrivatePostgres(await freePort());
  server.init();
  hub = new TestHub({ ...endpoints, DATABASE_URL: server.url }, 'pgrestart');
  await hub.createTopics(2);
  consolidation = await hub.consolidation();
  ingest = await hub.httpIngest(KEY, `onestop-${randomBytes(20).toString('hex')}`);
}, 300_000);

afterAll(async () => {
  await hub.stop().catch(() => undefined);
  server.destroy();
}, 120_000);

const pid = (i: number) => `00830${1 + (i % 2)}${String(i).padStart(6, '0')}`;
const citizen = (i: number) => ({
  recordId: `PGR-${i}`,
  updatedAt: '2025-06-01T08:00:00+07:00',
  personalId: pid(i),
  fullName: `Trần Thị Thử ${['Lan', 'Mai', 'Nga', 'Oanh'][i % 4] ?? 'Lan'}`,
  dateOfBirth: '01/01/2001',
  sex: 'FEMALE',
});

describe('PostgreSQL restarted under load (ARCHITECTURE §9.1, §9.3)', () => {
  it(`consolidation and http-ingest ride out ${RESTARTS} PostgreSQL restarts with nothing lost or duplicated`, async () => {
    const batches = Math.ceil(RECORDS / BATCH);
    const restartAt = new Map<number, 'fast' | 'immediate'>();
    for (let k = 0; k < RESTARTS; k++)
      restartAt.set(1 + Math.floor(random() * (batches - 1)), k % 2 === 0 ? 'immediate' : 'fast');
    let refusedWhileDown = 0;
    let attempts = 0;
    for (let b = 0; b < batches; b++) {
      const mode = restartAt.get(b);
      if (mode) {
        server.stop(mode);
        // While the database is down, pushes are refused (never acknowledged) rather than lost.
        const r = await fetch(`${ingest.url}/v1/sources/police-residence/citizens/batch`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': KEY,
            'idempotency-key': `pgr-${hub.run}-down-${b}`,
          },
          body: JSON.stringify({ records: [citizen(b * BATCH)] }),
          signal: AbortSignal.timeout(60_000),
        }).catch(() => undefined);
        if (r && r.status !== 200) refusedWhileDown++;
        server.start();
      }
      const records = Array.from({ length: Math.min(BATCH, RECORDS - b * BATCH) }, (_, j) =>
        citizen(b * BATCH + j),
      );
      for (let attempt = 0; ; attempt++) {
        if (attempt > 300) throw new Error(`batch ${b} never acknowledged`);
        attempts++;
        const r = await fetch(`${ingest.url}/v1/sources/police-residence/citizens/batch`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-api-key': KEY,
            'idempotency-key': `pgr-${hub.run}-${b}`,
          },
          body: JSON.stringify({ records }),
          signal: AbortSignal.timeout(60_000),
        }).catch(() => undefined);
        if (r?.status === 200) break;
        if (r && r.status < 500 && r.status !== 409)
          throw new Error(`batch ${b} refused: ${r.status} ${await r.text()}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    }
    // Nobody restarted the processes: they must still be the ones started before the first fault.
    expect(
      consolidation.proc.alive(),
      `consolidation exited:\n${consolidation.proc.log().slice(-2000)}`,
    ).toBe(true);
    expect(ingest.proc.alive(), `http-ingest exited:\n${ingest.proc.log().slice(-2000)}`).toBe(true);
    expect([consolidation.proc.starts, ingest.proc.starts]).toEqual([1, 1]);

    const db = new pg.Client({ connectionString: consolidation.dbUrl });
    await db.connect();
    try {
      const ids = Array.from({ length: RECORDS }, (_, i) => pid(i));
      const row = await eventually(
        async () => {
          const { rows } = await db.query<{ total: string; distinct_ids: string; active: string }>(
            `select count(*) as total, count(distinct personal_id) as distinct_ids, count(*) filter (where status = 'ACTIVE') as active
               from citizens where personal_id = any($1)`,
            [ids],
          );
          return rows[0] && Number(rows[0].distinct_ids) === RECORDS ? rows[0] : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 1000, what: `all ${RECORDS} citizens after the restarts` },
      );
      expect([Number(row.total), Number(row.active)]).toEqual([RECORDS, RECORDS]);
    } finally {
      await db.end();
    }
    process.stdout.write(
      `postgres-restart${CHAOS ? ' (chaos)' : ''}: ${RECORDS} records, ${restartAt.size} restarts of the private PostgreSQL ` +
        `(${[...restartAt.values()].join(', ')}), ${attempts} push attempts, ${refusedWhileDown} pushes refused while down, processes never restarted; 0 lost, 0 duplicated (seed ${SEED})\n`,
    );
  }, 1_500_000);

  it('leaks no key or personal number into the logs of these processes', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
