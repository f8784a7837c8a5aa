/**
 * Load benchmark of the datasets API on loopback (BENCHMARK.md): fills the read model of a bench
 * database directly (BENCH_CITIZENS citizens, 200,000 by default), starts the built service as a
 * child process (HTTP only, CONSUMER_ENABLED=false), and drives it open loop at fixed arrival rates:
 * lookup by personal number at 1,000 req/s, search (name + birth year) at 200 req/s. Bounded in time
 * (BENCH_SECONDS per scenario; BENCH_LOOKUP_RPS / BENCH_SEARCH_RPS override the rates). Prints latency percentiles, throughput, errors and the service's RSS.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openLoop } from '@hub/testing/open-loop';
import { foldKey } from '@hub/vn';
import { createDb, migrateLatest } from '../src/db/migrations.js';
import { GovernanceRepository } from '../src/db/governance.repository.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const endpoints = JSON.parse(readFileSync(new URL('../../../.infra/endpoints.json', import.meta.url), 'utf8')) as Record<string, string>;
const baseUrl = process.env.DATABASE_URL ?? endpoints.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.BENCH_CITIZENS ?? 200_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PORT = Number(process.env.BENCH_PORT ?? 18_080);
/** Service processes, on PORT, PORT+1, …: requests go round-robin over them (as a load balancer would). */
const INSTANCES = Math.max(1, Number(process.env.BENCH_INSTANCES ?? 1));
const PORTS = Array.from({ length: INSTANCES }, (_, i) => PORT + i);
const DB_NAME = process.env.BENCH_DB_NAME ?? 'hub_datasets_bench';
// A/B against another build (e.g. the previous commit built elsewhere) on a copy of the bench database.
const SERVICE_MAIN = process.env.BENCH_SERVICE_MAIN ?? fileURLToPath(new URL('../dist/main.js', import.meta.url));
const LOOKUP_RPS = Number(process.env.BENCH_LOOKUP_RPS ?? 1000);
const SEARCH_RPS = Number(process.env.BENCH_SEARCH_RPS ?? 200);

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Phan', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Ma', 'Nông', 'Hà', 'Lương', 'Bàn'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Ngọc', 'Thanh', 'Quang', 'Hữu'];
const GIVEN = ['An', 'Bình', 'Chiến', 'Dũng', 'Hà', 'Hải', 'Hoa', 'Hùng', 'Hương', 'Lan', 'Linh', 'Long', 'Mai', 'Nam', 'Nga', 'Phong', 'Quân', 'Thảo', 'Thủy', 'Tuấn', 'Vân', 'Yến', 'Khánh', 'Sơn', 'Trang'];

