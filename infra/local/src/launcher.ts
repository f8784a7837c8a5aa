import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeKafka } from '@hub/kafka';
import { type Endpoints, type InfraSettings } from './settings.js';
import { ensureKafka, kafkaBrokers, kafkaPaths, type StartOutcome } from './kafka.js';
import { ensureRegistry, probeRegistry, registryPaths, registryUrl } from './registry.js';
import { canConnect, ensurePostgres, redactUrl, stopPrivatePostgres } from './postgres.js';
import { readPid, removeFile, stopPid } from './processes.js';

export interface UpResult {
  readonly endpoints: Endpoints;
  readonly outcomes: Record<'postgres' | 'kafka' | 'registry', StartOutcome | 'external'>;
}

function endpointsFile(s: InfraSettings): string {
  return join(s.runDir, 'endpoints.json');
}

/** Read what `up` wrote; tests and services use it when their env does not say otherwise. */
export function readEndpoints(s: InfraSettings): Endpoints | undefined {
  const f = endpointsFile(s);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Endpoints) : undefined;
}

/** Start (or find running) PostgreSQL, Kafka and the registry. Idempotent. */
export async function up(s: InfraSettings, log: (m: string) => void = () => undefined): Promise<UpResult> {
  mkdirSync(join(s.runDir, 'logs'), { recursive: true });
  log('PostgreSQL…');
  const pg = await ensurePostgres(s, log);
  log('Kafka…');
  const kafka = await ensureKafka(s, log);
  log('Apicurio Registry…');
  const registry = await ensureRegistry(s, pg.url, log);
  const endpoints: Endpoints = {
    KAFKA_BROKERS: kafkaBrokers(s),
    SCHEMA_REGISTRY_URL: registryUrl(s),
    DATABASE_URL: pg.url,
  };
  writeFileSync(endpointsFile(s), `${JSON.stringify(endpoints, null, 2)}\n`);
  return { endpoints, outcomes: { postgres: pg.startedByUs ? 'started' : 'external', kafka, registry } };
}

/** Stop only what this checkout started (pid files under the run folder), registry first. */
export async function down(s: InfraSettings, log: (m: string) => void = () => undefined): Promise<void> {
  const targets = [
    { name: 'registry', pidFile: registryPaths(s).pidFile },
    { name: 'kafka', pidFile: kafkaPaths(s).pidFile },
  ];
  for (const t of targets) {
    const pid = readPid(t.pidFile);
    if (pid === undefined) {
      log(`${t.name}: not running (nothing to stop)`);
      continue;
    }
    const how = await stopPid(pid, 60_000);
    removeFile(t.pidFile);
    log(`${t.name}: ${how} (pid ${pid})`);
  }
  if (await stopPrivatePostgres(s)) log('private postgresql: stopped');
}

/** Stop the registry this checkout started (tests of durability restart it with `up`). */
export async function stopRegistry(s: InfraSettings): Promise<boolean> {
  const pidFile = registryPaths(s).pidFile;
  const pid = readPid(pidFile);
  if (pid === undefined) return false;
  await stopPid(pid, 60_000);
  removeFile(pidFile);
  return true;
}

/** Start just the registry again (after stopRegistry), against the same storage. */
export async function startRegistry(s: InfraSettings): Promise<StartOutcome> {
  const ep = readEndpoints(s);
  return ensureRegistry(s, ep?.DATABASE_URL ?? s.databaseUrl, () => undefined);
}

export interface ComponentStatus {
  readonly name: string;
  readonly up: boolean;
  readonly startedByThisCheckout: boolean;
  readonly endpoint: string;
  readonly pid?: number;
  readonly log?: string;
}

export async function status(s: InfraSettings): Promise<ComponentStatus[]> {
  const ep = readEndpoints(s);
  const dbUrl = ep?.DATABASE_URL ?? s.databaseUrl;
  const kPid = readPid(kafkaPaths(s).pidFile);
  const rPid = readPid(registryPaths(s).pidFile);
  return [
    {
      name: 'postgresql',
      up: await canConnect(dbUrl),
      startedByThisCheckout: dbUrl !== s.databaseUrl,
      endpoint: redactUrl(dbUrl),
    },
    {
      name: 'kafka',
      up: await probeKafka([kafkaBrokers(s)]),
      startedByThisCheckout: kPid !== undefined,
      endpoint: kafkaBrokers(s),
      ...(kPid !== undefined ? { pid: kPid } : {}),
      log: kafkaPaths(s).logFile,
    },
    {
      name: 'registry',
      up: await probeRegistry(registryUrl(s)),
      startedByThisCheckout: rPid !== undefined,
      endpoint: registryUrl(s),
      ...(rPid !== undefined ? { pid: rPid } : {}),
      log: registryPaths(s).logFile,
    },
  ];
}
