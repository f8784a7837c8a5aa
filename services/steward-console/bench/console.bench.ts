/**
 * Issue #8 benchmark (BENCHMARK.md): "the overview API answers in ≤ 200 ms p95 with 20 connectors and
 * 2,000,000 master citizens; the console's first page load is ≤ 1 s on loopback in Chromium".
 *
 * 1. Two scratch databases `bench_console_<hex>` (console) and `bench_console_<hex>_cons`
 *    (consolidation), migrated by each component's own `migrateLatest`, bulk-filled with SQL
 *    generate_series (bench/fill.ts): 20 connectors × 7 days of heartbeats every 10 s, tens of
 *    thousands of dead letters, lag samples, alerts, dossiers; 2M citizens with source records,
 *    history and a review queue.
 * 2. bench/serve.ts in a child process: consolidation's HTTP API + the steward console (real Kafka).
 *    While it runs, this process plays the 20 connectors' heartbeats (one row per 10 s each).
 * 3. autocannon on loopback at a fixed concurrency, bounded in time: `GET /api/health` and `GET /`
 *    with an API token; every response time is kept, so p50/p95/p99 are exact. BENCH_RUNS runs each.
 * 4. Headless Chromium (playwright-core, /usr/bin/chromium): log in, then 5 loads of `/`,
 *    navigation timing (loadEventEnd).
 * 5. Per-query timings and EXPLAIN ANALYZE of what the overview runs; writes ../BENCHMARK.md.
 *
 *   npm run bench -w @hub/steward-console
 *   BENCH_CITIZENS=2000000 BENCH_SECONDS=15 BENCH_RUNS=3 BENCH_CONNECTIONS=10 BENCH_LOADS=5
 *   BENCH_KEEP=1              keep the databases (prints their names) ...
 *   BENCH_REUSE=<hex>         ... and reuse them instead of filling again
 *   BENCH_NO_REPORT=1         print only, do not rewrite BENCHMARK.md
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Knex } from 'knex';
import { chromium, type Page } from 'playwright-core';
import {
  createDb as createConsolidationDb,
  migrateLatest as migrateConsolidation,
} from '@hub/consolidation/src/db/migrations.js';
import { deleteTestTopics, createKafkaClient } from '@hub/kafka';
import { AccessRepository } from '../src/db/access.repository.js';
import { createDb, migrateLatest } from '../src/db/migrations.js';
import { hashPassword } from '../src/domain/access.js';
import { CONNECTORS, fillConsole, fillConsolidation, type Counted } from './fill.js';

const endpoints = JSON.parse(
  readFileSync(new URL('../../../.infra/endpoints.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const ADMIN_URL =
  process.env.DATABASE_URL ?? endpoints.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? endpoints.KAFKA_BROKERS ?? '127.0.0.1:9092';
const REGISTRY =
  process.env.SCHEMA_REGISTRY_URL ?? endpoints.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const num = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const CITIZENS = num('BENCH_CITIZENS', 2_000_000);
const SECONDS = num('BENCH_SECONDS', 15);
const RUNS = num('BENCH_RUNS', 3);
const CONNECTIONS = num('BENCH_CONNECTIONS', 10);
const LOADS = num('BENCH_LOADS', 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'mat-khau-bench-console';
const HEARTBEAT_S = 10;
const DEAD_LETTERS = num('BENCH_DEAD_LETTERS', 40_000);
const DOSSIERS = num('BENCH_DOSSIERS', 300_000);
const REPORT = fileURLToPath(new URL('../BENCHMARK.md', import.meta.url));

const hex = process.env.BENCH_REUSE ?? randomBytes(3).toString('hex');
const CONSOLE_DB = `bench_console_${hex}`;
const CONS_DB = `bench_console_${hex}_cons`;
const PREFIX = `bench-console-test-${hex}-${randomBytes(2).toString('hex')}`;
const urlOf = (name: string): string => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

const uptime = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const log = (s: string): void => {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s} (load ${uptime()})\n`);
};
const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN);
const median = (xs: readonly number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const r1 = (x: number): number => Math.round(x * 10) / 10;
const mmm = (xs: readonly number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${r1(median(s))} (${r1(s[0] ?? NaN)}–${r1(s[s.length - 1] ?? NaN)})`;
};

/** Fixed concurrency: 1 (latency without queueing) and BENCH_CONNECTIONS (a room of stewards and scripts). */
const SCENARIOS = [
  { name: 'GET /api/health, 1 connection', path: '/api/health', accept: 'application/json', connections: 1 },
  {
    name: `GET /api/health, ${CONNECTIONS} connections`,
    path: '/api/health',
    accept: 'application/json',
    connections: CONNECTIONS,
  },
  {
    name: `GET / (HTML), ${CONNECTIONS} connections`,
    path: '/',
    accept: 'text/html',
    connections: CONNECTIONS,
  },
] as const;