async function fill(): Promise<void> {
  const admin = createDb(baseUrl, { max: 1 });
  await admin.raw(`drop database if exists ${DB_NAME} with (force)`);
  await admin.raw(`create database ${DB_NAME}`);
  await admin.destroy();
  const db = createDb(dbUrl(), { max: 2 });
  await migrateLatest(db);
  const t0 = Date.now();
  const fold = (xs: string[]) => xs.map((x) => foldKey(x));
  // One INSERT … SELECT generate_series per table: the rows look like what the consumer writes.
  await db.raw(
    `insert into citizens (master_id, version, state, change, record, name_tokens, commune_codes, personal_id, birth_year, birth_month, birth_day, occurred_at)
     select id, 1, 'LIVE', 'CREATED',
       jsonb_build_object('eventId', id || ':1', 'occurredAt', 1754035200000, 'masterId', id, 'version', 1, 'change', 'CREATED', 'personalId', pid,
         'aliases', '[]'::jsonb, 'fullName', s || ' ' || m || ' ' || g, 'dateOfBirth', jsonb_build_object('year', y, 'month', mo, 'day', d, 'precision', 'DAY'),
         'sex', case when sx = 0 then 'MALE' else 'FEMALE' end, 'ethnicity', null, 'nationality', 'VN',
         'permanentAddress', jsonb_build_object('provinceCode', '08', 'districtCode', null, 'communeCode', commune, 'validOn', null, 'currentCommuneCodes', jsonb_build_array(commune), 'detail', 'Tổ ' || (i % 30), 'text', null),
         'currentAddress', null, 'deceased', false, 'sources', '[]'::jsonb, 'mergedFrom', '[]'::jsonb),
       array[fs, fm, fg], array[commune], pid, y, mo, d, now()
     from (
       select i, 'bench-c-' || lpad(i::text, 7, '0') as id, y, mo, d, sx,
         (array['008', '010', '011', '012'])[1 + i / 1000000] || ((case when y >= 2000 then 2 else 0 end) + sx)::text || lpad((y % 100)::text, 2, '0') || lpad((i % 1000000)::text, 6, '0') as pid,
         lpad((2200 + i % 124)::text, 5, '0') as commune,
         (?::text[])[1 + i % ?] as s, (?::text[])[1 + (i / 7) % ?] as m, (?::text[])[1 + (i / 3) % ?] as g,
         (?::text[])[1 + i % ?] as fs, (?::text[])[1 + (i / 7) % ?] as fm, (?::text[])[1 + (i / 3) % ?] as fg
       from (select i, 1940 + i % 80 as y, 1 + i % 12 as mo, 1 + i % 28 as d, i % 2 as sx from generate_series(1, ?) as i) g0
     ) g`,
    [SURNAMES, SURNAMES.length, MIDDLE, MIDDLE.length, GIVEN, GIVEN.length, fold(SURNAMES), SURNAMES.length, fold(MIDDLE), MIDDLE.length, fold(GIVEN), GIVEN.length, N],
  );
  await db.raw(`insert into identifier_aliases (dataset, alias_key, master_id) select 'citizen', 'PID:' || personal_id, master_id from citizens`);
  await db.raw('analyze');
  console.log(`filled ${N} citizens (+ aliases) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await db.destroy();
}

function dbUrl(): string {
  const u = new URL(baseUrl);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
}

function pidOf(i: number): string {
  const y = 1940 + (i % 80);
  const digit = (y >= 2000 ? 2 : 0) + (i % 2);
  // Registration code 008 for the first million, 010, 011, 012 after it (12 digits, unique per i).
  return `${['008', '010', '011', '012'][Math.floor(i / 1_000_000)] ?? '008'}${digit}${String(y % 100).padStart(2, '0')}${String(i % 1_000_000).padStart(6, '0')}`;
}

const metricsOf = (port: number): Promise<string> => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
/** One Prometheus sample of every instance. */
const samples = async (name: string): Promise<number[]> =>
  Promise.all(PORTS.map(async (port) => Number(new RegExp(`^hub_datasets_api_${name} (\\S+)$`, 'm').exec(await metricsOf(port))?.[1] ?? NaN)));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
/** CPU seconds of all service instances together. */
const serviceCpuSeconds = async (): Promise<number> => sum(await samples('process_cpu_seconds_total'));

/** CPU seconds (user + system) of the PostgreSQL backends serving the bench database (same host). */
async function postgresCpuSeconds(db: ReturnType<typeof createDb>): Promise<number> {
  const { rows } = await db.raw<{ rows: { pid: number }[] }>(`select pid from pg_stat_activity where datname = ?`, [DB_NAME]);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      /* backend gone, or PostgreSQL on another host */
    }
  }
  return ticks / 100;
}

/** The services' event-loop delay (prom-client's monitorEventLoopDelay, reset at every scrape): worst max and p99 in ms. */
async function eventLoopDelayMs(): Promise<{ max: number; p99: number }> {
  const ms = async (name: string): Promise<number> => Math.round(Math.max(...(await samples(name))) * 1000);
  return { max: await ms('nodejs_eventloop_lag_max_seconds'), p99: await ms('nodejs_eventloop_lag_p99_seconds') };
}

async function run(title: string, rate: number, path: () => string, apiKey: string, db?: ReturnType<typeof createDb>) {
  await eventLoopDelayMs(); // resets the service's event-loop delay histogram
  const cpu0 = await serviceCpuSeconds();
  const pg0 = db ? await postgresCpuSeconds(db) : NaN;
  const driver0 = process.cpuUsage();
  const startedAtEpochMs = Date.now();
  // Open loop at a steady arrival rate, latency from each request's scheduled send (@hub/testing/open-loop;
  // autocannon's overallRate sent each second's budget as a burst — see BENCHMARK.md, session 5).
  const result = await openLoop({
    url: `http://127.0.0.1:${PORT}`,
    rate,
    seconds: SECONDS,
    headers: { authorization: `Bearer ${apiKey}` },
    // Round-robin over the instances (an absolute URL overrides the base).
    request: (i) => ({ path: `http://127.0.0.1:${PORTS[i % INSTANCES] ?? PORT}${path()}` }),
  });
  const driver = process.cpuUsage(driver0);
  const loop = await eventLoopDelayMs();
  const cpu1 = await serviceCpuSeconds();
  const pg1 = db ? await postgresCpuSeconds(db) : NaN;
  const rss = await samples('process_resident_memory_bytes');
  const line = {
    scenario: title,
    targetRps: rate,
    achievedRps: Math.round(result.achievedRate),
    answeredRps: Math.round(result.answeredRate),
    requests: result.sent,
    non2xx: result.non2xx,
    errors: result.errorCount,
    p50ms: result.latencyMs.p50,
    p90ms: result.latencyMs.p90,
    p99ms: result.latencyMs.p99,
    p999ms: result.latencyMs.p999,
    maxMs: result.latencyMs.max,
    // From the actual send (excludes this driver's own delays; what a closed-loop tool reports).
    sentToAnswerP99ms: result.serviceTimeMs.p99,
    driverMaxLagMs: result.maxScheduleLagMs,
    // When the slowest requests were scheduled (ms into the scenario): a cluster is one stall.
    startedAtEpochMs,
    slowestAtMs: result.slowest.map((x) => `${x.atMs}:${x.latencyMs}`).join(' '),
    // How long the service's event loop was blocked at worst (a stall inside the service shows here).
    serviceLoopDelayMaxMs: loop.max,
    serviceLoopDelayP99Ms: loop.p99,
    instances: INSTANCES,
    // Resident memory of each instance (the largest) and of all together.
    serviceRssMiB: Math.round(Math.max(...rss) / 1048576),
    serviceRssTotalMiB: Math.round(sum(rss) / 1048576),
    // CPU cost per request, less sensitive to the shared host than latency: service process, and the
    // PostgreSQL backends of the bench database (pool connections that lived through the scenario).
    serviceCpuMsPerReq: Number((((cpu1 - cpu0) * 1000) / Math.max(1, result.sent)).toFixed(2)),
    postgresCpuMsPerReq: Number((((pg1 - pg0) * 1000) / Math.max(1, result.sent)).toFixed(2)),
    // The load driver (this process) competes for the same two cores.
    driverCpuMsPerReq: Number(((driver.user + driver.system) / 1000 / Math.max(1, result.sent)).toFixed(2)),
    // Host load (1-minute average) right after the scenario: the machine is shared, figures are noisy.
    load1: Number(loadavg()[0]?.toFixed(1)),
  };
  console.log(JSON.stringify(line));
  return line;
}

