/**
 * npm run bench [-- --quick] — the hub side by side with its ceilings and with the standard alternative
 * (issue 10), on the real broker and database, in one run:
 *   1. ceilings: Kafka's ProducerPerformance / ConsumerPerformance (JVM client, Kafka classpath) and
 *      PostgreSQL batched upsert and COPY of the same rows, flattened;
 *   2. the standard alternative: Kafka Connect standalone (connect-runtime, same version as the broker)
 *      + Debezium JDBC sink + Apicurio's Avro converter, upserting the observations into one table;
 *   3. the hub: the consolidation service (a process, built `dist/`) consuming the same topic into the
 *      master tables; beside it the batch handler alone (services/consolidation/bench, no Kafka);
 *   4. end-to-end freshness: http-ingest, consolidation and the datasets API as processes (each its
 *      own fresh database, bench topics), single citizens POSTed at a fixed rate (freshness-driver.ts)
 *      and the datasets API's citizen change feed followed: visible − sent, p50/p95/p99/max.
 * The observations are produced once per run with the hub's Publisher (Confluent wire format, schema
 * `obs.citizen` from @hub/schemas) to a bench topic that both consumers read from the beginning.
 * CPU seconds and peak RSS of each process are read from /proc/<pid>/stat and /proc/<pid>/status;
 * PostgreSQL's share from the backends whose process title names the path's own database.
 * Each figure is the median of --runs runs, min – max beside it. Method and caveats:
 * docs/benchmarks/side-by-side.md (rewritten between its `measured` and `freshness` markers, each
 * only when its paths ran).
 *
 * Charts of the run (events/s per path with min – max, freshness percentiles): Vega-Lite specs
 * rendered by Vega in headless Chromium to PNG files next to --out (charts.ts).
 *
 * Options: --quick (rows 5000, runs 1) --rows N (20000) --runs N (3) --partitions N (6) --tasks N (1)
 *          --only kafka,pg,debezium,hub,handler,freshness --timeout MS (600000 per path) --out FILE
 *          --fresh-rate N (500 records/s) --fresh-seconds N (30 quick, 60 otherwise)
 *          --fresh-drain N (300: seconds to wait, after the last send, for every record to show)
 *          --fresh-warmup N (5: seconds at the same rate before the measured records, not counted)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { kafkaClasspath, loadSettings, readEndpoints } from '@hub/infra-local';
import {
  AvroCodec,
  Publisher,
  SchemaRegistry,
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
} from '@hub/kafka';
import { catalog, type CitizenObservedInput } from '@hub/schemas';
import { renderCharts } from './charts.js';
import {
  FeedReader,
  WARMUP_BASE,
  citizenRecord,
  distribution,
  epochMs,
  personalNumber,
  resolvePersonalNumbers,
  type Distribution,
  type DriverResult,
} from './freshness.js';

// ---------------------------------------------------------------- options
const has = (name: string) => process.argv.includes(`--${name}`);
function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const QUICK = has('quick');
const ROWS = Number(opt('rows') ?? (QUICK ? 5_000 : 20_000));
const RUNS = Number(opt('runs') ?? (QUICK ? 1 : 3));
const PARTITIONS = Number(opt('partitions') ?? 6);
const TASKS = Number(opt('tasks') ?? 1);
const BATCH = 500;
const ONLY = new Set((opt('only') ?? 'kafka,pg,debezium,hub,handler,freshness').split(','));
const TIMEOUT_MS = Number(opt('timeout') ?? 600_000);
const FRESH_RATE = Number(opt('fresh-rate') ?? 500);
const FRESH_SECONDS = Number(opt('fresh-seconds') ?? (QUICK ? 30 : 60));
/** Seconds at the same rate before the measured records (not counted): the steady state is measured. */
const FRESH_WARMUP_S = Number(opt('fresh-warmup') ?? 5);
const FRESH_DRAIN_S = Number(opt('fresh-drain') ?? 300);
/** The freshness target of issue 10: p99 source commit → visible in the datasets API. */
const FRESH_TARGET_P99_MS = 2_000;
const settings = loadSettings();
// A relative --out is relative to where `npm run bench` was typed (INIT_CWD), not to bench/, where npm
// runs this workspace's script.
const OUT = resolve(
  process.env.INIT_CWD ?? process.cwd(),
  opt('out') ?? join(settings.repoRoot, 'docs', 'benchmarks', 'side-by-side.md'),
);
const CLK_TCK = 100; // Linux USER_HZ on x86-64
const HUB_SURVIVORSHIP = JSON.stringify({
  identity: ['population', 'civil-status'],
  residence: ['population'],
  civilStatus: ['civil-status'],
});

const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// ---------------------------------------------------------------- data
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Ma', 'Nông', 'Bàn', 'Hầu', 'Đỗ'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Quang', 'Ngọc', 'Hữu'];
const GIVEN = ['An', 'Bình', 'Cường', 'Dũng', 'Giang', 'Hải', 'Khánh', 'Lan', 'Mai', 'Nam', 'Phúc', 'Quân'];
const COMMUNES = ['02290', '02287', '02293', '02296', '02299', '02302', '02305', '02308'];

/**
 * Observation i: person floor(i/2), from the population register (even i) or civil status (odd i),
 * both carrying the personal number — the shape of a province's first load (two sources per person).
 */
function observation(i: number, runTag: string): CitizenObservedInput {
  const p = Math.floor(i / 2);
  const system = i % 2 === 0 ? 'population' : 'civil-status';
  const year = 1940 + (p % 80);
  const fullName = `${FAMILY[p % 10]} ${MIDDLE[Math.floor(p / 10) % 8]} ${GIVEN[Math.floor(p / 80) % 12]}`;
  const commune = COMMUNES[p % 8] ?? '02290';
  const addressText = `Thôn ${p % 40}, xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang`;
  const now = Date.UTC(2026, 10, 1) + i * 1000;
  const sex = p % 2 ? 'MALE' : 'FEMALE';
  // Digits 1–3 province (008), digit 4 century and sex, 5–6 birth year: the hub checks them.
  const personalId = `008${(year >= 2000 ? 2 : 0) + (sex === 'FEMALE' ? 1 : 0)}${String(year).slice(2)}${String(p).padStart(6, '0')}`;
  return {
    eventId: `sbs-${runTag}-${i}`,
    occurredAt: now,
    source: {
      system,
      recordId: `${system === 'population' ? 'pop' : 'cs'}-${p}`,
      version: '1',
      updatedAt: now,
      connectorId: 'bench',
      agencyCode: '000.00.00.H60',
      raw: JSON.stringify({
        so_dinh_danh: personalId,
        ho_ten: fullName,
        ngay_sinh: `${(p % 28) + 1}/${(p % 12) + 1}/${year}`,
        noi_thuong_tru: addressText,
        can_bo_nhap: 'tuphap.yenson',
      }),
    },
    operation: 'UPSERT',
    personalId,
    legacyIds: p % 3 === 0 ? [{ kind: 'CMND9', value: String(170_000_000 + p) }] : [],
    fullName,
    dateOfBirth: { year, month: (p % 12) + 1, day: (p % 28) + 1, precision: 'DAY' },
    sex,
    ethnicity: p % 4 ? 'Kinh' : 'Tày',
    nationality: 'VN',
    permanentAddress: {
      provinceCode: '08',
      districtCode: '073',
      communeCode: commune,
      validOn: 20_300,
      currentCommuneCodes: [commune],
      detail: `Thôn ${p % 40}`,
      text: addressText,
    },
    currentAddress: {
      provinceCode: '08',
      districtCode: '073',
      communeCode: commune,
      validOn: 20_300,
      currentCommuneCodes: [commune],
      detail: `Thôn ${p % 40}`,
      text: addressText,
    },
    fatherName: `${FAMILY[(p + 1) % 10]} Văn Bình`,
    motherName: `${FAMILY[(p + 2) % 10]} Thị Lan`,
    fatherPersonalId: null,
    motherPersonalId: null,
    spousePersonalId: null,
    civilEvents:
      system === 'civil-status'
        ? [
            {
              kind: 'BIRTH',
              date: { year, month: null, day: null, precision: 'YEAR' },
              registrationNumber: `KS-${p}`,
              agencyCode: '000.00.00.H60',
            },
          ]
        : [],
    phone: `09${String(p).padStart(8, '0')}`,
    email: `nguoi.dan.${p}@example.vn`,
  };
}
const keyOf = (o: CitizenObservedInput) => `${o.source.system}:${o.source.recordId}`;

// ---------------------------------------------------------------- processes and /proc
interface ProcStats {
  cpuSeconds: number;
  peakRssMb: number;
}

function readProc(pid: number): { ticks: number; hwmKb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(…)": state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    return { ticks, hwmKb: Number(hwm?.[1] ?? 0) };
  } catch {
    return undefined;
  }
}

