#!/usr/bin/env node
/**
 * hub-departments: generate datasets and run the simulated department systems.
 *   generate --seed N --people N --out DIR [--as-of YYYY-MM-DD] [--workers N] [--no-world]
 *   up [--seed N] [--people N]     start (or keep) the background process; idempotent
 *   down                           stop it; idempotent
 *   status                         is it running, endpoints, ground-truth counts (JSON)
 *   serve                          run in the foreground (what `up` starts)
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeDataset } from '../dataset/write-dataset.js';
import { runPaths, type RunPaths } from './paths.js';
import { serve, type StatusFile } from './serve.js';

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function intFlag(args: readonly string[], name: string, fallback: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer; got "${raw}"`);
  return n;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(paths: RunPaths): number | undefined {
  if (!existsSync(paths.pid)) return undefined;
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function readStatus(paths: RunPaths): StatusFile | undefined {
  try {
    return JSON.parse(readFileSync(paths.status, 'utf8')) as StatusFile;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function up(args: readonly string[], paths: RunPaths): Promise<number> {
  const existing = runningPid(paths);
  if (existing !== undefined) {
    console.log(JSON.stringify({ running: true, pid: existing, note: 'already running' }));
    return 0;
  }
  await mkdir(paths.dir, { recursive: true });
  await rm(paths.status, { force: true });
  const env = { ...process.env };
  if (flag(args, 'seed') !== undefined) env.DEPT_SEED = String(intFlag(args, 'seed', 42));
  if (flag(args, 'people') !== undefined) env.DEPT_PEOPLE = String(intFlag(args, 'people', 2000));
  const log = openSync(paths.log, 'a');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
    env,
  });
  child.unref();
  const { writeFile } = await import('node:fs/promises');
  await writeFile(paths.pid, `${child.pid ?? ''}\n`);
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const status = readStatus(paths);
    if (status?.ready === true) {
      console.log(
        JSON.stringify(
          { running: true, pid: child.pid, endpoints: status.endpoints, counts: status.counts },
          null,
          2,
        ),
      );
      return 0;
    }
    if (status?.error !== undefined || (child.pid !== undefined && !alive(child.pid))) {
      console.error(`departments failed to start: ${status?.error ?? 'process exited'}; see ${paths.log}`);
      await rm(paths.pid, { force: true });
      return 1;
    }
    await sleep(250);
  }
  console.error(`departments not ready after 180 s; see ${paths.log}`);
  return 1;
}

async function down(paths: RunPaths): Promise<number> {
  const pid = runningPid(paths);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(paths.pid, { force: true });
  console.log(JSON.stringify({ running: false, stopped: pid ?? null }));
  return 0;
}

function status(paths: RunPaths): number {
  const pid = runningPid(paths);
  const file = readStatus(paths);
  console.log(
    JSON.stringify(
      {
        running: pid !== undefined,
        pid: pid ?? null,
        ...(pid !== undefined && file
          ? { ready: file.ready, updatedAt: file.updatedAt, endpoints: file.endpoints, counts: file.counts }
          : {}),
      },
      null,
      2,
    ),
  );
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  const paths = runPaths();
  switch (command) {
    case 'generate': {
      const out = flag(args, 'out');
      if (out === undefined) throw new Error('generate needs --out DIR');
      const started = Date.now();
      // Worker threads render households; the output is the same for any number (0 = this thread).
      const workers = intFlag(args, 'workers', Math.min(4, availableParallelism()));
      const manifest = await writeDataset(
        { seed: intFlag(args, 'seed', 42), people: intFlag(args, 'people', 2000), asOf: flag(args, 'as-of') },
        out,
        (n) => process.stderr.write(`\r${n} people`),
        // --no-world: no world/*.jsonl; every other file (manifest included) is unchanged.
        { workers, world: !args.includes('--no-world') },
      );
      process.stderr.write('\n');
      console.log(
        JSON.stringify(
          {
            out,
            seconds: (Date.now() - started) / 1000,
            people: manifest.people,
            world: manifest.world,
            records: manifest.records,
            truthRows: manifest.truthRows,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    case 'up':
      return up(args, paths);
    case 'down':
      return down(paths);
    case 'status':
      return status(paths);
    case 'serve':
      await mkdir(paths.dir, { recursive: true });
      await serve(paths, process.env);
      return -1;
    case undefined:
    default:
      console.error(
        'usage: hub-departments generate --seed N --people N --out DIR [--workers N] [--no-world] | up [--seed N --people N] | down | status | serve',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
