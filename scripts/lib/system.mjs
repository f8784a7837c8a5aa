// Machine-level prerequisites the project installs or starts itself on a fresh machine: MariaDB (a
// department system's database and sql-poll's second dialect) and Chromium (browser tests).
// Uses only Debian's packages; says exactly what to do when it cannot.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function sh(cmd, args, log) {
  log(`  $ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

let aptUpdated = false;
function aptInstall(pkgs, log) {
  if (process.getuid?.() !== 0) return false;
  if (!aptUpdated) aptUpdated = sh('apt-get', ['update', '-qq'], log);
  return sh('apt-get', ['install', '-y', '-qq', ...pkgs], log);
}

export class SystemError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}

/** MariaDB on 127.0.0.1:3306 (root, no password): start it, or install and start it. */
export async function ensureMariaDb(log) {
  if (await portOpen(3306)) return 'running';
  log('MariaDB is not answering on 127.0.0.1:3306; starting it');
  if (!existsSync('/usr/sbin/mariadbd') && !aptInstall(['mariadb-server'], log)) {
    throw new SystemError('MariaDB is not installed and could not be installed', 'Cài MariaDB: `apt-get install -y mariadb-server` (as root), then run the command again.');
  }
  sh('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'], log);
  for (let i = 0; i < 60; i++) {
    if (await portOpen(3306)) return 'started';
    await sleep(500);
  }
  throw new SystemError('MariaDB did not start within 30 s', 'See /var/log/mysql/ or run `mariadbd` by hand to read its error.');
}

/** Debian's Chromium for the browser tests (playwright-core drives it; nothing is downloaded). */
export function ensureChromium(log) {
  if (existsSync('/usr/bin/chromium')) return 'present';
  log('Chromium is missing; installing Debian’s chromium package for the browser tests');
  if (!aptInstall(['chromium'], log) || !existsSync('/usr/bin/chromium')) {
    throw new SystemError('Chromium is not installed', 'Cài Chromium: `apt-get install -y chromium` (as root), then run the command again.');
  }
  return 'installed';
}