/** Samples a process every 250 ms; the last sample before exit gives CPU time and peak RSS. */
class Watch {
  private last = { ticks: 0, hwmKb: 0 };
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 250);
  }
  sample(): void {
    const s = readProc(this.pid);
    if (s) this.last = { ticks: s.ticks, hwmKb: Math.max(s.hwmKb, this.last.hwmKb) };
  }
  /** CPU seconds so far (fresh sample). */
  cpuNow(): number {
    this.sample();
    return this.last.ticks / CLK_TCK;
  }
  stop(): ProcStats {
    this.sample();
    clearInterval(this.timer);
    return { cpuSeconds: this.last.ticks / CLK_TCK, peakRssMb: this.last.hwmKb / 1024 };
  }
}

/**
 * CPU of the PostgreSQL backends serving one database: their process title names it
 * ("postgres: user db 127.0.0.1(port) …"). Sampled every 250 ms; the bench's own count(*) polls
 * (short-lived backends, a few ms each) are included.
 */
class DbWatch {
  private readonly ticks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly match: string,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }
  private sample(): void {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return;
    }
    for (const d of pids) {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (!cmd.startsWith('postgres: ') || !cmd.includes(this.match)) continue;
        const s = readProc(Number(d));
        if (s) this.ticks.set(Number(d), Math.max(s.ticks, this.ticks.get(Number(d)) ?? 0));
      } catch {
        // gone
      }
    }
  }
  /** CPU seconds so far (fresh sample); the difference of two readings is a window's share. */
  now(): number {
    this.sample();
    return [...this.ticks.values()].reduce((a, b) => a + b, 0) / CLK_TCK;
  }
  stop(): number {
    const total = this.now();
    clearInterval(this.timer);
    return total;
  }
}

interface Started {
  child: ChildProcess;
  watch: Watch;
  exited: Promise<number | null>;
}

function start(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string }): Started {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  if (!child.pid) throw new Error(`could not start ${cmd}`);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, watch: new Watch(child.pid), exited };
}

