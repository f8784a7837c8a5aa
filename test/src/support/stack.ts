import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

/** Repository root (test/src/support → repo). */
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Where the processes started by this suite write their logs (scanned for secrets at the end). */
export const LOG_DIR = join(ROOT, 'test', '.logs');

/** Configuration files written for the processes (outside the repository: nothing to format or commit). */
export const CONFIG_DIR = join(tmpdir(), 'hub-systest-config');

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export function withDb(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Databases of one test file: names start with `systest_` and a random tag; dropped at the end. */
export class TestDatabases {
  readonly tag = `systest_${randomBytes(3).toString('hex')}`;
  private readonly created: string[] = [];
  constructor(private readonly adminUrl: string) {}

  async create(suffix: string): Promise<string> {
    const name = `${this.tag}_${suffix}`;
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
    const c = new pg.Client({ connectionString: this.adminUrl });
    await c.connect();
    try {
      await c.query(`create database ${name}`);
    } finally {
      await c.end();
    }
    this.created.push(name);
    return withDb(this.adminUrl, name);
  }

  async dropAll(): Promise<void> {
    const c = new pg.Client({ connectionString: this.adminUrl });
    await c.connect();
    try {
      for (const name of this.created) {
        if (!name.startsWith('systest_')) continue;
        await c.query(`drop database if exists ${name} with (force)`);
      }
    } finally {
      await c.end();
    }
  }
}

/** Every child this test process started: killed if the test process ends without stopping them. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** One service or connector process started by a test, its output in a log file. */
export class ServiceProcess {
  child: ChildProcess | undefined;
  starts = 0;
  constructor(
    readonly name: string,
    readonly script: string,
    readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  start(): void {
    mkdirSync(LOG_DIR, { recursive: true });
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(process.execPath, [this.script], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...this.env },
        stdio: ['ignore', fd, fd],
      });
      const child = this.child;
      children.add(child);
      child.once('exit', () => children.delete(child));
    } finally {
      closeSync(fd);
    }
    this.starts++;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Send a signal and wait (bounded) for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.alive()) return;
    const ended = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([ended, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await ended;
    }
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

/** Run a service's CLI (migrate, create an application or a user) and return its stdout. */
export function runCli(script: string, args: string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${script} ${args[0] ?? ''} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Poll a URL until it answers 200 (bounded); the process must stay alive meanwhile. */
export async function waitReady(proc: ServiceProcess, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive())
      throw new Error(`${proc.name} exited before it was ready:\n${proc.log().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(`${proc.name} not ready at ${url}:\n${proc.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** kill -9 a process (no shutdown hook runs), start it again and wait until `readyUrl` answers 200. */
export async function kill9AndRestart(proc: ServiceProcess, readyUrl: string): Promise<void> {
  await proc.stop('SIGKILL', 10_000);
  proc.start();
  await waitReady(proc, readyUrl, 180_000);
}

export const script = (workspace: string, file = 'main.js'): string => join(ROOT, workspace, 'dist', file);

/** Every log file this suite's processes wrote. */
export function logFiles(): string[] {
  try {
    return readdirSync(LOG_DIR)
      .filter((f) => f.endsWith('.log'))
      .map((f) => join(LOG_DIR, f));
  } catch {
    return [];
  }
}