interface LoadRun {
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly load: string;
}

async function loadRun(url: string, token: string, accept: string, connections: number): Promise<LoadRun> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: SECONDS,
        timeout: 30,
        headers: { authorization: `Bearer ${token}`, accept },
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => {
      times.push(ms);
    });
  });
  times.sort((a, b) => a - b);
  return {
    rps: result.requests.total / SECONDS,
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    p99: quantile(times, 0.99),
    max: times[times.length - 1] ?? NaN,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    load: uptime(),
  };
}

async function timeQuery(db: Knex, sql: string, bindings: readonly unknown[] = [], n = 5): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await db.raw(sql, bindings as Knex.RawBinding[]);
    out.push(performance.now() - t0);
  }
  return out;
}

async function explain(db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<string> {
  const r = await db.raw<{ rows: { 'QUERY PLAN': string }[] }>(
    `explain (analyze, buffers) ${sql}`,
    bindings as Knex.RawBinding[],
  );
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

/** The statements behind GET /api/health and GET / (copied from the repositories, for timing and plans). */
const CONSOLE_QUERIES: ReadonlyArray<readonly [string, string, (now: number) => unknown[]]> = [
  ['HealthRepository.listConnectors', 'select * from "connectors" order by "connector_id" asc', () => []],
  [
    'HealthRepository.throughput (5 min window)',
    `select "connector_id", "instance_id", max(records_read) - min(records_read) as dread, max(records_published) - min(records_published) as dpub,
            extract(epoch from max(occurred_at) - min(occurred_at)) as span
       from "heartbeats" where "occurred_at" >= ? group by "connector_id", "instance_id"`,
    (now) => [new Date(now - 5 * 60_000)],
  ],
  [
    'DeadLetterRepository.summaries',
    `select d.dlq_topic, d.connector_id, d.reason,
            count(*) filter (where not exists (select 1 from replays r where r.dead_letter_id = d.id)) as open,
            count(*) filter (where exists (select 1 from replays r where r.dead_letter_id = d.id)) as replayed,
            max(d.dead_lettered_at) as last_at
       from dead_letters d group by d.dlq_topic, d.connector_id, d.reason`,
    () => [],
  ],
  [
    'AlertRepository.firing',
    'select * from alerts where resolved_at is null order by started_at desc',
    () => [],
  ],
];
/** Candidate rewrite of HealthRepository.throughput: one index range per connector instead of a scan of every heartbeat. */
const THROUGHPUT_LATERAL = `select c.connector_id, h.instance_id, max(h.records_read) - min(h.records_read) as dread, max(h.records_published) - min(h.records_published) as dpub,
        extract(epoch from max(h.occurred_at) - min(h.occurred_at)) as span
   from connectors c cross join lateral (select * from heartbeats h where h.connector_id = c.connector_id and h.occurred_at >= ?) h
  group by c.connector_id, h.instance_id`;
/** Candidate rewrite of DeadLetterRepository.summaries: same result, a plain join instead of two correlated subplans per row. */
const SUMMARIES_JOIN = `select d.dlq_topic, d.connector_id, d.reason,
        count(*) filter (where r.dead_letter_id is null) as open, count(r.dead_letter_id) as replayed, max(d.dead_lettered_at) as last_at
   from dead_letters d left join (select distinct dead_letter_id from replays) r on r.dead_letter_id = d.id
  group by d.dlq_topic, d.connector_id, d.reason`;
const CONSOLIDATION_QUERIES: ReadonlyArray<readonly [string, string]> = [
  [
    'ReadRepository.openTaskCounts (/stats)',
    `select "kind", count(*) as "n" from "review_tasks" where "status" = 'OPEN' group by "kind"`,
  ],
  [
    'ReadRepository.stats merges/splits last hour (/stats)',
    `select "change", count(*) as "n" from "master_history" where "change" in ('ABSORBED', 'SPLIT_OFF') and "recorded_at" >= now() - interval '1 hour' group by "change"`,
  ],
  [
    'ReadRepository.sourceRecordCounts (/source-counts, cached 30 s)',
    `select "entity_type", "source_system", observation->'source'->>'connectorId' as connector_id,
            count(*) filter (where not deleted) as live, count(*) filter (where deleted) as deleted
       from "source_records" group by 1, 2, 3 order by 3, 2, 1`,
  ],
];

async function prepare(): Promise<{
  fill: Counted[];
  fillSeconds: number;
  token: string;
  sizes: Record<string, string>;
}> {
  const admin = createDb(ADMIN_URL, { max: 1 });
  const fill: Counted[] = [];
  const t0 = performance.now();
  try {
    if (!process.env.BENCH_REUSE) {
      await admin.raw(`create database ${CONSOLE_DB}`);
      await admin.raw(`create database ${CONS_DB}`);
      const db = createDb(urlOf(CONSOLE_DB), { max: 1 });
      const cons = createConsolidationDb(urlOf(CONS_DB), { max: 1 });
      try {
        await migrateLatest(db);
        await migrateConsolidation(cons);
        log('migrated; filling the console database');
        fill.push(
          ...(await fillConsole(db, {
            heartbeatDays: 7,
            heartbeatEverySeconds: HEARTBEAT_S,
            deadLetters: DEAD_LETTERS,
            dlqTopicPrefix: `${PREFIX}.dlq.`,
            dossiers: DOSSIERS,
          })),
        );
        log(`console filled; filling consolidation with ${CITIZENS} citizens`);
        fill.push(...(await fillConsolidation(cons, CITIZENS)));
        log('consolidation filled');
      } finally {
        await db.destroy();
        await cons.destroy();
      }
    }
    let fillSeconds = (performance.now() - t0) / 1000;
    const db = createDb(urlOf(CONSOLE_DB), { max: 1 });
    try {
      if (process.env.BENCH_REUSE) {
        // A kept database: its fill figures were saved with it; the previous run's user and token go.
        await db('users').delete();
        const saved = (await db('bench_fill').first()) as
          { doc: { fill: Counted[]; fillSeconds: number } } | undefined;
        fill.push(...(saved?.doc.fill ?? []));
        fillSeconds = saved?.doc.fillSeconds ?? NaN;
      } else {
        await db.raw('create table bench_fill (doc jsonb not null)');
        await db('bench_fill').insert({ doc: JSON.stringify({ fill, fillSeconds, citizens: CITIZENS }) });
      }
      const access = new AccessRepository(db);
      const user = await access.createUser({
        username: 'lan',
        displayName: 'Nguyễn Thị Lan',
        role: 'steward',
        passwordHash: await hashPassword(PASSWORD),
      });
      const { token } = await access.createApiToken(user.id, 'bench', null);
      const sizes: Record<string, string> = {};
      for (const name of [CONSOLE_DB, CONS_DB]) {
        const r = await admin.raw<{ rows: { s: string }[] }>(
          'select pg_size_pretty(pg_database_size(?)) as s',
          [name],
        );
        sizes[name] = r.rows[0]?.s ?? '?';
      }
      return { fill, fillSeconds, token, sizes };
    } finally {
      await db.destroy();
    }
  } finally {
    await admin.destroy();
  }
}

/** The 20 connectors keep sending heartbeats while we measure (as in production). */
function heartbeatTicker(db: Knex): () => Promise<void> {
  let t = 0;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    t++;
    running = db
      .raw(
        `with hb as (
           insert into heartbeats (event_id, connector_id, instance_id, occurred_at, state, records_read, records_published, records_dead_lettered, records_rejected)
           select gen_random_uuid()::text, c.connector_id, c.instance_id, now(), c.state, c.records_read + ?, c.records_published + ?, c.records_dead_lettered, c.records_rejected
             from connectors c returning connector_id, records_read, records_published, occurred_at)
         update connectors c set records_read = hb.records_read, records_published = hb.records_published, last_heartbeat_at = hb.occurred_at, event_id = gen_random_uuid()::text
           from hb where hb.connector_id = c.connector_id`,
        [t * 120, t * 118],
      )
      .catch((e: unknown) => log(`heartbeat tick failed: ${String(e)}`));
  }, HEARTBEAT_S * 1000);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

async function startServers(): Promise<{
  child: ChildProcess;
  ports: { console: number; consolidation: number; startMs: number };
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./serve.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        BENCH_CONSOLE_DB: urlOf(CONSOLE_DB),
        BENCH_CONSOLIDATION_DB: urlOf(CONS_DB),
        BENCH_PREFIX: PREFIX,
        KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: REGISTRY,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ports = await new Promise<{ console: number; consolidation: number; startMs: number }>(
    (resolve, reject) => {
      let buf = '';
      child.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /READY (\{.*\})\n/.exec(buf);
        if (m?.[1]) resolve(JSON.parse(m[1]) as { console: number; consolidation: number; startMs: number });
      });
      child.on('exit', (code) => reject(new Error(`serve.ts exited with ${code}`)));
    },
  );
  return { child, ports };
}