/** Run to completion, collecting stdout; stats of the process itself. */
async function runToEnd(cmd: string, args: string[], input?: string): Promise<Ran> {
  return runToEndEnv(cmd, args, process.env, input);
}
interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
  stats: ProcStats;
  seconds: number;
}
async function runToEndEnv(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<Ran> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (!child.pid) throw new Error(`could not start ${cmd}`);
  const watch = new Watch(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let stats: ProcStats = { cpuSeconds: NaN, peakRssMb: NaN };
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.once('end', () => {
      stats = watch.stop();
    });
    child.once('close', (c) => resolve(c));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
  if (!Number.isFinite(stats.cpuSeconds)) stats = watch.stop();
  return { stdout, stderr, code, stats, seconds: (performance.now() - t0) / 1000 };
}

async function stopProcess(p: Started): Promise<ProcStats> {
  const stats = p.watch.stop();
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  await p.exited;
  clearTimeout(t);
  return stats;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- PostgreSQL via psql (no driver dependency)
function pgUrl(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}
async function psql(url: string, sql: string, input?: string): Promise<string> {
  const args = [url, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', sql];
  const r = await runToEnd('psql', args, input);
  if (r.code !== 0) throw new Error(`psql failed (${sql.slice(0, 80)}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}
async function countRows(url: string, table: string): Promise<number> {
  try {
    return Number(await psql(url, `select count(*) from ${table}`));
  } catch {
    return 0; // not created yet
  }
}

// ---------------------------------------------------------------- Maven classpath (cached like infra/local)
async function connectClasspath(): Promise<string> {
  const pom = join(settings.repoRoot, 'bench', 'maven', 'connect-pom.xml');
  const key = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const cached = join(settings.cacheDir, `classpath-bench-connect-${key}.txt`);
  if (existsSync(cached)) {
    const cp = readFileSync(cached, 'utf8').trim();
    if (cp.split(':').every((j) => existsSync(j))) return cp;
  }
  mkdirSync(settings.cacheDir, { recursive: true });
  log('resolving Kafka Connect + Debezium JDBC sink + Apicurio converter with Maven (first run only)…');
  const r = await runToEnd('mvn', [
    '-B',
    '-q',
    '-f',
    pom,
    'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath',
    `-Dmdep.outputFile=${cached}`,
  ]);
  if (r.code !== 0 || !existsSync(cached))
    throw new Error(`Maven could not resolve ${pom}:\n${(r.stdout + r.stderr).slice(-3000)}`);
  return readFileSync(cached, 'utf8').trim();
}

// ---------------------------------------------------------------- figures
interface Figure {
  rowsPerSec: number;
  seconds: number;
  /** Wall time from process start to the last row (start-up, group join, first fetch included). */
  wallSeconds?: number;
  cpuSeconds?: number;
  peakRssMb?: number;
  /** CPU seconds of the PostgreSQL backends of this path's database. */
  pgCpuSeconds?: number;
  /** CPU seconds of the process between the first and the last row (start-up excluded). */
  steadyCpuSeconds?: number;
  extra?: string;
}
const results = new Map<string, Figure[]>();
function record(k: string, f: Figure): void {
  const list = results.get(k) ?? [];
  list.push(f);
  results.set(k, list);
  log(
    `  ${k.padEnd(34)} ${fmt(f.rowsPerSec).padStart(8)} rows/s  ${f.seconds.toFixed(2)} s` +
      (f.wallSeconds !== undefined ? ` (wall ${f.wallSeconds.toFixed(1)} s)` : '') +
      (f.cpuSeconds !== undefined ? `  cpu ${f.cpuSeconds.toFixed(1)} s` : '') +
      (f.peakRssMb !== undefined ? `  peak RSS ${fmt(f.peakRssMb)} MiB` : '') +
      (f.pgCpuSeconds !== undefined ? `  PostgreSQL cpu ${f.pgCpuSeconds.toFixed(1)} s` : '') +
      (f.steadyCpuSeconds !== undefined
        ? `  steady ${(f.steadyCpuSeconds * 1000).toFixed(0)} CPU ms/1k rows`
        : '') +
      `  load ${load()}`,
  );
}
const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

// ---------------------------------------------------------------- the run
/**
 * The PostgreSQL server's version and the settings that move these figures most, for the report:
 * without autovacuum, tables bloat and plans go stale as the masters grow (consolidation session 8).
 */
let pgServer = 'PostgreSQL (settings not read)';
async function readPgServer(url: string): Promise<string> {
  const v = await psql(
    url,
    `select current_setting('server_version') || '|' || current_setting('autovacuum') || '|' || current_setting('shared_buffers')`,
  );
  const [version, autovacuum, buffers] = v.split('|');
  return `PostgreSQL ${version ?? '?'} (autovacuum ${autovacuum ?? '?'}${autovacuum === 'off' ? ' — **dead rows are never reclaimed and statistics never refreshed: consolidation slows as it grows**' : ''}, shared_buffers ${buffers ?? '?'})`;
}

async function main(): Promise<void> {
  const ep = readEndpoints(settings);
  if (!ep) throw new Error('infrastructure not started: run `node infra/local/dist/cli.js up` first');
  pgServer = await readPgServer(ep.DATABASE_URL);
  const brokers = ep.KAFKA_BROKERS.split(',');
  const kafka = createKafkaClient({ brokers, clientId: 'bench-sbs' });
  const registry = new SchemaRegistry(ep.SCHEMA_REGISTRY_URL);
  const nativeRegistry = ep.SCHEMA_REGISTRY_URL.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2');
  const schema = catalog().forTopic('obs.citizen');
  const codec = new AvroCodec<CitizenObservedInput>(registry, 'obs.citizen-value', schema);
  await codec.init({ register: true });
  const work = mkdtempSync(join(tmpdir(), 'hub-bench-sbs-'));
  const loads: string[] = [`start: ${load()}`];
  log(`rows ${ROWS}, runs ${RUNS}, partitions ${PARTITIONS}, connect tasks ${TASKS}; work dir ${work}`);
  log(`uptime load at start: ${load()}`);

  const { java, classpath: kafkaCp } = await kafkaClasspath(settings);
  const log4j = join(work, 'log4j2.properties');
  writeFileSync(
    log4j,
    [
      'status = error',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = WARN',
      'rootLogger.appenderRefs = stdout',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      'logger.connect.name = org.apache.kafka.connect.runtime.WorkerSinkTask',
      'logger.connect.level = INFO',
      '',
    ].join('\n'),
  );
  const jvm = (cp: string) => [`-Dlog4j2.configurationFile=${log4j}`, '-Xmx512m', '-cp', cp];
  let connectCp: string | undefined;
  let connectError: string | undefined;
  if (ONLY.has('debezium')) {
    try {
      connectCp = await connectClasspath();
    } catch (e) {
      connectError = (e as Error).message;
      log(`✗ Kafka Connect classpath: ${connectError}`);
    }
  }
  const hubMain = join(settings.repoRoot, 'services', 'consolidation', 'dist', 'main.js');
  const hubCli = join(settings.repoRoot, 'services', 'consolidation', 'dist', 'cli.js');
  const ingestMain = join(settings.repoRoot, 'connectors', 'http-ingest', 'dist', 'main.js');
  const datasetsMain = join(settings.repoRoot, 'services', 'datasets-api', 'dist', 'main.js');

  // Master-output topics for the hub's outbox: fixed bench names, schemas registered under them once.
  const masterTopics = {
    citizen: 'bench.test.sbs.master-citizen',
    business: 'bench.test.sbs.master-business',
    dossier: 'bench.test.sbs.master-dossier',
  };
  const observationsN = Array.from({ length: ROWS }, (_, i) => observation(i, 'x'));
  const avgSize = observationsN.reduce((s, o) => s + codec.encode(o).length, 0) / ROWS;
  log(`average encoded observation: ${avgSize.toFixed(0)} B (Confluent wire format)`);
  const flatRows = observationsN.map(flat);

  for (let run = 1; run <= RUNS; run++) {
    const tag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    log(`\nrun ${run}/${RUNS} (${tag}) load ${load()}`);
    loads.push(`run ${run}: ${load()}`);
    const topics: string[] = [];
    const dbs: string[] = [];
    const newTopic = async (label: string) => {
      const name = `bench.test.sbs.${label}.${tag}`;
      await ensureTopics(kafka, [{ name, partitions: PARTITIONS, replicationFactor: 1, config: {} }]);
      topics.push(name);
      return name;
    };
    const newDb = async (label: string) => {
      const name = `bench_test_sbs_${label}_${tag}`;
      await psql(ep.DATABASE_URL, `create database ${name}`);
      dbs.push(name);
      return pgUrl(ep.DATABASE_URL, name);
    };
    try {
      // ---- ceilings: Kafka perf tools
      if (ONLY.has('kafka')) {
        const t = await newTopic('perf');
        const prod = await runToEnd(java, [
          ...jvm(kafkaCp),
          'org.apache.kafka.tools.ProducerPerformance',
          '--topic',
          t,
          '--num-records',
          String(ROWS),
          '--record-size',
          String(Math.round(avgSize)),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${brokers.join(',')}`,
          'acks=all',
          'enable.idempotence=true',
        ]);
        const m = /([\d.]+) records\/sec/.exec(prod.stdout.trim().split('\n').pop() ?? '');
        if (!m) throw new Error(`ProducerPerformance: ${prod.stdout}${prod.stderr}`);
        record('ceiling: Kafka ProducerPerformance', {
          rowsPerSec: Number(m[1]),
          seconds: ROWS / Number(m[1]),
          wallSeconds: prod.seconds,
          cpuSeconds: prod.stats.cpuSeconds,
          peakRssMb: prod.stats.peakRssMb,
        });
        const cons = await runToEnd(java, [
          ...jvm(kafkaCp),
          'org.apache.kafka.tools.ConsumerPerformance',
          '--topic',
          t,
          '--messages',
          String(ROWS),
          '--bootstrap-server',
          brokers.join(','),
          '--group',
          `bench.test.sbs.perf.${tag}`,
        ]);
        const row = (cons.stdout.trim().split('\n').pop() ?? '').split(',').map((s) => s.trim());
        const fetchRate = Number(row[9]);
        if (!Number.isFinite(fetchRate)) throw new Error(`ConsumerPerformance: ${cons.stdout}${cons.stderr}`);
        record('ceiling: Kafka ConsumerPerformance', {
          rowsPerSec: fetchRate,
          seconds: ROWS / fetchRate,
          wallSeconds: cons.seconds,
          cpuSeconds: cons.stats.cpuSeconds,
          peakRssMb: cons.stats.peakRssMb,
        });
      }

      // ---- ceilings: PostgreSQL batched upsert and COPY of the same rows, flattened
      if (ONLY.has('pg')) {
        const url = await newDb('pg');
        await psql(url, `create table flat_upsert (${FLAT_DDL}); create table flat_copy (${FLAT_DDL});`);
        const script = ['\\set ON_ERROR_STOP 1'];
        for (let i = 0; i < flatRows.length; i += BATCH) {
          const values = flatRows
            .slice(i, i + BATCH)
            .map((r) => `(${r.map(sqlLiteral).join(',')})`)
            .join(',\n');
          script.push(
            `begin;\ninsert into flat_upsert (${FLAT_COLS.join(',')}) values\n${values}\non conflict (id) do update set ${FLAT_COLS.filter(
              (c) => c !== 'id',
            )
              .map((c) => `${c} = excluded.${c}`)
              .join(', ')};\ncommit;`,
          );
        }
        const dbName = new URL(url).pathname.slice(1);
        const wUp = new DbWatch(` ${dbName} `, 40);
        const up = await runToEnd('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1'], script.join('\n'));
        const upPg = wUp.stop();
        if (up.code !== 0) throw new Error(`psql upsert: ${up.stderr}`);
        record('ceiling: PostgreSQL batched upsert', {
          rowsPerSec: ROWS / up.seconds,
          seconds: up.seconds,
          pgCpuSeconds: upPg,
          extra: `${BATCH} rows per statement and transaction, one session`,
        });
        const csv = flatRows.map((r) => r.map(csvField).join(',')).join('\n');
        const wCp = new DbWatch(` ${dbName} `, 40);
        const cp = await runToEnd(
          'psql',
          [
            url,
            '-X',
            '-q',
            '-v',
            'ON_ERROR_STOP=1',
            '-c',
            `\\copy flat_copy (${FLAT_COLS.join(',')}) from stdin with (format csv)`,
          ],
          `${csv}\n`,
        );
        const cpPg = wCp.stop();
        if (cp.code !== 0) throw new Error(`psql copy: ${cp.stderr}`);
        const n = await countRows(url, 'flat_copy');
        if (n !== ROWS) throw new Error(`COPY loaded ${n} rows, expected ${ROWS}`);
        record('ceiling: PostgreSQL COPY', {
          rowsPerSec: ROWS / cp.seconds,
          seconds: cp.seconds,
          pgCpuSeconds: cpPg,
        });
      }

      // ---- the observations on a bench topic, produced by the hub's Publisher
      let obsTopic: string | undefined;
      if (ONLY.has('debezium') || ONLY.has('hub')) {
        obsTopic = await newTopic('obs');
        const publisher = new Publisher({
          kafka,
          registry,
          outputs: { citizen: { topic: obsTopic, subject: 'obs.citizen-value', schema } },
        });
        await publisher.start();
        const values = Array.from({ length: ROWS }, (_, i) => observation(i, tag));
        const t0 = performance.now();
        for (let i = 0; i < ROWS; i += BATCH) {
          await publisher.publishBatch(
            'citizen',
            values
              .slice(i, i + BATCH)
              .map((value) => ({ key: keyOf(value), value, source: value.source.system })),
          );
        }
        const s = (performance.now() - t0) / 1000;
        await publisher.stop();
        record('input: bus Publisher produce', { rowsPerSec: ROWS / s, seconds: s });
      }

      // ---- the standard alternative: Kafka Connect + Debezium JDBC sink + Apicurio converter
      if (ONLY.has('debezium') && connectCp && obsTopic) {
        const url = await newDb('dbz');
        const dbName = new URL(url).pathname.slice(1);
        const dir = join(work, `connect-${tag}`);
        mkdirSync(dir, { recursive: true });
        const worker = join(dir, 'worker.properties');
        const sink = join(dir, 'sink.properties');
        writeFileSync(
          worker,
          [
            `bootstrap.servers=${brokers.join(',')}`,
            'key.converter=org.apache.kafka.connect.storage.StringConverter',
            'value.converter=io.apicurio.registry.utils.converter.AvroConverter',
            `value.converter.apicurio.registry.url=${nativeRegistry}`,
            // The hub writes the Confluent wire format (magic 0 + 4-byte id = Apicurio content id).
            'value.converter.apicurio.registry.as-confluent=true',
            'value.converter.apicurio.registry.use-id=contentId',
            'value.converter.apicurio.registry.headers.enabled=false',
            `offset.storage.file.filename=${join(dir, 'offsets')}`,
            'offset.flush.interval.ms=1000',
            `listeners=http://127.0.0.1:${await freePort()}`,
            'plugin.discovery=only_scan',
            '',
          ].join('\n'),
        );
        const host = new URL(ep.DATABASE_URL);
        writeFileSync(
          sink,
          [
            `name=bench-sbs-sink-${tag}`,
            'connector.class=io.debezium.connector.jdbc.JdbcSinkConnector',
            `tasks.max=${TASKS}`,
            `topics=${obsTopic}`,
            `connection.url=jdbc:postgresql://${host.hostname}:${host.port || 5432}/${dbName}`,
            `connection.username=${decodeURIComponent(host.username) || 'postgres'}`,
            `connection.password=${decodeURIComponent(host.password)}`,
            'insert.mode=upsert',
            'delete.enabled=false',
            'primary.key.mode=record_key',
            'primary.key.fields=id',
            'schema.evolution=basic',
            'collection.name.format=citizen_observations',
            `batch.size=${BATCH}`,
            // The sink needs a struct key: the string key becomes {id}. Nested records → columns;
            // arrays have no column type in the sink here: dropped.
            'transforms=key,flatten,drop',
            'transforms.key.type=org.apache.kafka.connect.transforms.HoistField$Key',
            'transforms.key.field=id',
            'transforms.flatten.type=org.apache.kafka.connect.transforms.Flatten$Value',
            'transforms.flatten.delimiter=_',
            'transforms.drop.type=org.apache.kafka.connect.transforms.ReplaceField$Value',
            'transforms.drop.exclude=legacyIds,civilEvents,permanentAddress_currentCommuneCodes,currentAddress_currentCommuneCodes',
            '',
          ].join('\n'),
        );
        const logFile = join(dir, 'connect.log');
        const pgWatch = new DbWatch(` ${dbName} `);
        const t0 = performance.now();
        const p = start(
          java,
          [...jvm(connectCp), 'org.apache.kafka.connect.cli.ConnectStandalone', worker, sink],
          { logFile },
        );
        const f = await pollUntil(url, 'citizen_observations', p, t0, logFile);
        const stats = await stopProcess(p);
        record('alternative: Connect + Debezium JDBC', { ...f, ...stats, pgCpuSeconds: pgWatch.stop() });
      } else if (ONLY.has('debezium')) {
        log(`  alternative: Connect + Debezium JDBC   not run: ${connectError ?? 'no classpath'}`);
      }

      // ---- the hub: consolidation service as a process, same topic, master tables
      if (ONLY.has('hub') && obsTopic) {
        if (!existsSync(hubMain))
          throw new Error(`${hubMain} missing: build it with \`npm run build -w @hub/consolidation\``);
        const url = await newDb('hub');
        const emptyB = await newTopic('obs-business');
        const emptyD = await newTopic('obs-dossier');
        const dlq = await newTopic('dlq');
        await prepareMasterTopics(kafka, registry, masterTopics);
        const env = consolidationEnv({
          url,
          brokers,
          registryUrl: ep.SCHEMA_REGISTRY_URL,
          name: `hub.${tag}`,
          obs: { citizen: obsTopic, business: emptyB, dossier: emptyD },
          master: masterTopics,
          dlq,
          httpPort: 0,
        });
        await checkedRun('consolidation migrate', 'node', [hubCli, 'migrate'], env);
        const logFile = join(work, `hub-${tag}.log`);
        const pgWatch = new DbWatch(` ${new URL(url).pathname.slice(1)} `);
        const t0 = performance.now();
        const p = start('node', [hubMain], { env, logFile });
        const f = await pollUntil(url, 'processed_events', p, t0, logFile);
        const masters = await countRows(url, 'citizens');
        const stats = await stopProcess(p);
        record('hub: consolidation service', {
          ...f,
          ...stats,
          pgCpuSeconds: pgWatch.stop(),
          extra: `${fmt(masters)} citizen masters from ${fmt(ROWS)} observations`,
        });
      }

      // ---- the hub's batch handler alone (services/consolidation/bench: from memory, no Kafka)
      if (ONLY.has('handler')) {
        const benchFile = join(
          settings.repoRoot,
          'services',
          'consolidation',
          'bench',
          'consolidation.bench.ts',
        );
        const pgWatch = new DbWatch(' consolidation_bench_test_');
        const r = await runToEndEnv('node', ['--import', 'tsx', benchFile], {
          ...process.env,
          DATABASE_URL: ep.DATABASE_URL,
          BENCH_PERSONS: String(Math.round(ROWS / 2)),
        });
        const json = /\{[\s\S]*\}/.exec(r.stdout)?.[0];
        if (r.code !== 0 || !json) throw new Error(`consolidation bench: ${r.stderr.slice(-2000)}`);
        const j = JSON.parse(json) as {
          observations: number;
          seconds: number;
          observationsPerSecond: number;
        };
        record('hub: batch handler, no Kafka', {
          rowsPerSec: j.observationsPerSecond,
          seconds: j.seconds,
          wallSeconds: r.seconds,
          cpuSeconds: r.stats.cpuSeconds,
          peakRssMb: r.stats.peakRssMb,
          pgCpuSeconds: pgWatch.stop(),
          extra: `services/consolidation/bench, its own ${fmt(j.observations)} observations; wall, CPU and PostgreSQL CPU include its raw-upsert step`,
        });
      }

      // ---- end-to-end freshness: http-ingest → Kafka → consolidation → master topic → datasets API
      if (ONLY.has('freshness')) {
        for (const main of [hubMain, ingestMain, datasetsMain])
          if (!existsSync(main)) throw new Error(`${main} missing: build it with \`npx turbo run build\``);
        freshRuns.push(
          await freshnessPath({ tag, kafka, registry, brokers, ep, work, newTopic, newDb, topics, hubCli }),
        );
      }
    } finally {
      await deleteTestTopics(kafka, topics).catch(() => undefined);
      for (const db of dbs) {
        await psql(ep.DATABASE_URL, `drop database if exists ${db} with (force)`).catch((e: unknown) =>
          log(`  could not drop ${db}: ${(e as Error).message}`),
        );
      }
    }
    // After every run, so an interrupted run still leaves the runs it finished in the report.
    if (run < RUNS) await report([...loads, `after run ${run}: ${load()}`], run, false);
  }
  loads.push(`end: ${load()}`);
  await report(loads, RUNS, true);
  // A record accepted but never visible (or not accepted) is an error of the run, not a slow record.
  if (freshRuns.some((r) => r.missing > 0 || r.rejected > 0)) process.exitCode = 1;

  /**
   * Each part of the report is rewritten only when its paths ran: `--only freshness` leaves the
   * throughput table (and chart) of an earlier run in place, and the other way round.
   */
  async function report(at: string[], runsDone: number, charts: boolean): Promise<void> {
    if (results.size) writeReport(avgSize, at, connectError, runsDone);
    if (freshRuns.length) writeSection(freshnessMarkdown(at), 'freshness');
    if (!charts) return;
    const throughput = [...results.entries()].map(([path, fs]) => ({
      path,
      ...spread(fs.map((f) => f.rowsPerSec)),
    }));
    const freshness = freshRuns.length
      ? (['p50', 'p95', 'p99', 'max'] as const).map((p) => ({
          percentile: p,
          ...spread(freshRuns.map((r) => r.fresh[p])),
        }))
      : undefined;
    try {
      const files = await renderCharts({
        dir: dirname(OUT),
        caption: `${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, load ${at[at.length - 1] ?? ''}`,
        ...(throughput.length ? { throughput, runs: runsDone } : {}),
        ...(freshness
          ? { freshness, freshRuns: freshRuns.length, rate: FRESH_RATE, targetMs: FRESH_TARGET_P99_MS }
          : {}),
      });
      for (const f of files) log(`wrote ${f}`);
    } catch (e) {
      log(`✗ charts not rendered: ${(e as Error).message}`);
    }
  }
}

