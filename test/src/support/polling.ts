import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CONNECTOR_DLQ_HEADERS } from '@hub/connector-runtime';
import { decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import type { DepartmentSimulator } from '@hub/departments';
import type { KafkaClient } from '@hub/kafka';
import { eventually } from '@hub/testing';
import type { TestHub } from './hub.js';
import {
  CONFIG_DIR,
  LOG_DIR,
  ROOT,
  ServiceProcess,
  freePort,
  kill9AndRestart,
  runCli,
  script,
  waitReady,
} from './stack.js';

/**
 * Crash loops for the polling connectors (sql-poll, rest-poll): the connector process runs against a
 * simulated department (infra/departments) whose data changes between kills, and is killed -9 at
 * seeded random points — mid-poll, mid-publish, between Kafka's acknowledgement and the cursor
 * commit — then restarted. Afterwards every record's current state must be on the observation
 * topic (or in the dead-letter topic with its reason), and a record version re-read after a crash
 * must carry the eventId it had the first time (consolidation drops repeats by eventId).
 */

/**
 * A department's configuration file (connectors/config/departments) with the test's overrides;
 * `id` gives a copy of it another connector id (two departments of one kind in one process).
 */
export function departmentConfig(
  hub: TestHub,
  file: string,
  overrides: {
    topics: { observations: string; deadLetter: string };
    source?: Record<string, unknown>;
    id?: string;
  },
): string {
  const base = parseYaml(readFileSync(join(ROOT, 'connectors/config/departments', file), 'utf8')) as {
    id: string;
    source: Record<string, unknown>;
  };
  const config = {
    ...base,
    id: overrides.id ?? base.id,
    batchSize: 25, // small batches: a kill lands between two of them more often
    pollIntervalMs: 200,
    heartbeatIntervalMs: 2000,
    countIntervalMs: 0,
    topics: overrides.topics,
    source: { ...base.source, ...overrides.source },
  };
  mkdirSync(CONFIG_DIR, { recursive: true });
  const path = join(CONFIG_DIR, `${hub.label}-${hub.run}-${config.id}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Migrate a connector's database and start its process on this hub's topics; ready once its ops port answers. */
export async function startConnector(
  hub: TestHub,
  workspace: string,
  config: string,
  env: Record<string, string>,
): Promise<{ proc: ServiceProcess; readyUrl: string }> {
  const dbUrl = await hub.dbs.create(workspace.replace(/\W/g, '_').replace(/^connectors_/, ''));
  const ops = await freePort();
  const full = hub.envFor(workspace, {
    CONNECTOR_DATABASE_URL: dbUrl,
    CONNECTOR_CONFIG: config,
    OPS_PORT: String(ops),
    OPS_HOST: '127.0.0.1',
    REGISTER_SCHEMAS: 'true',
    ENSURE_TOPICS: 'false',
    CONNECTOR_STATUS_TOPIC: hub.topics.status,
    ...env,
  });
  runCli(script(workspace), ['migrate'], full);
  const name = workspace.split('/').pop() ?? workspace;
  const proc = new ServiceProcess(
    name,
    script(workspace),
    full,
    join(LOG_DIR, `${hub.label}-${hub.run}-${name}.log`),
  );
  hub.procs.push(proc);
  proc.start();
  const readyUrl = `http://127.0.0.1:${ops}/healthz`;
  await waitReady(proc, readyUrl);
  return { proc, readyUrl };
}

/** A `change` for `pollingCrashLoop`: `n` changes of a simulated department, counted. */
export const ticks = (sim: Pick<DepartmentSimulator, 'tick'>, n: number) => async (): Promise<number> => {
  const t = await sim.tick(n);
  return t.inserted + t.updated + t.deleted;
};

export interface CrashLoopStats {
  kills: number;
  changes: number;
}

/**
 * `kills` rounds of: change the source (`change`), let the connector work for a seeded random time
 * (0–`maxDelayMs`), kill -9 it, restart it, wait until it is ready.
 */
export async function pollingCrashLoop(opts: {
  proc: ServiceProcess;
  readyUrl: string;
  kills: number;
  random: () => number;
  maxDelayMs: number;
  change: (round: number) => Promise<number>;
}): Promise<CrashLoopStats> {
  const stats: CrashLoopStats = { kills: 0, changes: 0 };
  for (let round = 0; round < opts.kills; round++) {
    stats.changes += await opts.change(round);
    await new Promise((r) => setTimeout(r, Math.floor(opts.random() * opts.maxDelayMs)));
    await kill9AndRestart(opts.proc, opts.readyUrl);
    stats.kills++;
  }
  return stats;
}

export interface ReconcileReport {
  /** Source records checked (each one's current state found on a topic). */
  records: number;
  observations: number;
  /** Messages that repeat an eventId already on the topic (re-published after a crash, same eventId). */
  repeats: number;
  deadLetters: number;
}

interface Seen {
  readonly recordId: string;
  readonly operation: string;
  readonly raw: string;
  readonly eventId: string | undefined;
}

/**
 * Wait until every source record's current state (`expected`: recordId → `stateOf` its current row)
 * is on the observation topic or in the dead-letter topic, then check that no record version was
 * published under two eventIds and no eventId stands for two versions.
 */
export async function reconcilePolled(opts: {
  kafka: KafkaClient;
  entity: 'citizen' | 'dossier';
  observations: string;
  deadLetter: string;
  expected: () => Promise<ReadonlyMap<string, string>>;
  stateOf: (raw: Record<string, unknown>) => string;
  timeoutMs: number;
}): Promise<ReconcileReport> {
  const read = async (): Promise<Seen[]> => {
    const seen: Seen[] = [];
    for (const m of await readTopic(opts.kafka, opts.observations)) {
      const o = decodeObservation<{
        eventId: string;
        operation: string;
        source: { recordId: string; raw: string | null };
      }>(opts.entity, m.value);
      seen.push({
        recordId: o.source.recordId,
        operation: o.operation,
        raw: o.source.raw ?? '',
        eventId: o.eventId,
      });
    }
    for (const m of await readTopic(opts.kafka, opts.deadLetter)) {
      const recordId = m.headers[CONNECTOR_DLQ_HEADERS.recordId] ?? '';
      seen.push({
        recordId,
        operation: 'DEAD_LETTER',
        raw: m.value?.toString('utf8') ?? '',
        eventId: undefined,
      });
    }
    return seen;
  };
  const states = (seen: Seen[]): Map<string, Set<string>> => {
    const out = new Map<string, Set<string>>();
    for (const s of seen) {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(s.raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      const set = out.get(s.recordId) ?? new Set<string>();
      set.add(opts.stateOf(raw));
      out.set(s.recordId, set);
    }
    return out;
  };
  let expected: ReadonlyMap<string, string> = new Map();
  const seen = await eventually(
    async () => {
      expected = await opts.expected();
      const all = await read();
      const found = states(all);
      const missing = [...expected].filter(([id, state]) => !found.get(id)?.has(state));
      return missing.length === 0 ? all : undefined;
    },
    {
      timeoutMs: opts.timeoutMs,
      intervalMs: 2000,
      what: 'every source record in its current state on a topic',
    },
  );
  // One eventId per record version (its raw row), one version per eventId.
  const byVersion = new Map<string, Set<string>>();
  const byEvent = new Map<string, Set<string>>();
  let observations = 0;
  for (const s of seen) {
    if (s.eventId === undefined) continue;
    observations++;
    const version = `${s.recordId}|${s.operation}|${s.raw}`;
    byVersion.set(version, (byVersion.get(version) ?? new Set()).add(s.eventId));
    byEvent.set(s.eventId, (byEvent.get(s.eventId) ?? new Set()).add(version));
  }
  const twoIds = [...byVersion].filter(([, ids]) => ids.size > 1).map(([v]) => v.slice(0, 200));
  const twoVersions = [...byEvent].filter(([, vs]) => vs.size > 1).map(([e]) => e);
  if (twoIds.length > 0 || twoVersions.length > 0)
    throw new Error(
      `duplicated: ${twoIds.length} record versions published under several eventIds (${twoIds.slice(0, 3).join(' ; ')}), ` +
        `${twoVersions.length} eventIds for several versions`,
    );
  return {
    records: expected.size,
    observations,
    repeats: observations - byEvent.size,
    deadLetters: seen.length - observations,
  };
}
