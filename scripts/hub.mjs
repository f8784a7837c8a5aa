#!/usr/bin/env node
// The hub's top-level commands (`npm start`, `npm test`, `npm stop`, `npm run infra:*`, …).
// Plain Node.js with no dependencies: it must run on a fresh clone before `npm install`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoFile, demoSecret, hubComponents } from './lib/components.mjs';
import { Supervisor } from './lib/supervisor.mjs';
import { ensureChromium, ensureMariaDb } from './lib/system.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const isTTY = process.stdout.isTTY;
const bold = (s) => (isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const red = (s) => (isTTY ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s) => (isTTY ? `\x1b[32m${s}\x1b[0m` : s);

let stepNo = 0;
function step(vi, en) {
  stepNo += 1;
  process.stdout.write(`\n${bold(`[${stepNo}] ${vi}`)} / ${en}\n`);
}

class StepFailed extends Error {
  constructor(what, hint) {
    super(what);
    this.hint = hint;
  }
}

/** Run a command, streaming its output; optionally collect it for parsing. */
function run(cmd, args, { env = {}, collect = false, allowFail = false, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      if (!quiet) process.stdout.write(d);
      if (collect) out += d.toString();
    });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      if (collect) out += d.toString();
    });
    child.on('error', (e) =>
      reject(new StepFailed(`${cmd} could not start: ${e.message}`, `Is ${cmd} installed and on PATH?`)),
    );
    child.on('close', (code) => {
      if (code === 0 || allowFail) resolve({ code, out });
      else reject(new StepFailed(`${cmd} ${args.join(' ')} exited with ${code}`, 'Read the output above.'));
    });
  });
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new StepFailed(
      `Node.js ${process.versions.node} is too old`,
      'Cần Node.js 20.19 trở lên / install Node.js 20.19+ (see .nvmrc).',
    );
  }
}

/** npm ci when node_modules is missing or older than the lockfile. */
async function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  step('Cài đặt thư viện', 'installing dependencies (npm ci)');
  await run('npm', ['ci', '--no-audit', '--no-fund']);
}

async function build() {
  step('Biên dịch', 'building (turbo run build)');
  await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
}

const infraCli = () => join(root, 'infra', 'local', 'dist', 'cli.js');
const schemasCli = () => join(root, 'schemas', 'dist', 'cli.js');

/** Which components this checkout had started before we began (so `npm test` stops only its own). */
function startedHere() {
  const pids = join(root, '.infra', 'pids');
  return ['kafka', 'registry'].filter((n) => existsSync(join(pids, `${n}.pid`)));
}

async function infraUp() {
  step('Khởi động hạ tầng', 'starting PostgreSQL, Kafka and the schema registry');
  await run(process.execPath, [infraCli(), 'up']);
}

async function registerSchemas() {
  step('Kiểm tra và đăng ký lược đồ', 'checking and registering Avro schemas');
  await run(process.execPath, [schemasCli(), 'register']);
}

function parseVitestTotals(text) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // vitest: "Tests  3 failed | 10 passed | 1 skipped (14)" (any order of the parts)
  for (const line of text.split('\n')) {
    // eslint-disable-next-line no-control-regex -- strips ANSI colour codes from captured output
    const clean = line.replace(/\x1b\[[0-9;]*m/g, '');
    const m = /^\S*\s*Tests\s+(.*)\(\d+\)\s*$/.exec(clean.replace(/^[^:]*:test(?::int)?:\s*/, ''));
    if (!m) continue;
    for (const part of m[1].split('|')) {
      const p = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
      if (!p) continue;
      const n = Number(p[1]);
      if (p[2] === 'passed') passed += n;
      else if (p[2] === 'failed') failed += n;
      else skipped += n;
    }
  }
  return { passed, failed, skipped };
}