type Kinds<T> = { citizen: T; business: T; dossier: T };

/** Bench master-output topics (3 partitions) and their `<topic>-value` subjects, registered once. */
async function prepareMasterTopics(
  kafka: ReturnType<typeof createKafkaClient>,
  registry: SchemaRegistry,
  masterTopics: Kinds<string>,
): Promise<void> {
  await ensureTopics(
    kafka,
    Object.values(masterTopics).map((name) => ({ name, partitions: 3, replicationFactor: 1, config: {} })),
  );
  for (const [kind, topic] of Object.entries(masterTopics)) {
    await new AvroCodec(registry, `${topic}-value`, catalog().forTopic(`master.${kind}`)).init({
      register: true,
    });
  }
}

/** The consolidation service's environment on bench topics and its own database. */
function consolidationEnv(o: {
  url: string;
  brokers: string[];
  registryUrl: string;
  /** Client id and consumer group suffix. */
  name: string;
  obs: Kinds<string>;
  master: Kinds<string>;
  dlq: string;
  httpPort: number;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: o.url,
    KAFKA_BROKERS: o.brokers.join(','),
    SCHEMA_REGISTRY_URL: o.registryUrl,
    HTTP_PORT: String(o.httpPort),
    HTTP_HOST: '127.0.0.1',
    KAFKA_CLIENT_ID: `bench-sbs-${o.name}`,
    CONSUMER_GROUP: `bench.test.sbs.${o.name}`,
    TOPIC_OBS_CITIZEN: o.obs.citizen,
    TOPIC_OBS_BUSINESS: o.obs.business,
    TOPIC_OBS_DOSSIER: o.obs.dossier,
    TOPIC_MASTER_CITIZEN: o.master.citizen,
    TOPIC_MASTER_BUSINESS: o.master.business,
    TOPIC_MASTER_DOSSIER: o.master.dossier,
    TOPIC_DLQ: o.dlq,
    BATCH_MAX_MESSAGES: String(BATCH),
    SURVIVORSHIP_AUTHORITIES: HUB_SURVIVORSHIP,
    LOG_LEVEL: 'warn',
  };
}