/** Evaluated in the page (a string: the bench compiles without the DOM library). */
const NAVIGATION_TIMING = `(() => { const n = performance.getEntriesByType('navigation')[0]; return { load: n.loadEventEnd - n.startTime, dcl: n.domContentLoadedEventEnd - n.startTime }; })()`;

async function browserLoads(
  base: string,
): Promise<{ loads: number[]; domContentLoaded: number[]; first: number; loginMs: number }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=username]', 'lan');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`, { timeout: 60_000 }), page.click('button[type=submit]')]);
    await page.waitForLoadState('load');
    const loginMs = performance.now() - t0;
    const timing = (p: Page) => p.evaluate<{ load: number; dcl: number }>(NAVIGATION_TIMING);
    // The first navigation after logging in (the redirect to /) counts as "first page load".
    const first = (await timing(page)).load;
    const loads: number[] = [];
    const dcl: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      // A fresh page each time: a first load, not a reload from bfcache; the session cookie is kept.
      const p = await context.newPage();
      await p.goto(`${base}/`, { waitUntil: 'load', timeout: 60_000 });
      const t = await timing(p);
      loads.push(t.load);
      dcl.push(t.dcl);
      await p.close();
    }
    return { loads, domContentLoaded: dcl, first, loginMs };
  } finally {
    await browser.close();
  }
}