async function test() {
  checkNode();
  await ensureDependencies();
  await build();
  step('Kiểm tra mã nguồn', 'lint (eslint, type-aware) and type check');
  await run('npx', ['eslint', '.', '--max-warnings=0']);
  await run('npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only']);

  const totals = { passed: 0, failed: 0, skipped: 0 };
  const add = (t) => {
    totals.passed += t.passed;
    totals.failed += t.failed;
    totals.skipped += t.skipped;
  };
  let failure;
  step('Kiểm thử đơn vị', 'unit tests (turbo run test)');
  // Two packages at a time on a 2-core machine; the timeout guards against hangs, it times nothing.
  const unit = await run('npx', ['turbo', 'run', 'test', '--continue', '--concurrency=2', '--', '--testTimeout=60000'], {
    collect: true,
    allowFail: true,
  });
  add(parseVitestTotals(unit.out));
  if (unit.code !== 0) failure = new StepFailed('unit tests failed', 'See the failing tests above.');

  const before = startedHere();
  try {
    step('Dịch vụ của máy', 'machine services the tests need (MariaDB, Chromium)');
    const say = (m) => process.stdout.write(`${m}\n`);
    say(`  MariaDB: ${await ensureMariaDb(say)}`);
    say(`  Chromium: ${ensureChromium(say)}`);
    await infraUp();
    step(
      'Kiểm tra tương thích lược đồ',
      'schema compatibility check against the registry (before registering)',
    );
    await run(process.execPath, [schemasCli(), 'check']);
    await registerSchemas();
    step('Kiểm thử tích hợp', 'integration tests against the real Kafka, registry and PostgreSQL');
    const int = await run('npx', ['turbo', 'run', 'test:int', '--concurrency=1', '--continue'], {
      collect: true,
      allowFail: true,
    });
    add(parseVitestTotals(int.out));
    if (int.code !== 0)
      failure ??= new StepFailed(
        'integration tests failed',
        'See the failing tests above; logs of Kafka and the registry are in .infra/logs/.',
      );
  } finally {
    if (before.length === 0 && startedHere().length > 0) {
      step('Dừng hạ tầng đã khởi động cho kiểm thử', 'stopping the infrastructure this test run started');
      await run(process.execPath, [infraCli(), 'down'], { allowFail: true });
    }
  }
  process.stdout.write(
    `\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`,
  );
  if (failure) throw failure;
}

const departmentsCli = () => join(root, 'infra', 'departments', 'dist', 'cli', 'main.js');

async function startDepartments() {
  step('Khởi động các hệ thống sở mô phỏng', 'starting the simulated department systems (demo data)');
  // The police system pushes to http-ingest with its own key (created once, kept in .infra/).
  await run(process.execPath, [departmentsCli(), 'up'], { env: { DEPT_PUSH_API_KEY: demoSecret(root, 'police-push') } });
}

function endpoints() {
  return JSON.parse(readFileSync(join(root, '.infra', 'endpoints.json'), 'utf8'));
}

/** Migrate and start every hub process (consolidation, connectors, APIs, console), each once. */
async function startComponents() {
  const ep = endpoints();
  const { databases, components } = hubComponents(root, ep);
  step('Khởi động các dịch vụ của hub', 'migrating and starting the hub services');
  await run(process.execPath, [infraCli(), 'db', ...databases]);
  const supervisor = new Supervisor(root);
  for (const c of components) {
    if (c.migrate && supervisor.running(c.name) === undefined) {
      await run(c.migrate[0], c.migrate.slice(1), { env: c.env });
    }
    const r = await supervisor.start(c);
    process.stdout.write(`  ${r.started ? '✓ started' : '● already running'}  ${c.name.padEnd(16)} pid ${r.pid}${c.url ? `  ${c.url}` : ''}\n`);
    if (c.demoApp && !existsSync(c.demoApp.keyFile)) {
      // The key is shown once by the CLI: keep it in .infra/ (gitignored), never in the console log.
      const out = await run(c.demoApp.command[0], c.demoApp.command.slice(1), { env: c.env, collect: true, quiet: true });
      const created = JSON.parse(out.out.slice(out.out.indexOf('{')));
      writeFileSync(c.demoApp.keyFile, `${JSON.stringify({ appId: created.appId, apiKey: created.apiKey, scopes: created.scopes }, null, 2)}\n`, { mode: 0o600 });
    }
    if (c.demoUser && !existsSync(c.demoUser.file)) {
      const password = randomBytes(12).toString('base64url');
      await run(c.demoUser.command[0], c.demoUser.command.slice(1), { env: { ...c.env, CONSOLE_PASSWORD: password }, collect: true, quiet: true });
      writeFileSync(c.demoUser.file, `${JSON.stringify({ username: 'demo', password, role: 'admin' }, null, 2)}\n`, { mode: 0o600 });
    }
  }
  return components;
}