/** Run a short command (migrate, CLI) to its end; throws with its stderr when it fails. */
async function checkedRun(
  what: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await runToEndEnv(cmd, args, env);
  if (r.code !== 0) throw new Error(`${what}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

// ---------------------------------------------------------------- end-to-end freshness (issue 10)
interface FreshRun {
  sent: number;
  accepted: number;
  seen: number;
  /** Accepted by http-ingest but not visible in the datasets API within the drain bound. */
  missing: number;
  /** Not accepted (non-200 or no answer): an error as well. */
  rejected: number;
  errors: Record<string, number>;
  achievedRate: number;
  maxScheduleLagMs: number;
  /** visible (the feed page naming the record arrived) − sent. */
  fresh: Distribution;
  /**
   * appliedAt (from the feed: `now()` of the read-model transaction, i.e. its start) − sent: a lower
   * bound, without the reader's polling and the transaction's own duration.
   */
  applied: Distribution;
  /** POST → 200 (Kafka acknowledged). */
  ack: Distribution;
  /** The consolidation's transaction start (outbox `created_at`, same transaction as the master) − sent. */
  consolidated: Distribution;
  /** The outbox relay's transaction start (outbox `sent_at`), the golden record then published − sent. */
  relayed: Distribution;
  /** From the first send to the moment the last record showed (or the drain bound). */
  windowSeconds: number;
  /** CPU seconds in that window and peak RSS, per process. */
  procs: Record<string, { cpu: number; rss: number }>;
  /** CPU seconds of each service's PostgreSQL backends in that window. */
  pg: Record<string, number>;
  feedPolls: number;
  feedFailures: number;
  unresolved: number;
}
const freshRuns: FreshRun[] = [];

interface RunCtx {
  tag: string;
  kafka: ReturnType<typeof createKafkaClient>;
  registry: SchemaRegistry;
  brokers: string[];
  ep: { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string; DATABASE_URL: string };
  work: string;
  newTopic: (label: string) => Promise<string>;
  newDb: (label: string) => Promise<string>;
  /** Topics dropped at the end of the run. */
  topics: string[];
  hubCli: string;
}

/** GET url until 200, or fail when the process exits or `ms` pass. */
async function waitReady(
  url: string,
  p: Started,
  name: string,
  logFile: string,
  ms = 180_000,
): Promise<void> {
  const until = performance.now() + ms;
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  while (performance.now() < until) {
    if (exitCode !== undefined)
      throw new Error(`${name} exited (${exitCode}); see ${logFile}:\n${tail(logFile)}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`${name} not ready within ${ms / 1000} s; see ${logFile}:\n${tail(logFile)}`);
}

/**
 * This path's topics whose names the services turn into registry subjects (`<topic>-value`: the
 * observations topic of http-ingest, the consolidation's master topics) have fixed bench names, so
 * their subjects are registered once and stay, like the hub path's. They are recreated empty:
 * the consumers read them from the beginning, so nothing of an earlier (interrupted) run may be
 * left in them; they are dropped with the run's other topics.
 */
async function freshFixedTopics(
  ctx: RunCtx,
): Promise<{ obsCitizen: string; status: string; master: Kinds<string> }> {
  const obsCitizen = 'bench.test.sbs.fresh-obs-citizen';
  const status = 'bench.test.sbs.fresh-connector-status';
  const master = {
    citizen: 'bench.test.sbs.fresh-master-citizen',
    business: 'bench.test.sbs.fresh-master-business',
    dossier: 'bench.test.sbs.fresh-master-dossier',
  };
  const names = [obsCitizen, status, ...Object.values(master)];
  await deleteTestTopics(ctx.kafka, names);
  const admin = ctx.kafka.raw.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 120; i++) {
      const existing = new Set(await admin.listTopics());
      if (!names.some((n) => existing.has(n))) break;
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
  ctx.topics.push(...names);
  await ensureTopics(ctx.kafka, [
    { name: obsCitizen, partitions: PARTITIONS, replicationFactor: 1, config: {} },
    { name: status, partitions: 1, replicationFactor: 1, config: {} },
  ]);
  for (const [topic, schemaOf] of [
    [obsCitizen, 'obs.citizen'],
    [status, 'hub.connector-status'],
  ] as const) {
    await new AvroCodec(ctx.registry, `${topic}-value`, catalog().forTopic(schemaOf)).init({
      register: true,
    });
  }
  await prepareMasterTopics(ctx.kafka, ctx.registry, master);
  return { obsCitizen, status, master };
}

