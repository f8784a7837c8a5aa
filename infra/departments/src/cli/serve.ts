/** `hub-departments serve`: the long-running process that `up` starts in the background. */
import { writeFile } from 'node:fs/promises';
import { createLogger } from '@hub/log';
import { Departments } from '../runner/departments.js';
import { clientOf, loadDepartmentsConfig } from '../runner/config.js';
import type { RunPaths } from './paths.js';

export interface StatusFile {
  pid: number;
  ready: boolean;
  startedAt: string;
  updatedAt: string;
  seed: number;
  people: number;
  endpoints: { civilStatus: string; business: string; oneStop: string; pushTarget: string; fileDrop: string };
  counts: unknown;
  error?: string;
}

export async function serve(paths: RunPaths, env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadDepartmentsConfig(env);
  const logger = createLogger({ service: 'departments', level: config.LOG_LEVEL });
  const fileDrop = config.DEPT_FILE_DROP_DIR ?? paths.drop;
  const departments = new Departments({
    world: { seed: config.DEPT_SEED, people: config.DEPT_PEOPLE },
    civilStatus: {
      client: clientOf(config.DEPT_CIVIL_STATUS_DB_URL),
      serverUrl: config.DEPT_CIVIL_STATUS_DB_URL,
      database: config.DEPT_CIVIL_STATUS_DB,
    },
    business: {
      client: clientOf(config.DEPT_BUSINESS_DB_URL),
      serverUrl: config.DEPT_BUSINESS_DB_URL,
      database: config.DEPT_BUSINESS_DB,
    },
    oneStop: {
      port: config.DEPT_ONE_STOP_PORT,
      apiKeys: config.DEPT_ONE_STOP_API_KEYS,
      rateLimit: { perSecond: config.DEPT_ONE_STOP_RATE_PER_SECOND, burst: config.DEPT_ONE_STOP_RATE_BURST },
    },
    push: { targetUrl: config.DEPT_PUSH_TARGET_URL, apiKey: config.DEPT_PUSH_API_KEY },
    fileDropDir: fileDrop,
    logger,
  });
  const startedAt = new Date().toISOString();
  const hide = (url: string) => {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  };
  const status = (ready: boolean, counts: unknown, error?: string): StatusFile => ({
    pid: process.pid,
    ready,
    startedAt,
    updatedAt: new Date().toISOString(),
    seed: config.DEPT_SEED,
    people: config.DEPT_PEOPLE,
    endpoints: {
      civilStatus: `${hide(config.DEPT_CIVIL_STATUS_DB_URL).replace(/\/$/, '')}/${config.DEPT_CIVIL_STATUS_DB}`,
      business: `${hide(config.DEPT_BUSINESS_DB_URL).replace(/\/$/, '')}/${config.DEPT_BUSINESS_DB}`,
      oneStop: `http://127.0.0.1:${config.DEPT_ONE_STOP_PORT}/api/v1/dossiers`,
      pushTarget: config.DEPT_PUSH_TARGET_URL,
      fileDrop,
    },
    counts,
    ...(error === undefined ? {} : { error }),
  });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('departments_stopping');
    const deadline = setTimeout(() => process.exit(1), 15_000);
    try {
      await departments.stop();
    } finally {
      clearTimeout(deadline);
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  try {
    await departments.startAndSeed();
    await writeFile(paths.status, JSON.stringify(status(true, await departments.counts()), null, 2));
    logger.info({ oneStopPort: config.DEPT_ONE_STOP_PORT, fileDrop }, 'departments_ready');
    departments.startLive({
      tickMs: config.DEPT_TICK_MS,
      changesPerTick: config.DEPT_TICK_CHANGES,
      truthFile: paths.truthLive,
      onTick: async (counts) => writeFile(paths.status, JSON.stringify(status(true, counts), null, 2)),
    });
  } catch (e: unknown) {
    logger.error({ err: e }, 'departments_failed');
    await writeFile(
      paths.status,
      JSON.stringify(status(false, null, e instanceof Error ? e.message : String(e)), null, 2),
    );
    await shutdown(1);
  }
}
