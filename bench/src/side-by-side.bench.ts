/**
 * npm run bench [-- --quick] — the hub side by side with its ceilings and with the standard alternative
 * (issue 10), on the real broker and database, in one run:
 *   1. ceilings: Kafka's ProducerPerformance / ConsumerPerformance (JVM client, Kafka classpath) and
 *      PostgreSQL batched upsert and COPY of the same rows, flattened;
 *   2. the standard alternative: Kafka Connect standalone (connect-runtime, same version as the broker)
 *      + Debezium JDBC sink + Apicurio's Avro converter, upserting the observations into one table;
 *   3. the hub: the consolidation service (a process, built `dist/`) consuming the same topic into the
 *      master tables; beside it the batch handler alone (services/consolidation/bench, no Kafka).
 * The observations are produced once per run with the hub's Publisher (Confluent wire format, schema
 * `obs.citizen` from @hub/schemas) to a bench topic that both consumers read from the beginning.
 * CPU seconds and peak RSS of each process are read from /proc/<pid>/stat and /proc/<pid>/status;
 * PostgreSQL's share from the backends whose process title names the path's own database.
 * Each figure is the median of --runs runs, min – max beside it. Method and caveats:
 * docs/benchmarks/side-by-side.md (rewritten between its `measured` markers).
 *
 * Options: --quick (rows 5000, runs 1) --rows N (20000) --runs N (3) --partitions N (6) --tasks N (1)
 *          --only kafka,pg,debezium,hub,handler --timeout MS (600000 per path) --out FILE
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
import { dirname, join } from 'node:path';
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
const ONLY = new Set((opt('only') ?? 'kafka,pg,debezium,hub,handler').split(','));
const TIMEOUT_MS = Number(opt('timeout') ?? 600_000);
const settings = loadSettings();
const OUT = opt('out') ?? join(settings.repoRoot, 'docs', 'benchmarks', 'side-by-side.md');
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
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return [...this.ticks.values()].reduce((a, b) => a + b, 0) / CLK_TCK;
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
async function main(): Promise<void> {
  const ep = readEndpoints(settings);
  if (!ep) throw new Error('infrastructure not started: run `node infra/local/dist/cli.js up` first');
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
        await ensureTopics(
          kafka,
          Object.values(masterTopics).map((name) => ({
            name,
            partitions: 3,
            replicationFactor: 1,
            config: {},
          })),
        );
        for (const [kind, topic] of Object.entries(masterTopics)) {
          await new AvroCodec(registry, `${topic}-value`, catalog().forTopic(`master.${kind}`)).init({
            register: true,
          });
        }
        const env = {
          ...process.env,
          DATABASE_URL: url,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: ep.SCHEMA_REGISTRY_URL,
          HTTP_PORT: '0',
          KAFKA_CLIENT_ID: `bench-sbs-hub-${tag}`,
          CONSUMER_GROUP: `bench.test.sbs.hub.${tag}`,
          TOPIC_OBS_CITIZEN: obsTopic,
          TOPIC_OBS_BUSINESS: emptyB,
          TOPIC_OBS_DOSSIER: emptyD,
          TOPIC_MASTER_CITIZEN: masterTopics.citizen,
          TOPIC_MASTER_BUSINESS: masterTopics.business,
          TOPIC_MASTER_DOSSIER: masterTopics.dossier,
          TOPIC_DLQ: dlq,
          BATCH_MAX_MESSAGES: String(BATCH),
          SURVIVORSHIP_AUTHORITIES: HUB_SURVIVORSHIP,
          LOG_LEVEL: 'warn',
        };
        const m = await runWithEnv('node', [hubCli, 'migrate'], env);
        if (m.code !== 0) throw new Error(`consolidation migrate: ${m.stderr}`);
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
    } finally {
      await deleteTestTopics(kafka, topics).catch(() => undefined);
      for (const db of dbs) {
        await psql(ep.DATABASE_URL, `drop database if exists ${db} with (force)`).catch((e: unknown) =>
          log(`  could not drop ${db}: ${(e as Error).message}`),
        );
      }
    }
    // After every run, so an interrupted run still leaves the runs it finished in the report.
    if (run < RUNS) writeReport(avgSize, [...loads, `after run ${run}: ${load()}`], connectError, run);
  }
  loads.push(`end: ${load()}`);
  writeReport(avgSize, loads, connectError, RUNS);
}

async function runWithEnv(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('close', (code) => resolve({ code, stderr }));
  });
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
Measured ${new Date().toISOString().slice(0, 16)}Z: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, Kafka ${settings.kafkaVersion} (KRaft, single node), Apicurio Registry ${settings.apicurioVersion}.
Rows ${fmt(ROWS)} observations (average ${avgSize.toFixed(0)} B Avro in Confluent wire format), ${runsDone} of ${RUNS} run(s) done${runsDone === 1 ? ' — **N=1: min = max = median; a quick run, not a measurement to quote**' : ', each figure the median with min – max'}, ${PARTITIONS} partitions, Connect tasks.max ${TASKS}, ${BATCH} rows per batch everywhere.
Load average (1/5/15 min, from /proc/loadavg) — ${loads.join('; ')}.
${connectError ? `\nKafka Connect could not be started: \`${connectError.split('\n')[0] ?? ''}\`\n` : ''}
${table}

${ratios}

Command: \`npm run bench --${QUICK ? ' --quick' : ''} --rows ${ROWS} --runs ${RUNS} --partitions ${PARTITIONS} --tasks ${TASKS}\`
<!-- measured:end -->`;
  mkdirSync(dirname(OUT), { recursive: true });
  const previous = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const re = /<!-- measured:begin -->[\s\S]*<!-- measured:end -->/;
  const next = re.test(previous)
    ? previous.replace(re, measured)
    : `${previous}${previous ? '\n' : ''}${measured}\n`;
  writeFileSync(OUT, next);
  log(`\nwrote ${OUT}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`✗ ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