async function freshnessPath(ctx: RunCtx): Promise<FreshRun> {
  const { tag, brokers, ep, work } = ctx;
  const root = settings.repoRoot;
  const dist = (ws: string, file: string) => join(root, ws, 'dist', file);
  log(`  freshness: ${FRESH_RATE} records/s for ${FRESH_SECONDS} s, drain bound ${FRESH_DRAIN_S} s`);

  // Topics: observations (as many partitions as the other paths) and heartbeats, empty
  // business/dossier inputs, dead letters, the master topics.
  const { obsCitizen, status, master } = await freshFixedTopics(ctx);
  const obs = {
    citizen: obsCitizen,
    business: await ctx.newTopic('fr-obs-business'),
    dossier: await ctx.newTopic('fr-obs-dossier'),
  };
  const hubDlq = await ctx.newTopic('fr-dlq');
  const dsDlq = await ctx.newTopic('fr-ds-dlq');
  const dbs = {
    ingest: await ctx.newDb('fr_conn'),
    hub: await ctx.newDb('fr_hub'),
    api: await ctx.newDb('fr_api'),
  };
  const dbName = (url: string) => new URL(url).pathname.slice(1);
  const pgWatch = {
    ingest: new DbWatch(` ${dbName(dbs.ingest)} `),
    hub: new DbWatch(` ${dbName(dbs.hub)} `),
    api: new DbWatch(` ${dbName(dbs.api)} `),
  };

  // http-ingest: one department allowed to push canonical citizens, no rate limit, bench topics.
  const ingestKey = randomBytes(24).toString('hex');
  const ingestConfig = join(work, `http-ingest-${tag}.json`);
  writeFileSync(
    ingestConfig,
    JSON.stringify({
      id: 'bench-fresh-ingest',
      kind: 'http-ingest',
      bodyLimit: '1mb',
      maxBatchRecords: 1000,
      rateLimitPerMinute: 0,
      heartbeatIntervalMs: 60_000,
      topics: { observations: { citizen: obs.citizen }, status },
      sources: [
        {
          system: 'police-residence',
          agencyCode: '000.00.00.H60',
          apiKeyEnv: 'INGEST_KEY_BENCH',
          entities: { citizen: {} },
        },
      ],
    }),
  );
  const ports = {
    ingest: await freePort(),
    ingestOps: await freePort(),
    hub: await freePort(),
    api: await freePort(),
  };
  const ingestEnv = {
    ...process.env,
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: ep.SCHEMA_REGISTRY_URL,
    CONNECTOR_DATABASE_URL: dbs.ingest,
    CONNECTOR_CONFIG: ingestConfig,
    HTTP_PORT: String(ports.ingest),
    HTTP_HOST: '127.0.0.1',
    OPS_PORT: String(ports.ingestOps),
    OPS_HOST: '127.0.0.1',
    REGISTER_SCHEMAS: 'false',
    ENSURE_TOPICS: 'false',
    CONNECTOR_STATUS_TOPIC: status,
    INGEST_KEY_BENCH: ingestKey,
    LOG_LEVEL: 'warn',
  };
  const hubEnv = consolidationEnv({
    url: dbs.hub,
    brokers,
    registryUrl: ep.SCHEMA_REGISTRY_URL,
    name: `fresh.${tag}`,
    obs,
    master,
    dlq: hubDlq,
    httpPort: ports.hub,
  });
  hubEnv.OUTBOX_POLL_MS = '200'; // the demo's value (.env.example)
  const apiEnv = {
    ...process.env,
    DATABASE_URL: dbs.api,
    MIGRATION_DATABASE_URL: dbs.api,
    HTTP_PORT: String(ports.api),
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: ep.SCHEMA_REGISTRY_URL,
    KAFKA_CLIENT_ID: `bench-sbs-fresh-api-${tag}`,
    CONSUMER_GROUP: `bench.test.sbs.fresh-api.${tag}`,
    CONSUMER_ENABLED: 'true',
    TOPIC_MASTER_CITIZEN: master.citizen,
    TOPIC_MASTER_BUSINESS: master.business,
    TOPIC_MASTER_DOSSIER: master.dossier,
    TOPIC_DLQ: dsDlq,
    BATCH_MAX_MESSAGES: String(BATCH),
    CONSOLIDATION_URL: '',
    PAGE_SIZE_MAX: '1000',
    LOG_LEVEL: 'warn',
  };
  const ingestMain = dist('connectors/http-ingest', 'main.js');
  const apiCli = dist('services/datasets-api', 'cli.js');
  await checkedRun('http-ingest migrate', 'node', [ingestMain, 'migrate'], ingestEnv);
  await checkedRun('consolidation migrate', 'node', [ctx.hubCli, 'migrate'], hubEnv);
  await checkedRun('datasets-api migrate', 'node', [apiCli, 'migrate'], apiEnv);
  // The reader: an application with the identity scope (the feed needs any citizen scope, the
  // read-back of the personal number citizen.identity), registered with the service's own CLI.
  const created = await checkedRun(
    'datasets-api apps create',
    'node',
    [
      apiCli,
      'apps',
      'create',
      '--name',
      'bench freshness reader',
      '--purpose',
      'measure how soon pushed records are visible (npm run bench, issue 10)',
      '--scopes',
      'citizen.identity',
      '--rate-limit',
      '1000000',
    ],
    apiEnv,
  );
  const apiKey = (JSON.parse(/\{[\s\S]*\}/.exec(created)?.[0] ?? '{}') as { apiKey?: string }).apiKey;
  if (!apiKey) throw new Error('datasets-api apps create printed no apiKey');

  const logs = {
    ingest: join(work, `fresh-ingest-${tag}.log`),
    hub: join(work, `fresh-hub-${tag}.log`),
    api: join(work, `fresh-api-${tag}.log`),
    driver: join(work, `fresh-driver-${tag}.log`),
  };
  const procs: Record<string, Started> = {};
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const ingestUrl = `http://127.0.0.1:${ports.ingest}/v1/sources/police-residence/citizens`;
  const reader = new FeedReader(apiUrl, apiKey, 1000);
  try {
    procs.consolidation = start('node', [dist('services/consolidation', 'main.js')], {
      env: hubEnv,
      logFile: logs.hub,
    });
    procs['datasets-api'] = start('node', [dist('services/datasets-api', 'main.js')], {
      env: apiEnv,
      logFile: logs.api,
    });
    procs['http-ingest'] = start('node', [ingestMain], { env: ingestEnv, logFile: logs.ingest });
    await waitReady(`http://127.0.0.1:${ports.hub}/readyz`, procs.consolidation, 'consolidation', logs.hub);
    await waitReady(`${apiUrl}/readyz`, procs['datasets-api'], 'datasets-api', logs.api);
    await waitReady(
      `http://127.0.0.1:${ports.ingest}/readyz`,
      procs['http-ingest'],
      'http-ingest',
      logs.ingest,
    );

    // Warm-up: a few records through the whole chain, so that both consumer groups have joined
    // and every partition is assigned before the clock runs. Not counted.
    reader.start();
    const WARM = 12;
    for (let i = 0; i < WARM; i++) {
      const r = await fetch(ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ingestKey },
        body: JSON.stringify(citizenRecord(WARMUP_BASE + i, tag, new Date().toISOString())),
      });
      if (r.status !== 200) throw new Error(`warm-up push answered ${r.status}: ${await r.text()}`);
    }
    const warmUntil = performance.now() + TIMEOUT_MS;
    while (reader.seen.size < WARM) {
      if (performance.now() > warmUntil)
        throw new Error(
          `warm-up: ${reader.seen.size}/${WARM} visible after ${TIMEOUT_MS / 1000} s; logs in ${work}`,
        );
      await sleep(200);
    }
    const warm = new Set(reader.seen.keys());
    log(`  freshness: chain warm (${WARM} warm-up records visible), load ${load()}`);

    // The measured window: open-loop driver in its own process, the reader follows the feed.
    const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, p.watch.cpuNow()]));
    const pg0 = Object.fromEntries(Object.entries(pgWatch).map(([k, w]) => [k, w.now()]));
    const driverOut = join(work, `fresh-driver-${tag}.json`);
    const driverFile = join(root, 'bench', 'src', 'freshness-driver.ts');
    const driver = start(
      'node',
      [
        '--import',
        'tsx',
        driverFile,
        '--url',
        ingestUrl,
        '--key',
        ingestKey,
        '--rate',
        String(FRESH_RATE),
        '--seconds',
        String(FRESH_SECONDS),
        '--tag',
        tag,
        '--first',
        '0',
        '--out',
        driverOut,
        '--warmup',
        String(FRESH_WARMUP_S),
      ],
      { logFile: logs.driver },
    );
    const driverCode = await driver.exited;
    const driverStats = driver.watch.stop();
    if (driverCode !== 0 || !existsSync(driverOut))
      throw new Error(`load driver failed (${driverCode}); see ${logs.driver}:\n${tail(logs.driver)}`);
    const d = JSON.parse(readFileSync(driverOut, 'utf8')) as DriverResult;
    const accepted = d.status.filter((s) => s === 200).length;
    const lastSent = Math.max(...d.sentAt.filter(Number.isFinite));
    const drainUntil = lastSent + FRESH_DRAIN_S * 1000;
    // The warm-up records sent at the rate become visible too; they are not measured.
    const measuredSeen = () => reader.seen.size - warm.size - (d.warmup?.accepted ?? 0);
    let nextNote = epochMs() + 15_000;
    while (measuredSeen() < accepted && epochMs() < drainUntil) {
      if (Object.values(procs).some((p) => p.child.exitCode !== null || p.child.signalCode !== null))
        throw new Error(`a service exited during the run; logs in ${work}`);
      if (epochMs() > nextNote) {
        log(`  freshness: ${measuredSeen()} of ${accepted} visible, load ${load()}`);
        nextNote += 15_000;
      }
      await sleep(100);
    }
    const cpu1 = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, p.watch.cpuNow()]));
    const pg1 = Object.fromEntries(Object.entries(pgWatch).map(([k, w]) => [k, w.now()]));
    await reader.stop();
    const windowEnd = Math.max(...[...reader.seen.values()].map((v) => v.seenAt), lastSent);
    const firstSent = Math.min(...d.sentAt.filter(Number.isFinite));

    // Which record is which: master id → personal number through the API, → serial.
    const ids = [...reader.seen.keys()].filter((id) => !warm.has(id));
    const { byMaster, failed } = await resolvePersonalNumbers(apiUrl, apiKey, ids);
    const serialOf = new Map(d.sentAt.map((_, i) => [personalNumber(i), i]));
    // Stage times from the consolidation's outbox (read after the window, by master id): when its
    // transaction wrote the golden record and when the relay picked it up for the master topic.
    const outbox = new Map<string, [number, number]>();
    const rows = await psql(
      dbs.hub,
      "select message_key, extract(epoch from created_at) * 1000, extract(epoch from sent_at) * 1000 from outbox where entity_type = 'citizen' order by id",
    );
    for (const line of rows.split('\n')) {
      const [key, created, sentAt] = line.split('|');
      if (key && !outbox.has(key)) outbox.set(key, [Number(created), sentAt ? Number(sentAt) : NaN]);
    }
    const consolidated: number[] = [];
    const relayed: number[] = [];
    const fresh: number[] = [];
    const applied: number[] = [];
    const seenSerials = new Set<number>();
    for (const id of ids) {
      const pn = byMaster.get(id);
      const i = pn === undefined ? undefined : serialOf.get(pn);
      const v = reader.seen.get(id);
      const sent = i === undefined ? undefined : d.sentAt[i];
      if (i === undefined || !v || sent === undefined || seenSerials.has(i)) continue;
      seenSerials.add(i);
      fresh.push(v.seenAt - sent);
      applied.push(v.appliedAt - sent);
      const o = outbox.get(id);
      if (o) {
        consolidated.push(o[0] - sent);
        relayed.push(o[1] - sent);
      }
    }
    const missing = d.sentAt.filter((_, i) => d.status[i] === 200 && !seenSerials.has(i)).length;
    const run: FreshRun = {
      sent: d.sentAt.length,
      accepted,
      seen: seenSerials.size,
      missing,
      rejected: d.sentAt.length - accepted,
      errors: d.errors,
      achievedRate: d.achievedRate,
      maxScheduleLagMs: d.maxScheduleLagMs,
      fresh: distribution(fresh),
      applied: distribution(applied),
      ack: distribution(d.ackMs),
      consolidated: distribution(consolidated),
      relayed: distribution(relayed),
      windowSeconds: (windowEnd - firstSent) / 1000,
      procs: {},
      pg: Object.fromEntries(Object.keys(pgWatch).map((k) => [k, (pg1[k] ?? NaN) - (pg0[k] ?? NaN)])),
      feedPolls: reader.polls,
      feedFailures: reader.failures,
      unresolved: failed,
    };
    for (const [k, p] of Object.entries(procs)) {
      const s = await stopProcess(p);
      run.procs[k] = { cpu: (cpu1[k] ?? NaN) - (cpu0[k] ?? NaN), rss: s.peakRssMb };
    }
    run.procs['load driver'] = { cpu: driverStats.cpuSeconds, rss: driverStats.peakRssMb };
    const f = run.fresh;
    log(
      `  freshness: ${run.sent} sent (${run.achievedRate.toFixed(0)}/s), ${run.accepted} accepted, ${run.seen} seen, ${run.missing} missing; ` +
        `visible − sent p50 ${fmt(f.p50)} ms, p95 ${fmt(f.p95)} ms, p99 ${fmt(f.p99)} ms, max ${fmt(f.max)} ms; ` +
        `ack p99 ${fmt(run.ack.p99)} ms; load ${load()}`,
    );
    if (run.missing || run.rejected)
      log(
        `  ✗ freshness: ${run.missing} accepted records not visible within ${FRESH_DRAIN_S} s, ${run.rejected} not accepted ${JSON.stringify(run.errors)}`,
      );
    return run;
  } finally {
    await reader.stop();
    for (const p of Object.values(procs)) if (p.child.exitCode === null) await stopProcess(p);
    for (const w of Object.values(pgWatch)) w.stop();
  }
}