async function cleanup(): Promise<void> {
  const kafka = createKafkaClient({ brokers: KAFKA_BROKERS.split(','), clientId: `${PREFIX}-cleanup` });
  await deleteTestTopics(kafka, [
    `${PREFIX}.connector-status`,
    `${PREFIX}.master-dossier`,
    `${PREFIX}.dlq.steward-console`,
  ]).catch((e: unknown) => log(`topic cleanup: ${String(e)}`));
  if (process.env.BENCH_KEEP) {
    log(`kept databases ${CONSOLE_DB}, ${CONS_DB} (BENCH_REUSE=${hex})`);
    return;
  }
  const admin = createDb(ADMIN_URL, { max: 1 });
  for (const name of [CONSOLE_DB, CONS_DB]) {
    if (!name.startsWith('bench_console_')) throw new Error(`refusing to drop ${name}`);
    await admin.raw(`drop database if exists ${name} with (force)`);
  }
  await admin.destroy();
  log('dropped the bench databases');
}

async function main(): Promise<void> {
  const loadBefore = uptime();
  log(`bench ${hex}: ${CITIZENS} citizens, ${CONNECTORS.length} connectors`);
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare();
  } catch (e) {
    await cleanup();
    throw e;
  }
  const { fill, fillSeconds, token, sizes } = prepared;
  for (const f of fill) log(`  ${f.table}: ${f.rows} rows, ${f.seconds.toFixed(1)} s`);
  const consoleDb = createDb(urlOf(CONSOLE_DB), { max: 2 });
  const consDb = createConsolidationDb(urlOf(CONS_DB), { max: 1 });
  const stopTicker = heartbeatTicker(consoleDb);
  let child: ChildProcess | undefined;
  try {
    const servers = await startServers();
    child = servers.child;
    const base = `http://127.0.0.1:${servers.ports.console}`;
    const consBase = `http://127.0.0.1:${servers.ports.consolidation}`;
    log(
      `servers up: console ${base} (start incl. first monitor sample ${Math.round(servers.ports.startMs)} ms), consolidation ${consBase}`,
    );

    // What the overview says (and whether reconciliation used consolidation's counts).
    const health = (await (
      await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      status: string;
      sources: { connectorId: string; status: string; reconciliation: { hubCountBasis?: string } | null }[];
    };
    const bases = [...new Set(health.sources.map((s) => s.reconciliation?.hubCountBasis ?? 'none'))];
    log(
      `overview: ${health.status}, ${health.sources.length} sources, reconciliation basis ${bases.join(', ')}`,
    );

    // Single requests before load: consolidation endpoints and one of each console route.
    const single = async (url: string, headers: Record<string, string> = {}): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await fetch(url, { headers });
        await r.arrayBuffer();
        out.push(performance.now() - t0);
      }
      return out;
    };
    const auth = { authorization: `Bearer ${token}` };
    const singles: [string, number[]][] = [
      ['consolidation GET /stats', await single(`${consBase}/stats`)],
      ['consolidation GET /source-counts (cached ≤ 30 s)', await single(`${consBase}/source-counts`)],
      ['console GET /api/health', await single(`${base}/api/health`, auth)],
      ['console GET /', await single(`${base}/`, { ...auth, accept: 'text/html' })],
    ];
    for (const [k, v] of singles) log(`  single ${k}: ${mmm(v)} ms`);

    const runs: Record<string, LoadRun[]> = {};
    for (let i = 0; i < RUNS; i++) {
      for (const sc of SCENARIOS) {
        const r = await loadRun(`${base}${sc.path}`, token, sc.accept, sc.connections);
        (runs[sc.name] ??= []).push(r);
        log(
          `  run ${i + 1} ${sc.name}: ${r.rps.toFixed(1)} req/s, p50 ${r1(r.p50)} p95 ${r1(r.p95)} p99 ${r1(r.p99)} ms, non2xx ${r.non2xx}, errors ${r.errors}`,
        );
      }
    }

    const after = (await (
      await fetch(`${base}/api/health`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as typeof health;
    const basesAfter = [...new Set(after.sources.map((s) => s.reconciliation?.hubCountBasis ?? 'none'))];
    log(`overview after the load runs: reconciliation basis ${basesAfter.join(', ')}`);
    const browser = await browserLoads(base);
    log(`chromium: first load after login ${r1(browser.first)} ms; ${LOADS} loads ${mmm(browser.loads)} ms`);

    const now = Date.now();
    const queryTimes: [string, number[]][] = [];
    const plans: [string, string][] = [];
    for (const [name, sql, args] of CONSOLE_QUERIES) {
      queryTimes.push([`console: ${name}`, await timeQuery(consoleDb, sql, args(now))]);
      plans.push([`console: ${name}`, await explain(consoleDb, sql, args(now))]);
    }
    for (const [name, sql] of CONSOLIDATION_QUERIES) {
      queryTimes.push([
        `consolidation: ${name}`,
        await timeQuery(consDb, sql, [], name.includes('source-counts') ? 3 : 5),
      ]);
      plans.push([`consolidation: ${name}`, await explain(consDb, sql)]);
    }
    for (const [k, v] of queryTimes) log(`  query ${k}: ${mmm(v)} ms`);
    // What-if: the candidate fixes, on these scratch databases only (dropped again right after).
    const whatIf: [string, number[]][] = [];
    const since = [new Date(now - 5 * 60_000)];
    whatIf.push([
      'console: throughput rewritten per connector (connectors × lateral range on heartbeats_connector_time_idx), no schema change',
      await timeQuery(consoleDb, THROUGHPUT_LATERAL, since),
    ]);
    plans.push([
      'what-if: throughput rewritten per connector',
      await explain(consoleDb, THROUGHPUT_LATERAL, since),
    ]);
    const summariesSql = CONSOLE_QUERIES[2]?.[1] ?? '';
    const noJit: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await consoleDb.transaction(async (trx) => {
        await trx.raw('set local jit = off');
        await trx.raw(summariesSql);
      });
      noJit.push(performance.now() - t0);
    }
    whatIf.push(['console: dead-letter summaries as is with jit = off (set local)', noJit]);
    whatIf.push([
      'console: dead-letter summaries rewritten with a left join on replays (no correlated subplans)',
      await timeQuery(consoleDb, SUMMARIES_JOIN),
    ]);
    plans.push([
      'what-if: dead-letter summaries rewritten with a left join',
      await explain(consoleDb, SUMMARIES_JOIN),
    ]);
    await consoleDb.raw('create index bench_whatif_heartbeats_occurred_at_idx on heartbeats (occurred_at)');
    await consoleDb.raw('analyze heartbeats');
    const throughputSql = CONSOLE_QUERIES[1]?.[1] ?? '';
    whatIf.push([
      'console: throughput as is + index heartbeats (occurred_at)',
      await timeQuery(consoleDb, throughputSql, since),
    ]);
    plans.push([
      'what-if: throughput + index heartbeats (occurred_at)',
      await explain(consoleDb, throughputSql, since),
    ]);
    await consoleDb.raw('drop index bench_whatif_heartbeats_occurred_at_idx');
    const statsSql = CONSOLIDATION_QUERIES[1]?.[1] ?? '';
    await consDb.raw(
      "create index bench_whatif_master_history_steward_idx on master_history (recorded_at) where change in ('ABSORBED', 'SPLIT_OFF')",
    );
    await consDb.raw('analyze master_history');
    whatIf.push([
      'consolidation: /stats merges/splits + partial index master_history (recorded_at) where change in (ABSORBED, SPLIT_OFF)',
      await timeQuery(consDb, statsSql),
    ]);
    plans.push(['what-if: /stats merges/splits + partial index', await explain(consDb, statsSql)]);
    await consDb.raw('drop index bench_whatif_master_history_steward_idx');
    for (const [k, v] of whatIf) log(`  what-if ${k}: ${mmm(v)} ms`);

    const rows = SCENARIOS.map((sc) => [sc.name, runs[sc.name] ?? []] as const);
    const table = [
      '| scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | requests per run | non-2xx / errors | load avg after each run |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        ([name, rs]) =>
          `| ${name} | ${mmm(rs.map((r) => r.rps))} | ${mmm(rs.map((r) => r.p50))} | ${mmm(rs.map((r) => r.p95))} | ${mmm(rs.map((r) => r.p99))} | ${mmm(rs.map((r) => r.max))} | ${rs.map((r) => r.requests).join(', ')} | ${rs.map((r) => `${r.non2xx}/${r.errors}`).join(', ')} | ${rs.map((r) => r.load.split(' ')[0]).join(', ')} |`,
      ),
    ].join('\n');
    process.stdout.write(`\n${table}\n\n`);
    process.stdout.write(
      `Chromium first page load (loadEventEnd): first after login ${r1(browser.first)} ms; ${LOADS} loads median (min–max) ${mmm(browser.loads)} ms\n`,
    );

    if (!process.env.BENCH_NO_REPORT) {
      writeFileSync(
        REPORT,
        report({
          loadBefore,
          fill,
          fillSeconds,
          sizes,
          table,
          runs,
          browser,
          singles,
          queryTimes,
          whatIf,
          plans,
          startMs: servers.ports.startMs,
          healthStatus: health.status,
          bases,
          basesAfter,
        }),
      );
      log(`wrote ${REPORT}`);
    }
  } finally {
    await stopTicker();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await consoleDb.destroy();
    await consDb.destroy();
    await cleanup();
  }
}

