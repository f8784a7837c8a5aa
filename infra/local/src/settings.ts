import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything the launcher may be told through the environment, resolved once. */
export interface InfraSettings {
  /** Repository root (the folder holding infra/). */
  readonly repoRoot: string;
  /** Per-checkout run state: data folders, logs, pid files, the resolved endpoints. Ignored by git. */
  readonly runDir: string;
  /** Shared download cache (unpacked registry, resolved classpaths); survives fresh clones. */
  readonly cacheDir: string;
  /** Admin connection to a PostgreSQL server that the launcher may create databases on. */
  readonly databaseUrl: string;
  /** Port for the private PostgreSQL started when `databaseUrl` is unreachable. */
  readonly privatePostgresPort: number;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly registryPort: number;
  readonly registryManagementPort: number;
  /** The database Apicurio stores its schemas in (durable across registry restarts). */
  readonly registryDatabase: string;
  readonly kafkaVersion: string;
  readonly apicurioVersion: string;
  /** Java for Kafka (17+). Empty means `JAVA_HOME` or `java` on PATH. */
  readonly javaHome: string | undefined;
  /** Java 21+ for Apicurio Registry 3.3. Empty means search JAVA_HOME and /usr/lib/jvm. */
  readonly java21Home: string | undefined;
  readonly kafkaHeap: string;
  readonly registryHeap: string;
  /** Deadline for each component to become healthy. */
  readonly startTimeoutMs: number;
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535 * 1000) {
    throw new Error(`${key}=${raw} is not a positive whole number; unset it or give e.g. ${fallback}.`);
  }
  return n;
}

export function repoRootFromHere(): string {
  // src/ or dist/ → infra/local → infra → repo
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): InfraSettings {
  const repoRoot = env.HUB_REPO_ROOT ?? repoRootFromHere();
  return Object.freeze({
    repoRoot,
    runDir: env.HUB_INFRA_DIR ?? join(repoRoot, '.infra'),
    cacheDir: env.HUB_CACHE_DIR ?? join(homedir(), '.cache', 'tq-hub'),
    databaseUrl:
      env.HUB_ADMIN_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    privatePostgresPort: intFrom(env, 'HUB_PRIVATE_PG_PORT', 55432),
    kafkaPort: intFrom(env, 'HUB_KAFKA_PORT', 9092),
    kafkaControllerPort: intFrom(env, 'HUB_KAFKA_CONTROLLER_PORT', 9093),
    registryPort: intFrom(env, 'HUB_REGISTRY_PORT', 8081),
    registryManagementPort: intFrom(env, 'HUB_REGISTRY_MANAGEMENT_PORT', 9001),
    registryDatabase: env.HUB_REGISTRY_DATABASE ?? 'registry',
    kafkaVersion: env.HUB_KAFKA_VERSION ?? '4.4.0',
    apicurioVersion: env.HUB_APICURIO_VERSION ?? '3.3.3',
    javaHome: env.JAVA_HOME || undefined,
    java21Home: env.HUB_JAVA21_HOME || undefined,
    kafkaHeap: env.HUB_KAFKA_HEAP ?? '768m',
    registryHeap: env.HUB_REGISTRY_HEAP ?? '512m',
    startTimeoutMs: intFrom(env, 'HUB_INFRA_START_TIMEOUT_MS', 180_000),
  });
}

/** Endpoints other processes (tests, services, the demo) read from `<runDir>/endpoints.json`. */
export interface Endpoints {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly DATABASE_URL: string;
}