/**
 * Poll `table` until it holds ROWS rows. rows/s counts from the first row seen to the last
 * (start-up, plugin scan, group join excluded); wall time from process start is reported beside it.
 */
async function pollUntil(
  url: string,
  table: string,
  p: Started,
  t0: number,
  logFile: string,
): Promise<Figure> {
  let first = 0;
  let firstCount = 0;
  let firstCpu = 0;
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`process exited (${exitCode}) before ${ROWS} rows; see ${logFile}:\n${tail(logFile)}`);
    if (performance.now() - t0 > TIMEOUT_MS) {
      await stopProcess(p);
      throw new Error(
        `timed out with ${await countRows(url, table)} rows; see ${logFile}:\n${tail(logFile)}`,
      );
    }
    const n = await countRows(url, table);
    const now = performance.now();
    if (n > 0 && !first) {
      first = now;
      firstCount = n;
      firstCpu = p.watch.cpuNow();
    }
    if (n >= ROWS) {
      const seconds = first === now ? (now - t0) / 1000 : (now - first) / 1000;
      const counted = first === now ? ROWS : ROWS - firstCount;
      const cpu = p.watch.cpuNow() - firstCpu;
      return {
        rowsPerSec: counted / seconds,
        seconds: ROWS / (counted / seconds),
        wallSeconds: (now - t0) / 1000,
        // Per 1,000 rows, so runs of different sizes compare.
        steadyCpuSeconds: first === now ? undefined : (cpu / counted) * 1000,
      };
    }
    await sleep(300);
  }
}
function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- flat rows for the PostgreSQL ceiling
const FLAT_COLS = [
  'id',
  'event_id',
  'occurred_at',
  'source_system',
  'source_record_id',
  'personal_id',
  'full_name',
  'dob_year',
  'dob_month',
  'dob_day',
  'sex',
  'ethnicity',
  'nationality',
  'permanent_commune',
  'permanent_text',
  'current_commune',
  'current_text',
  'father_name',
  'mother_name',
  'phone',
  'email',
  'raw',
];
const FLAT_DDL = `${FLAT_COLS.map((c) =>
  c === 'id'
    ? 'id text primary key'
    : c === 'occurred_at'
      ? 'occurred_at timestamptz'
      : c.startsWith('dob_')
        ? `${c} int`
        : `${c} text`,
).join(', ')}`;
type Cell = string | number | null;
function flat(o: CitizenObservedInput): Cell[] {
  return [
    keyOf(o),
    o.eventId,
    new Date(o.occurredAt).toISOString(),
    o.source.system,
    o.source.recordId,
    o.personalId ?? null,
    o.fullName ?? null,
    o.dateOfBirth?.year ?? null,
    o.dateOfBirth?.month ?? null,
    o.dateOfBirth?.day ?? null,
    o.sex ?? null,
    o.ethnicity ?? null,
    o.nationality ?? null,
    o.permanentAddress?.communeCode ?? null,
    o.permanentAddress?.text ?? null,
    o.currentAddress?.communeCode ?? null,
    o.currentAddress?.text ?? null,
    o.fatherName ?? null,
    o.motherName ?? null,
    o.phone ?? null,
    o.email ?? null,
    o.source.raw ?? null,
  ];
}
const sqlLiteral = (c: Cell) =>
  c === null ? 'null' : typeof c === 'number' ? String(c) : `'${c.replace(/'/g, "''")}'`;
const csvField = (c: Cell) =>
  c === null ? '' : typeof c === 'number' ? String(c) : `"${c.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------- report
function writeReport(
  avgSize: number,
  loads: string[],
  connectError: string | undefined,
  runsDone: number,
): void {
  const order = [
    'ceiling: Kafka ProducerPerformance',
    'ceiling: Kafka ConsumerPerformance',
    'ceiling: PostgreSQL batched upsert',
    'ceiling: PostgreSQL COPY',
    'input: bus Publisher produce',
    'alternative: Connect + Debezium JDBC',
    'hub: consolidation service',
    'hub: batch handler, no Kafka',
  ];
  const agg = (k: string) => {
    const fs = results.get(k) ?? [];
    const pick = (f: (x: Figure) => number | undefined) =>
      fs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    const r = pick((x) => x.rowsPerSec);
    return {
      k,
      n: fs.length,
      med: median(r),
      min: r.length ? Math.min(...r) : NaN,
      max: r.length ? Math.max(...r) : NaN,
      wall: median(pick((x) => x.wallSeconds)),
      cpu: median(pick((x) => x.cpuSeconds)),
      rss: median(pick((x) => x.peakRssMb)),
      steady: median(pick((x) => x.steadyCpuSeconds)),
      pg: median(pick((x) => x.pgCpuSeconds)),
      extra: fs.map((x) => x.extra).find(Boolean) ?? '',
    };
  };
  const rows = order.map(agg).filter((r) => r.n > 0);
  const get = (k: string) => rows.find((r) => r.k === k)?.med ?? NaN;
  const ratio = (a: string, b: string) => {
    const x = get(a) / get(b);
    return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
  };
  const hub = 'hub: consolidation service';
  const cpuPerK = (k: string) => {
    const r = rows.find((x) => x.k === k);
    return r ? ((r.steady + (r.pg / ROWS) * 1000) * 1000).toFixed(0) : 'NaN';
  };
  const table = [
    '| path | rows/s (median) | min – max | runs | wall s | process CPU s | steady CPU ms / 1k rows | peak RSS MiB | PostgreSQL backends CPU s | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.k} | ${fmt(r.med)} | ${fmt(r.min)} – ${fmt(r.max)} | ${r.n} | ${Number.isFinite(r.wall) ? r.wall.toFixed(1) : '—'} | ${Number.isFinite(r.cpu) ? r.cpu.toFixed(1) : '—'} | ${fmt(r.steady * 1000)} | ${fmt(r.rss)} | ${Number.isFinite(r.pg) ? r.pg.toFixed(1) : '—'} | ${r.extra} |`,
    ),
  ].join('\n');
  const ratios = [
    `- hub / Debezium JDBC sink: **${ratio(hub, 'alternative: Connect + Debezium JDBC')}**`,
    `- hub / PostgreSQL batched upsert: **${ratio(hub, 'ceiling: PostgreSQL batched upsert')}**; hub / COPY: ${ratio(hub, 'ceiling: PostgreSQL COPY')}`,
    `- hub / Kafka ConsumerPerformance: ${ratio(hub, 'ceiling: Kafka ConsumerPerformance')}`,
    `- Debezium JDBC sink / PostgreSQL batched upsert: ${ratio('alternative: Connect + Debezium JDBC', 'ceiling: PostgreSQL batched upsert')}`,
    `- CPU per 1,000 rows (process while rows flow + its PostgreSQL backends), less sensitive to the machine's load than rows/s: hub ${cpuPerK(hub)} ms, Debezium JDBC sink ${cpuPerK('alternative: Connect + Debezium JDBC')} ms → hub / Debezium **${(Number(cpuPerK(hub)) / Number(cpuPerK('alternative: Connect + Debezium JDBC'))).toFixed(2)}**`,
  ].join('\n');
  log(`\n${table}\n\n${ratios}\n\nload: ${loads.join('; ')}`);
  const measured = `<!-- measured:begin -->
Measured ${new Date().toISOString().slice(0, 16)}Z: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, Kafka ${settings.kafkaVersion} (KRaft, single node), Apicurio Registry ${settings.apicurioVersion}, ${pgServer}.
Rows ${fmt(ROWS)} observations (average ${avgSize.toFixed(0)} B Avro in Confluent wire format), ${runsDone} of ${RUNS} run(s) done${runsDone === 1 ? ' — **N=1: min = max = median; a quick run, not a measurement to quote**' : ', each figure the median with min – max'}, ${PARTITIONS} partitions, Connect tasks.max ${TASKS}, ${BATCH} rows per batch everywhere.
Load average (1/5/15 min, from /proc/loadavg) — ${loads.join('; ')}.
${connectError ? `\nKafka Connect could not be started: \`${connectError.split('\n')[0] ?? ''}\`\n` : ''}
${table}