interface ReportData {
  loadBefore: string;
  fill: Counted[];
  fillSeconds: number;
  sizes: Record<string, string>;
  table: string;
  runs: Record<string, LoadRun[]>;
  browser: { loads: number[]; domContentLoaded: number[]; first: number; loginMs: number };
  singles: [string, number[]][];
  queryTimes: [string, number[]][];
  whatIf: [string, number[]][];
  plans: [string, string][];
  startMs: number;
  healthStatus: string;
  bases: string[];
  basesAfter: string[];
}

function report(d: ReportData): string {
  const p95 = median((d.runs[SCENARIOS[1].name] ?? []).map((r) => r.p95));
  const p95one = median((d.runs[SCENARIOS[0].name] ?? []).map((r) => r.p95));
  const pageLoad = median(d.browser.loads);
  const verdict = (ok: boolean): string => (ok ? '**met**' : '**missed**');
  const cpu = cpus()[0]?.model ?? '?';
  return `# Steward console — benchmark (issue #8)

Generated by \`npm run bench:console\` (\`npm run bench -w @hub/steward-console\`, [bench/console.bench.ts](bench/console.bench.ts))
on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${process.env.BENCH_REUSE ? " (on databases kept from an earlier fill: `BENCH_KEEP=1` then `BENCH_REUSE`; fill figures are that fill's)" : ''}. Figures are **median (min–max)** over ${RUNS} runs; this machine
is shared with other engineers, so the load average is recorded with each run. Benchmarks are not tests:
nothing here asserts a time.

## Targets
| target | measured (median) | |
|---|---|---|
| overview API \`GET /api/health\` p95 ≤ 200 ms (20 connectors, ${CITIZENS.toLocaleString('en')} master citizens) | ${r1(p95)} ms at ${CONNECTIONS} connections; ${r1(p95one)} ms at 1 connection | ${verdict(p95 <= 200)} |
| console first page load (\`/\`) ≤ 1 s on loopback in Chromium | ${r1(pageLoad)} ms (loadEventEnd, ${LOADS} loads) | ${verdict(pageLoad <= 1000)} |

## Machine
${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, PostgreSQL of the local infra
(127.0.0.1:5432), Kafka 127.0.0.1:9092. Load average (1/5/15 min) at the start: ${d.loadBefore}.

## Method
- **Data** — two scratch databases (\`bench_console_<hex>\`, \`bench_console_<hex>_cons\`), migrated by the console's and
  consolidation's own \`migrateLatest\`, filled with \`INSERT … SELECT generate_series\` ([bench/fill.ts](bench/fill.ts)),
  dropped at the end. Fill took ${r1(d.fillSeconds)} s in all; database sizes ${Object.entries(d.sizes)
    .map(([k, v]) => `\`${k}\` ${v}`)
    .join(', ')}.

