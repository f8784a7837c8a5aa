import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@hub/testing';
import { dropDatabase } from '../sim/sql-store.js';
import { MARIADB_URL, PG_URL, testDatabase } from '../test-support/databases.test-support.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('hub-departments up / status / down', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  const civil = testDatabase('mysql2');
  const business = testDatabase('pg');
  const cli = async (...args: string[]) =>
    JSON.parse(
      (await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env, timeout: 120_000 })).stdout,
    ) as Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dept-test-run-'));
    const port = await freePort();
    env = {
      ...process.env,
      HUB_DEPARTMENTS_DIR: dir,
      DEPT_CIVIL_STATUS_DB_URL: MARIADB_URL,
      DEPT_BUSINESS_DB_URL: PG_URL,
      DEPT_CIVIL_STATUS_DB: civil.database,
      DEPT_BUSINESS_DB: business.database,
      DEPT_ONE_STOP_PORT: String(port),
      DEPT_TICK_MS: '300',
      DEPT_TICK_CHANGES: '2',
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    await cli('down');
    await dropDatabase(civil);
    await dropDatabase(business);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the departments in the background, is idempotent, keeps them changing, and stops them', async () => {
    const up = await cli('up', '--people', '300', '--seed', '5');
    expect(up.running).toBe(true);
    const again = await cli('up');
    expect(again).toMatchObject({ running: true, pid: up.pid, note: 'already running' });

    const status = await cli('status');
    expect(status).toMatchObject({ running: true, ready: true });
    const endpoints = status.endpoints as { oneStop: string; civilStatus: string; business: string };
    expect(endpoints.civilStatus).toMatch(new RegExp(`^mysql://.*/${civil.database}$`));
    expect(endpoints.business).toMatch(new RegExp(`^postgres(ql)?://.*/${business.database}$`));
    const res = await fetch(endpoints.oneStop.replace('/dossiers', '/counts'), {
      headers: { 'x-api-key': 'demo-one-stop-key' },
    });
    expect(res.status).toBe(200);

    // Live mode: ticks append truth rows for new records and refresh the status file.
    const lines = await eventually(
      async () => {
        const text = await readFile(join(dir, 'truth-live.jsonl'), 'utf8').catch(() => '');
        const n = text.split('\n').filter(Boolean).length;
        return n >= 4 ? n : undefined;
      },
      { timeoutMs: 30_000, what: 'live truth rows' },
    );
    expect(lines).toBeGreaterThanOrEqual(4);

    const down = await cli('down');
    expect(down).toMatchObject({ running: false, stopped: up.pid });
    expect(await cli('status')).toMatchObject({ running: false });
    expect(await cli('down')).toMatchObject({ running: false, stopped: null });
  });
});
