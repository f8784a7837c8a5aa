import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '@hub/testing';

/**
 * The README's first command, run as a newcomer would (issue 9): `npm start` brings up the demo
 * departments, connectors, consolidation, datasets API and console; data flows from the simulated
 * departments into the master datasets; running it twice starts nothing twice; `npm stop` stops what
 * it started. (The infrastructure is already up from the test run, as it would be after a first start.)
 */
const root = resolve(import.meta.dirname, '..', '..');
// The demo's own databases for this test (names contain "test"), so a developer's demo data and
// databases left by earlier builds never influence the result.
const PREFIX = 'hub_demo_test_';
const hub = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts', 'hub.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, HUB_DB_PREFIX: PREFIX },
  });

async function dropDemoTestDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('endpoints').DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'hub\\_demo\\_test\\_%'",
    );
    for (const { datname } of rows) {
      if (!datname.includes('test')) continue;
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await admin.end();
  }
  rmSync(join(root, '.infra', 'demo-app.hub_demo_test.json'), { force: true });
  rmSync(join(root, '.infra', 'demo-steward.hub_demo_test.json'), { force: true });
}

beforeAll(dropDemoTestDatabases, 120_000);

const PIDS = [
  'consolidation',
  'connector-sql-poll',
  'connector-rest-poll',
  'connector-file-drop',
  'connector-http-ingest',
  'datasets-api',
  'steward-console',
];
const pidOf = (name: string) => {
  const f = join(root, '.infra', 'pids', `hub-${name}.pid`);
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
};
const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  hub('stop', '--keep-infra');
  await dropDemoTestDatabases();
}, 180_000);

describe('npm start (the demo)', () => {
  it('runs the whole hub with its demo departments; data reaches the datasets API; stop stops it', async () => {
    const first = hub('start');
    expect(first.status, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toContain('http://127.0.0.1:8300');
    for (const name of PIDS) expect(alive(pidOf(name)), `${name} runs`).toBe(true);

    const { apiKey } = JSON.parse(
      readFileSync(join(root, '.infra', 'demo-app.hub_demo_test.json'), 'utf8'),
    ) as { apiKey: string };
    // Golden citizens consolidated from more than one department appear in the read API.
    const merged = await eventually(
      async () => {
        const res = await fetch('http://127.0.0.1:8300/citizens?name=nguyen&limit=50', {
          headers: { 'X-Api-Key': apiKey },
        });
        if (!res.ok) return undefined;
        const body = (await res.json()) as { items: { sources: { system: string }[] }[] };
        return body.items.find((c) => new Set(c.sources.map((s) => s.system)).size >= 2);
      },
      { timeoutMs: 300_000, intervalMs: 2000, what: 'a citizen consolidated from two departments' },
    );
    expect(merged.sources.length).toBeGreaterThanOrEqual(2);

    // Every simulated department reached the master datasets.
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:8300${path}`, { headers: { 'X-Api-Key': apiKey } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    type Page = { items: { sources?: { system: string }[] }[]; nextCursor: string | null };
    const systemsIn = async (path: string, wanted: readonly string[]): Promise<Set<string>> => {
      const seen = new Set<string>();
      await eventually(
        async () => {
          let cursor: string | null = null;
          for (let page = 0; page < 30; page++) {
            const body: Page = await get<Page>(
              `${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            );
            for (const item of body.items) for (const s of item.sources ?? []) seen.add(s.system);
            if (wanted.every((w) => seen.has(w)) || !body.nextCursor) break;
            cursor = body.nextCursor;
          }
          return wanted.every((w) => seen.has(w)) ? true : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 3000, what: `sources ${wanted.join(', ')} in ${path}` },
      );
      return seen;
    };
    await systemsIn('/citizens?name=nguyen', ['civil-status', 'police-residence', 'social-protection']);
    await systemsIn('/businesses', ['business-registry']);
    await systemsIn('/dossiers', ['one-stop']);
    expect((await fetch('http://127.0.0.1:8300/citizens?name=nguyen')).status).toBe(401);
    const login = await fetch('http://127.0.0.1:8310/login');
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('Đăng nhập');

    // Twice: nothing starts twice.
    const pidsBefore = PIDS.map(pidOf);
    const second = hub('start');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('already running');
    expect(PIDS.map(pidOf)).toEqual(pidsBefore);

    const stop = hub('stop', '--keep-infra');
    expect(stop.status, stop.stderr).toBe(0);
    for (const pid of pidsBefore) expect(alive(pid)).toBe(false);
  }, 900_000);
});