| table | rows | fill s |
|---|---|---|
${d.fill.map((f) => `| ${f.table} | ${f.rows.toLocaleString('en')} | ${r1(f.seconds)} |`).join('\n')}

  Console: 20 connectors (one FAILED, one PAUSED, two with a recent error), heartbeats every ${HEARTBEAT_S} s per
  connector for 7 days (a new instance each day), ${DEAD_LETTERS.toLocaleString('en')} dead letters over 8 DLQ topics and 7 reasons
  with ~400-byte originals (one in seven replayed), lag samples of 8 groups every 15 s, 600 resolved + 2 firing alerts,
  ${DOSSIERS.toLocaleString('en')} dossiers over 12 months. Consolidation: citizens with a ~550-byte golden record (1 % merged),
  source records from \`population\` (all) and \`civil-status\` (two thirds) with the observation JSON, one \`CREATED\`
  history row per master carrying its snapshot plus recent merges/splits, a review queue (one in five open).
  Secondary indexes are dropped during the fill and rebuilt from the migrations' definitions; \`blocking_keys\` is left
  empty (no console path reads it).
- **Servers** — [bench/serve.ts](bench/serve.ts) in a child process: consolidation's exported \`createHttpApp\` (API only,
  no consumer) on the citizen database, and \`createStewardConsole\` (real Kafka, its own topics, default
  \`SAMPLE_INTERVAL_MS\` 15 s and pool of 10) with \`CONSOLIDATION_URL\` pointing at it. \`start()\` returns after the
  monitor's first round (lag, source counts, alerts) — ${Math.round(d.startMs)} ms here. While measuring, the bench
  process inserts one heartbeat per connector every 10 s, as live connectors would. Overview at start:
  \`${d.healthStatus}\`; reconciliation basis right after start: ${d.bases.map((b) => `\`${b}\``).join(', ')}; after the load runs: ${d.basesAfter.map((b) => `\`${b}\``).join(', ')}.
