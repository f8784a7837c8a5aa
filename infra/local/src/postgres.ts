import { existsSync, mkdirSync, readdirSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { InfraSettings } from './settings.js';
import { LauncherError, isPortOpen, readPid, run, stopPid, waitUntil } from './processes.js';

export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Create a database when it does not exist (idempotent; safe when two launchers race). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database ${name}`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // duplicate_database: another launcher won the race
      });
    }
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function findPgBin(name: string): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
      const bin = join(root, v, 'bin', name);
      if (existsSync(bin)) return bin;
    }
  }
  return undefined;
}

/** initdb/postgres refuse to run as root; run them as the `postgres` system user then. */
function asPgUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
  return [bin, args];
}

export interface PostgresResult {
  readonly url: string;
  readonly startedByUs: boolean;
  readonly pidFile?: string;
}

/**
 * Use the server at DATABASE_URL when it answers; otherwise initialise and start a private one from
 * the machine's PostgreSQL binaries in `<runDir>/postgres` on a port of its own.
 */
export async function ensurePostgres(s: InfraSettings, log: (m: string) => void): Promise<PostgresResult> {
  if (await canConnect(s.databaseUrl)) return { url: s.databaseUrl, startedByUs: false };

  const dataDir = join(s.runDir, 'postgres', 'data');
  const logFile = join(s.runDir, 'logs', 'postgres.log');
  const pidFile = join(dataDir, 'postmaster.pid');
  const url = `postgres://postgres@127.0.0.1:${s.privatePostgresPort}/postgres`;
  if (await canConnect(url)) return { url, startedByUs: true, pidFile };

  const initdb = findPgBin('initdb');
  const pgCtl = findPgBin('pg_ctl');
  if (!initdb || !pgCtl) {
    throw new LauncherError(
      'postgresql',
      `no PostgreSQL answers at ${redactUrl(s.databaseUrl)} and no PostgreSQL binaries were found to start a private one.`,
      'Start your PostgreSQL server or set DATABASE_URL to one; or install the binaries: `apt-get install -y postgresql`.',
    );
  }
  log(
    `PostgreSQL at ${redactUrl(s.databaseUrl)} is unreachable; starting a private server on port ${s.privatePostgresPort}`,
  );
  if (await isPortOpen(s.privatePostgresPort)) {
    throw new LauncherError(
      'postgresql',
      `port ${s.privatePostgresPort} is in use by another program.`,
      'Free it or set HUB_PRIVATE_PG_PORT to a free port.',
    );
  }
  mkdirSync(join(s.runDir, 'logs'), { recursive: true });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true });
    if (process.getuid?.() === 0) {
      const id = await run('id', ['-u', 'postgres']);
      const gid = await run('id', ['-g', 'postgres']);
      chownSync(dataDir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
      chownSync(join(s.runDir, 'logs'), Number(id.stdout.trim()), Number(gid.stdout.trim()));
    }
    const [cmd, args] = asPgUser(initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    const r = await run(cmd, args);
    if (r.code !== 0)
      throw new LauncherError(
        'postgresql',
        `initdb failed: ${r.stderr || r.stdout}`,
        'Check that the data folder is writable and empty.',
        logFile,
      );
  }
  const [cmd, args] = asPgUser(pgCtl, [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-o',
    `-p ${s.privatePostgresPort} -c listen_addresses=127.0.0.1 -k /tmp`,
    'start',
  ]);
  const r = await run(cmd, args, { timeoutMs: 60_000 });
  if (r.code !== 0)
    throw new LauncherError(
      'postgresql',
      `pg_ctl start failed: ${r.stderr || r.stdout}`,
      'Read the log below.',
      logFile,
    );
  await waitUntil('postgresql', () => canConnect(url), { timeoutMs: s.startTimeoutMs });
  return { url, startedByUs: true, pidFile };
}

export async function stopPrivatePostgres(s: InfraSettings): Promise<boolean> {
  const pid = readPid(join(s.runDir, 'postgres', 'data', 'postmaster.pid'));
  if (pid === undefined) return false;
  await stopPid(pid, 30_000);
  return true;
}

/** Never print a password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
