// Starts and stops the hub's own processes (services, connectors, demo departments) for `npm start`
// and `npm stop`: detached, one log file and one pid file each under .infra/, readiness polled under
// a deadline, never started twice. Dependency-free on purpose (runs before anything is built).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function readPid(file) {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probe(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file, n = 20) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
}

/**
 * @typedef {{ name: string, command: string[], env?: Record<string,string>, ready?: string, cwd?: string }} ProcessSpec
 */
export class Supervisor {
  constructor(root) {
    this.root = root;
    this.pids = join(root, '.infra', 'pids');
    this.logs = join(root, '.infra', 'logs');
  }

  pidFile(name) {
    return join(this.pids, `hub-${name}.pid`);
  }

  logFile(name) {
    return join(this.logs, `${name}.log`);
  }

  /** Start one process unless it already runs; resolve when its readiness URL answers 2xx. */
  async start(spec, { timeoutMs = 120_000 } = {}) {
    mkdirSync(this.pids, { recursive: true });
    mkdirSync(this.logs, { recursive: true });
    const pidFile = this.pidFile(spec.name);
    const existing = readPid(pidFile);
    if (existing !== undefined) return { name: spec.name, pid: existing, started: false };
    const log = this.logFile(spec.name);
    const fd = openSync(log, 'a');
    const [cmd, ...args] = spec.command;
    const child = spawn(cmd, args, {
      cwd: spec.cwd ?? this.root,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    if (spec.ready) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!isAlive(child.pid)) {
          throw Object.assign(new Error(`${spec.name} exited during start-up`), {
            hint: `Nhật ký / log: ${log}\n${tail(log)}`,
          });
        }
        if (await probe(spec.ready)) break;
        if (Date.now() > deadline) {
          throw Object.assign(
            new Error(`${spec.name} not ready at ${spec.ready} after ${timeoutMs / 1000} s`),
            { hint: `Nhật ký / log: ${log}\n${tail(log)}` },
          );
        }
        await sleep(300);
      }
    }
    return { name: spec.name, pid: child.pid, started: true };
  }

  /** Stop a process this checkout started: SIGTERM (graceful shutdown), SIGKILL after the deadline. */
  async stop(name, { timeoutMs = 30_000 } = {}) {
    const pidFile = this.pidFile(name);
    const pid = readPid(pidFile);
    rmSync(pidFile, { force: true });
    if (pid === undefined) return 'not-running';
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return 'not-running';
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return 'stopped';
      await sleep(200);
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    return 'killed';
  }

  running(name) {
    return readPid(this.pidFile(name));
  }
}