- **Load** — autocannon on loopback, ${SECONDS} s per run, ${RUNS} rounds of: \`GET /api/health\` at 1 connection,
  at ${CONNECTIONS} connections, \`GET /\` at ${CONNECTIONS} connections (steward API token, \`Authorization: Bearer\`). Every response time is kept, so the
  percentiles are exact (autocannon's own summary has no p95).
  Requests still running when a run's window closes are not counted, so where latency approaches the window (\`GET /\`
  at 10 connections) p95/p99 are lower bounds. The load average after each run includes the bench's own server,
  PostgreSQL backends and load generator.
- **Browser** — headless Chromium (\`/usr/bin/chromium\` through playwright-core), logs in through the form, then opens
  \`/\` ${LOADS} times in a fresh tab each (session cookie kept, assets may be cached as a returning steward's
  would be): \`loadEventEnd\` of the navigation entry.

## Results
${d.table}

Chromium: first load of \`/\` right after logging in ${r1(d.browser.first)} ms (login round trip ${Math.round(d.browser.loginMs)} ms);
${LOADS} loads: loadEventEnd ${mmm(d.browser.loads)} ms, DOMContentLoaded ${mmm(d.browser.domContentLoaded)} ms.

Single requests with no other load from the bench (5 each, ms):

| request | median (min–max) |
|---|---|
${d.singles.map(([k, v]) => `| ${k} | ${mmm(v)} |`).join('\n')}

## Where the time goes
Each statement the overview runs, timed alone from the bench process after the load runs (5 runs, ms):

| statement | median (min–max) |
|---|---|
${d.queryTimes.map(([k, v]) => `| ${k} | ${mmm(v)} |`).join('\n')}

Candidate fixes, timed the same way on the scratch databases (index created, timed, dropped):

| what-if | median (min–max) ms |
|---|---|
${d.whatIf.map(([k, v]) => `| ${k} | ${mmm(v)} |`).join('\n')}

${FINDINGS}

<details><summary>EXPLAIN (ANALYZE, BUFFERS)</summary>

${d.plans.map(([k, p]) => `### ${k}\n\n\`\`\`\n${p}\n\`\`\``).join('\n\n')}

