/** Configuration of the department simulators (`hub-departments serve`), from environment variables. */
import { z } from 'zod';
import type { SqlClient } from '../sim/sql-store.js';

const SCHEMES: Record<string, SqlClient> = { 'mysql:': 'mysql2', 'postgres:': 'pg', 'postgresql:': 'pg' };
const SCHEME_MESSAGE = 'a mysql://, postgres:// or postgresql:// server URL';
const knownScheme = (url: string): boolean =>
  URL.canParse(url) && Object.hasOwn(SCHEMES, new URL(url).protocol);

export const DepartmentsConfigSchema = z.object({
  DEPT_SEED: z.coerce.number().int().default(42),
  DEPT_PEOPLE: z.coerce.number().int().positive().default(2000),
  /**
   * Server URLs without a database; each department creates its own dept_* database. The scheme
   * picks the engine (`mysql:` → MariaDB, `postgres:`/`postgresql:` → PostgreSQL):
   * civil status runs on MariaDB, the business registry on PostgreSQL.
   */
  DEPT_CIVIL_STATUS_DB_URL: z
    .string()
    .url()
    .refine(knownScheme, SCHEME_MESSAGE)
    .default('mysql://root@127.0.0.1:3306'),
  DEPT_BUSINESS_DB_URL: z
    .string()
    .url()
    .refine(knownScheme, SCHEME_MESSAGE)
    .default('postgres://postgres@127.0.0.1:5432'),
  DEPT_CIVIL_STATUS_DB: z
    .string()
    .regex(/^dept_[a-z0-9_]+$/)
    .default('dept_civil_status'),
  DEPT_BUSINESS_DB: z
    .string()
    .regex(/^dept_[a-z0-9_]+$/)
    .default('dept_business_registry'),
  DEPT_ONE_STOP_PORT: z.coerce.number().int().min(0).max(65535).default(4610),
  DEPT_ONE_STOP_API_KEYS: z
    .string()
    .min(1)
    .default('demo-one-stop-key')
    .transform((s) => s.split(',').map((k) => k.trim())),
  DEPT_ONE_STOP_RATE_PER_SECOND: z.coerce.number().positive().default(20),
  DEPT_ONE_STOP_RATE_BURST: z.coerce.number().int().positive().default(40),
  /** Where the police system pushes events (the hub's http-ingest endpoint). */
  DEPT_PUSH_TARGET_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4620/v1/sources/police-residence/citizens/batch'),
  DEPT_PUSH_API_KEY: z.string().min(1).default('demo-police-key'),
  DEPT_FILE_DROP_DIR: z.string().optional(),
  DEPT_TICK_MS: z.coerce.number().int().positive().default(5000),
  DEPT_TICK_CHANGES: z.coerce.number().int().min(0).default(3),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type DepartmentsConfig = Readonly<z.infer<typeof DepartmentsConfigSchema>>;

/** The knex client for a server URL, by its scheme. */
export function clientOf(url: string): SqlClient {
  const client = SCHEMES[new URL(url).protocol];
  if (!client) throw new Error(`unsupported database URL ${url}: ${SCHEME_MESSAGE}`);
  return client;
}

export function loadDepartmentsConfig(env: NodeJS.ProcessEnv): DepartmentsConfig {
  const result = DepartmentsConfigSchema.safeParse(env);
  if (!result.success) {
    throw new Error(
      `invalid configuration:\n${result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  return Object.freeze(result.data);
}