${ratios}

Command: \`npm run bench --${QUICK ? ' --quick' : ''} --rows ${ROWS} --runs ${RUNS} --partitions ${PARTITIONS} --tasks ${TASKS}\`
<!-- measured:end -->`;
  writeSection(measured, 'measured');
}

/** Median with min – max over runs of one figure of the freshness runs. */
function spread(xs: number[]): { med: number; min: number; max: number } {
  const f = xs.filter(Number.isFinite);
  return { med: median(f), min: f.length ? Math.min(...f) : NaN, max: f.length ? Math.max(...f) : NaN };
}
const FRESH_FIGURES: [string, (r: FreshRun) => number][] = [
  ['**visible − sent, p50** (ms)', (r) => r.fresh.p50],
  ['**visible − sent, p95** (ms)', (r) => r.fresh.p95],
  ['**visible − sent, p99** (ms)', (r) => r.fresh.p99],
  ['**visible − sent, max** (ms)', (r) => r.fresh.max],
  ['http-ingest answer (POST → 200, Kafka acked), p50 (ms)', (r) => r.ack.p50],
  ['http-ingest answer (POST → 200, Kafka acked), p99 (ms)', (r) => r.ack.p99],
  ['consolidation transaction start (outbox `created_at`) − sent, p50 (ms)', (r) => r.consolidated.p50],
  ['consolidation transaction start (outbox `created_at`) − sent, p99 (ms)', (r) => r.consolidated.p99],
  ['outbox relay picked it up (outbox `sent_at`) − sent, p50 (ms)', (r) => r.relayed.p50],
  ['outbox relay picked it up (outbox `sent_at`) − sent, p99 (ms)', (r) => r.relayed.p99],
  ['read-model transaction start (feed `appliedAt`) − sent, p50 (ms)', (r) => r.applied.p50],
  ['read-model transaction start (feed `appliedAt`) − sent, p99 (ms)', (r) => r.applied.p99],
  ['achieved send rate (records/s)', (r) => r.achievedRate],
  ['driver: largest delay behind schedule (ms)', (r) => r.maxScheduleLagMs],
  ['window: first send → last record visible (s)', (r) => r.windowSeconds],
  ['chain throughput: records visible / window (records/s)', (r) => r.seen / r.windowSeconds],
];

function freshnessMarkdown(loads: string[]): string {
  const runs = freshRuns;
  const sum = (f: (r: FreshRun) => number) => runs.reduce((a, r) => a + f(r), 0);
  const p99 = spread(runs.map((r) => r.fresh.p99));
  const met = p99.med <= FRESH_TARGET_P99_MS;
  const lost = sum((r) => r.missing) + sum((r) => r.rejected);
  // CPU is counted from the first warm-up send: per record of everything sent at the rate.
  const n = FRESH_RATE * (FRESH_SECONDS + FRESH_WARMUP_S);
  const figures = FRESH_FIGURES.map(([k, f]) => {
    const s = spread(runs.map(f));
    return `| ${k} | ${fmt(s.med)} | ${fmt(s.min)} – ${fmt(s.max)} |`;
  });
  const procNames = ['http-ingest', 'consolidation', 'datasets-api', 'load driver'];
  const procRows = procNames.map((k) => {
    const cpu = spread(runs.map((r) => r.procs[k]?.cpu ?? NaN));
    const rss = spread(runs.map((r) => r.procs[k]?.rss ?? NaN));
    return `| ${k} | ${cpu.med.toFixed(1)} | ${fmt((cpu.med / n) * 1e6)} | ${fmt(rss.med)} (${fmt(rss.min)} – ${fmt(rss.max)}) |`;
  });
  const pgNames: [string, string][] = [
    ['ingest', 'PostgreSQL backends of http-ingest’s database'],
    ['hub', 'PostgreSQL backends of the consolidation’s database'],
    ['api', 'PostgreSQL backends of the datasets API’s database'],
  ];
  const pgRows = pgNames.map(([k, label]) => {
    const cpu = spread(runs.map((r) => r.pg[k] ?? NaN));
    return `| ${label} | ${cpu.med.toFixed(1)} | ${fmt((cpu.med / n) * 1e6)} | — |`;
  });
  const errors = runs.flatMap((r) => Object.entries(r.errors).map(([e, c]) => `${c} × ${e}`));
  const table = [
    '| figure | median | min – max |',
    '|---|---:|---:|',
    ...figures,
    `| records sent / accepted / visible / **missing** (all runs) | ${fmt(sum((r) => r.sent))} / ${fmt(sum((r) => r.accepted))} / ${fmt(sum((r) => r.seen))} / **${fmt(sum((r) => r.missing))}** | |`,
  ].join('\n');
  const procTable = [
    '| process | CPU s in the window (median) | CPU ms per 1k records | peak RSS MiB (median, min – max) |',
    '|---|---:|---:|---:|',
    ...procRows,
    ...pgRows,
  ].join('\n');
  log(`\n${table}\n\n${procTable}`);
  return `<!-- freshness:begin -->
Measured ${new Date().toISOString().slice(0, 16)}Z: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, Kafka ${settings.kafkaVersion} (KRaft, single node), Apicurio Registry ${settings.apicurioVersion}, ${pgServer}.
Single canonical citizens POSTed to http-ingest at ${fmt(FRESH_RATE)} records/s for ${FRESH_SECONDS} s (${fmt(FRESH_RATE * FRESH_SECONDS)} records, each a new person with its own valid personal number) per run, after ${FRESH_WARMUP_S} s at the same rate that are not measured (${fmt(FRESH_RATE * FRESH_WARMUP_S)} other records; CPU per record counts them too), ${runs.length} run(s)${runs.length === 1 ? ' — **N=1: min = max = median; not a measurement to quote**' : ', each figure the median with min – max over runs'}; observations topic ${PARTITIONS} partitions, master topics 3, ${BATCH} messages per batch in both consumers; drain bound ${FRESH_DRAIN_S} s.
Load average (1/5/15 min, from /proc/loadavg) — ${loads.join('; ')}.

${table}

Target p99 ≤ ${fmt(FRESH_TARGET_P99_MS)} ms: **${met ? 'met' : 'not met'}** (median p99 ${fmt(p99.med)} ms${runs.length > 1 ? `, runs ${fmt(p99.min)} – ${fmt(p99.max)} ms` : ''}).
${lost ? `\n**✗ Error: ${fmt(sum((r) => r.missing))} accepted record(s) never became visible within ${FRESH_DRAIN_S} s after the last send, ${fmt(sum((r) => r.rejected))} not accepted${errors.length ? ` (${errors.join(', ')})` : ''}. Their freshness is unknown, so the percentiles above leave them out and understate it.**\n` : '\nEvery accepted record became visible; none was rejected.\n'}
${procTable}

Command: \`npm run bench --${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\` (freshness settings in effect: \`--runs ${RUNS} --fresh-rate ${FRESH_RATE} --fresh-seconds ${FRESH_SECONDS} --fresh-drain ${FRESH_DRAIN_S}\`)
<!-- freshness:end -->`;
}

/** Replace the text between `begin` and `end` markers of OUT (or append it). */
function writeSection(section: string, marker: string): void {
  mkdirSync(dirname(OUT), { recursive: true });
  const previous = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const re = new RegExp(`<!-- ${marker}:begin -->[\\s\\S]*<!-- ${marker}:end -->`);
  const next = re.test(previous)
    ? previous.replace(re, () => section)
    : `${previous}${previous ? '\n' : ''}${section}\n`;
  writeFileSync(OUT, next);
  log(`\nwrote ${OUT} (${marker})`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    process.stderr.write(`✗ ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