async function main(): Promise<void> {
  if (process.env.BENCH_SKIP_FILL !== '1') await fill();
  const db = createDb(dbUrl(), { max: 2 });
  // A kept database (BENCH_SKIP_FILL=1) gets this build's newer migrations (not when benchmarking another build).
  if (process.env.BENCH_SERVICE_MAIN === undefined) await migrateLatest(db);
  if (process.env.BENCH_FILL_ONLY === '1') {
    await db.destroy();
    return;
  }
  const { apiKey } = await new GovernanceRepository(db).createApp({
    name: 'bench',
    purpose: 'load benchmark on synthetic data',
    scopes: ['citizen.identity', 'citizen.address', 'citizen.civil-status'],
    rateLimitPerMinute: 10_000_000,
  });
  // BENCH_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it stops (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  // BENCH_SERVICE_NODE_ARGS="--trace-gc": extra node options for the service; with
  // BENCH_SERVICE_STDOUT=<file> its stdout (where V8's traces go) is written there.
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const stdout = process.env.BENCH_SERVICE_STDOUT ? openSync(process.env.BENCH_SERVICE_STDOUT, 'w') : 'ignore';
  console.log(JSON.stringify({ serviceSpawnedAtEpochMs: Date.now(), instances: INSTANCES }));
  const children = PORTS.map((port) =>
    spawn(process.execPath, [...prof, ...nodeArgs, SERVICE_MAIN], {
      cwd: here,
      stdio: ['ignore', stdout, 'inherit'],
      env: {
        ...process.env,
        DATABASE_URL: dbUrl(),
        HTTP_PORT: String(port),
        KAFKA_BROKERS: endpoints.KAFKA_BROKERS ?? '127.0.0.1:9092',
        SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
        CONSUMER_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
    }),
  );
  try {
    // Up to 60 s: on the shared 2-core host, loading the service's modules alone can take over 10 s.
    for (const port of PORTS) {
      let healthy = false;
      for (let i = 0; i < 600 && !healthy; i++) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      if (!healthy) throw new Error(`the service did not answer /healthz on port ${port} within 60 s`);
    }
    const rnd = (): number => 1 + Math.floor(Math.random() * N);
    await run('warm-up', 200, () => `/citizens/by-identifier/${pidOf(rnd())}`, apiKey);
    const lookup = await run('lookup by personal number', LOOKUP_RPS, () => `/citizens/by-identifier/${pidOf(rnd())}`, apiKey, db);
    const search = await run('search name + birth year', SEARCH_RPS, () => {
      const i = rnd();
      const name = [SURNAMES[i % SURNAMES.length], MIDDLE[Math.floor(i / 7) % MIDDLE.length], GIVEN[Math.floor(i / 3) % GIVEN.length]].join(' ');
      return `/citizens?name=${encodeURIComponent(foldKey(name))}&dob=${1940 + (i % 80)}`;
    }, apiKey, db);
    const logged = (await db('access_log').count({ n: '*' }).first()) as { n: string };
    console.log(JSON.stringify({ dataset: N, accessLogRows: Number(logged.n), lookupP99Target: 20, lookupOk: lookup.p99ms <= 20, searchP99Target: 100, searchOk: search.p99ms <= 100 }));
  } finally {
    await Promise.all(
      children.map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
    );
    await db.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