</details>
`;
}

/** Written after reading the plans (kept in the source so a re-run keeps it; check it still matches the figures). */
const FINDINGS = `### Findings (read from the plans below; re-check them against new figures)
Both targets are missed by an order of magnitude. Every request recomputes the overview from the database, and three
statements cost about a second of PostgreSQL CPU each, every time; the 2M citizens matter only through consolidation's
\`/stats\` scan behind \`/\` (the console's own tables are what make \`/api/health\` slow). With 10 connections on
2 shared cores the server completes one or two requests per second, so p95 at 10 connections is mostly queueing
behind that work; at 1 connection it is the work itself.

1. **Dead-letter summaries are JIT-compiled on every call** — \`src/db/dead-letter.repository.ts\` \`summaries()\`
   (line 125; called by \`HealthMonitor.overview()\`, \`/dead-letters\` and the series API). The two correlated
   \`[not] exists (select … from replays …)\` per row push the plan's estimated cost (~675k with 40k dead letters) over
   \`jit_inline_above_cost\`/\`jit_optimize_above_cost\` (500k, PostgreSQL defaults), so each call JIT-compiles with
   inlining and optimisation: the plans show 1.7–2.6 s of JIT time (over leader and 2 workers) for a query whose execution
   is ~0.1 s. With \`jit = off\` alone the statement drops to a few hundred ms; rewritten, to about 100 ms. Fix: rewrite with a plain \`left join (select distinct dead_letter_id from replays)\` (what-if above — same
   result, cost far under the JIT thresholds), and/or turn JIT off for the console's connections (\`set jit = off\` in
   the pool's \`afterCreate\`, or \`alter role … set jit = off\`): an OLTP console gains nothing from JIT.
2. **Throughput scans every heartbeat** — \`src/db/health.repository.ts\` \`throughput()\` (line 117): the filter is on
   \`occurred_at\` alone and the only index is \`(connector_id, occurred_at)\`, so it is a parallel seq scan of the whole
   history (1.2M rows for 7 days of 20 connectors every 10 s; twice that at the default 14-day retention) to keep ~600
   rows of the last 5 minutes. Its cost grows with retention, not with the window. Fix without a migration: one index
   range per connector (\`from connectors c cross join lateral (… where h.connector_id = c.connector_id and
   h.occurred_at >= ?)\`, what-if above); or a migration adding \`heartbeats (occurred_at)\`.
3. **The consolidation panel scans all history on every page** — \`GET /\` awaits \`consolidation.stats()\`
   (\`src/http/pages.routes.ts\` line 42), and consolidation's \`ReadRepository.stats()\`
   (\`services/consolidation/src/db/read.repository.ts\` line 77) counts \`master_history\` rows with
   \`change in ('ABSORBED','SPLIT_OFF') and recorded_at >= now() - 1 hour\` with no index for it: a seq scan of
   every history row (2.02M rows, ~1.4 GB with the snapshots) per page view. Fix (consolidation's owner): a partial index
   \`master_history (recorded_at) where change in ('ABSORBED','SPLIT_OFF')\` (what-if above) and/or a short cache like
   \`/source-counts\` has; console side, the panel could show the monitor's last sampled value instead of a call per view.
4. **No caching of the overview** — \`HealthMonitor.overview()\` (\`src/monitor.ts\` line 96) runs the three queries
   per request although the monitor samples every 15 s. Even with 1–3 fixed, a short single-flight cache (2–5 s) would
   make the cost per request independent of how many stewards, scripts and \`hub status\` calls poll it.
5. **Reconciliation at this size** — \`/source-counts\` (a full scan of 3.3M source records, cached 30 s by
   consolidation) takes 7–10 s alone under this load (statement table), more than the console client's 5 s timeout
   (\`src/consolidation/client.ts\` line 83). Whenever a monitor round has to wait for a fresh count, it times out and
   keeps the previous one (or, on the first round, falls back to the heartbeat basis — seen in two of the three runs of
   2026-11-27, not in the one reported here); rounds that land inside consolidation's 30 s cache window succeed. Fix: compute in the
   background and serve the last value (stale-while-revalidate), or a longer timeout for that call.

The PostgreSQL here runs with \`shared_buffers\` = 128 MB (default), so the scans in 2 and 3 read through the OS cache.`;

await main();
