import { join } from 'node:path';
import type { InfraSettings } from './settings.js';
import {
  LauncherError,
  isPidAlive,
  isPortOpen,
  readPid,
  startDetached,
  tail,
  waitUntil,
} from './processes.js';
import { ensureDatabase, redactUrl, withDatabase } from './postgres.js';
import { fetchArtifact, findJava, unpackOnce } from './toolchain.js';
import type { StartOutcome } from './kafka.js';

export function registryUrl(s: InfraSettings): string {
  return `http://127.0.0.1:${s.registryPort}/apis/ccompat/v7`;
}

export function registryPaths(s: InfraSettings) {
  return {
    logFile: join(s.runDir, 'logs', 'registry.log'),
    pidFile: join(s.runDir, 'pids', 'registry.pid'),
    installDir: join(s.cacheDir, `apicurio-registry-app-${s.apicurioVersion}`),
  };
}

/** Ready when the Confluent-compatible API answers with a subject list. */
export async function probeRegistry(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return false;
    const body: unknown = await res.json();
    return Array.isArray(body);
  } catch {
    return false;
  }
}

export async function ensureRegistry(
  s: InfraSettings,
  databaseUrl: string,
  log: (m: string) => void,
): Promise<StartOutcome> {
  const p = registryPaths(s);
  const url = registryUrl(s);
  const ours = readPid(p.pidFile);
  if (ours !== undefined) {
    await waitUntil('registry', () => probeRegistry(url), {
      timeoutMs: s.startTimeoutMs,
      alive: () => isPidAlive(ours),
    }).catch((e: unknown) => {
      throw new LauncherError(
        'registry',
        (e as Error).message,
        'Run `npm run infra:down` then `npm run infra:up`.',
        p.logFile,
      );
    });
    return 'already-running';
  }
  for (const port of [s.registryPort, s.registryManagementPort]) {
    if (await isPortOpen(port)) {
      if (port === s.registryPort && (await probeRegistry(url))) {
        log(`a schema registry not started by this checkout answers at ${url}; reusing it`);
        return 'reused-external';
      }
      throw new LauncherError(
        'registry',
        `port ${port} on 127.0.0.1 is in use by another program.`,
        `Cổng đang bận. Stop that program (\`ss -ltnp | grep :${port}\`) or choose other ports with HUB_REGISTRY_PORT / HUB_REGISTRY_MANAGEMENT_PORT.`,
      );
    }
  }
  // Apicurio 3.2+ is compiled for Java 21.
  const java = await findJava(21, 'registry', s.java21Home, 'HUB_JAVA21_HOME');
  log(`fetching Apicurio Registry ${s.apicurioVersion} from Maven Central (cached after the first time)`);
  const archive = await fetchArtifact(
    'io.apicurio',
    'apicurio-registry-app',
    s.apicurioVersion,
    'tar.gz',
    'all',
    'registry',
  );
  await unpackOnce(archive, p.installDir, 'quarkus-run.jar', 'registry');

  // Schemas are stored in PostgreSQL so that they survive a registry restart: the bytes in Kafka
  // carry schema ids that must always resolve.
  await ensureDatabase(databaseUrl, s.registryDatabase);
  const db = new URL(withDatabase(databaseUrl, s.registryDatabase));
  const jdbcUrl = `jdbc:postgresql://${db.hostname}:${db.port || '5432'}${db.pathname}`;
  log(`registry storage: ${redactUrl(db.toString())}`);
  startDetached({
    command: java.bin,
    args: [
      `-Xms128m`,
      `-Xmx${s.registryHeap}`,
      '-XX:+UseSerialGC',
      '-jar',
      join(p.installDir, 'quarkus-run.jar'),
    ],
    cwd: p.installDir,
    env: {
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: jdbcUrl,
      APICURIO_DATASOURCE_USERNAME: decodeURIComponent(db.username) || 'postgres',
      APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(db.password) || 'postgres',
      APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
      APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
      APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(s.registryPort),
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(s.registryManagementPort),
    },
    logFile: p.logFile,
    pidFile: p.pidFile,
  });
  const pid = readPid(p.pidFile);
  try {
    await waitUntil('registry', () => probeRegistry(url), {
      timeoutMs: s.startTimeoutMs,
      intervalMs: 500,
      alive: () => pid !== undefined && isPidAlive(pid),
    });
  } catch (e) {
    throw new LauncherError(
      'registry',
      `${(e as Error).message}\n${tail(p.logFile, 15)}`,
      'Apicurio did not become ready: read the log (database unreachable and port conflicts are the usual causes).',
      p.logFile,
    );
  }
  return 'started';
}