async function start() {
  checkNode();
  await ensureDependencies();
  await build();
  await ensureMariaDb((m) => process.stdout.write(`  ${m}\n`));
  await infraUp();
  await registerSchemas();
  await startDepartments();
  await startComponents();
  const ep = endpoints();
  process.stdout.write(`\n${green('✓ Hạ tầng của hub đã sẵn sàng / the hub infrastructure is up')}\n`);
  process.stdout.write(`  Kafka:            ${ep.KAFKA_BROKERS}\n`);
  process.stdout.write(`  Schema registry:  ${ep.SCHEMA_REGISTRY_URL}\n`);
  process.stdout.write(`  PostgreSQL:       ${ep.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}\n`);
  const { components } = hubComponents(root, ep);
  for (const c of components) {
    if (c.url) process.stdout.write(`  ${c.name.padEnd(17)} ${c.url}\n`);
  }
  const demoKey = demoFile(root, 'app');
  if (existsSync(demoKey)) {
    const api = components.find((c) => c.name === 'datasets-api');
    process.stdout.write(`  Khoá ứng dụng demo / demo app key: ${demoKey} (local demo only)\n`);
    if (api) {
      process.stdout.write(`    curl -H "X-Api-Key: $(node -p "require('${demoKey}').apiKey")" ${api.url}/citizens?name=nguyen\n`);
      process.stdout.write(`    API reference: ${api.url}/docs · catalogue: ${api.url}/catalogue\n`);
    }
  }
  const steward = demoFile(root, 'steward');
  if (existsSync(steward)) {
    const ui = components.find((c) => c.name === 'steward-console');
    process.stdout.write(`  Bảng điều khiển / steward console: ${ui?.url ?? '(not running)'} — đăng nhập / log in as "demo", password in ${steward}\n`);
  }
  process.stdout.write(`  Sở mô phỏng / demo departments: npx hub-departments status\n`);
  process.stdout.write(`  Nhật ký / logs:   .infra/logs/, .infra/departments/\n`);
  process.stdout.write(`  Dừng / stop:      npm stop\n`);
}

async function stop() {
  if (!existsSync(infraCli())) {
    process.stdout.write('nothing to stop (never built here)\n');
    return;
  }
  const supervisor = new Supervisor(root);
  if (existsSync(join(root, '.infra', 'endpoints.json'))) {
    // Reverse order: intake first, consolidation last, so nothing in flight is cut off mid-way.
    for (const c of [...hubComponents(root, endpoints()).components].reverse()) {
      const how = await supervisor.stop(c.name);
      process.stdout.write(`  ${c.name}: ${how}\n`);
    }
  }
  if (existsSync(departmentsCli())) await run(process.execPath, [departmentsCli(), 'down'], { allowFail: true });
  // `--keep-infra`: stop the hub and the demo departments but leave Kafka, the registry and PostgreSQL up.
  if (!process.argv.includes('--keep-infra')) await run(process.execPath, [infraCli(), 'down']);
}

async function infra(sub) {
  if (!['up', 'down', 'status', 'topics', 'env'].includes(sub))
    throw new StepFailed(`unknown infra command "${sub}"`, 'Use up, down, status, topics or env.');
  if (sub !== 'down' && sub !== 'status') {
    checkNode();
    await ensureDependencies();
    await build();
  }
  if (!existsSync(infraCli()))
    throw new StepFailed('the launcher is not built', 'Run `npm run build` first.');
  const { code } = await run(process.execPath, [infraCli(), sub], { allowFail: sub === 'status' });
  if (sub === 'status') process.exitCode = code;
}

async function schemas(sub) {
  await ensureDependencies();
  await build();
  await run(process.execPath, [schemasCli(), sub]);
}

async function bench(which) {
  await ensureDependencies();
  await build();
  const targets = { bus: ['@hub/bench', 'bench:bus'], vn: ['@hub/vn', 'bench'] };
  const target = targets[which];
  if (!target)
    throw new StepFailed(`unknown benchmark "${which}"`, `Known: ${Object.keys(targets).join(', ')}`);
  if (which === 'bus') await infraUp();
  await run('npm', ['run', target[1], '-w', target[0], '--', ...process.argv.slice(4)]);
}

const [cmd, sub] = process.argv.slice(2);
const commands = {
  start,
  stop,
  test,
  infra: () => infra(sub ?? 'status'),
  schemas: () => schemas(sub ?? 'check'),
  bench: () => bench(sub ?? 'bus'),
};

const fn = commands[cmd];
if (!fn) {
  process.stderr.write(`usage: node scripts/hub.mjs ${Object.keys(commands).join('|')}\n`);
  process.exit(2);
}
fn().then(
  () => undefined,
  (e) => {
    process.stderr.write(`\n${red(`✗ ${e.message}`)}\n`);
    if (e.hint) process.stderr.write(`  → ${e.hint}\n`);
    process.exit(1);
  },
);
