import knexFactory, { type Knex } from 'knex';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';

export type Db = Knex;

/** A knex pool on the connectors' own PostgreSQL database (`hub_connectors`). */
export function createConnectorDb(url: string, pool: { min?: number; max?: number } = {}): Db {
  return knexFactory({ client: 'pg', connection: url, pool: { min: pool.min ?? 0, max: pool.max ?? 5 } });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

async function onServer<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const admin = createConnectorDb(withDatabase(url, 'postgres'), { max: 1 });
  try {
    return await fn(admin);
  } catch (cause) {
    throw new DependencyUnavailableError('postgresql', `cannot reach PostgreSQL: ${errorMessage(cause)}`, {
      cause,
    });
  } finally {
    await admin.destroy();
  }
}

/** Create the database named in `url` when it does not exist yet (the `migrate` command does this). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`database name "${name}" must be lower-case letters, digits and underscores`);
  await onServer(url, async (admin) => {
    const found = await admin.raw<{ rows: unknown[] }>('select 1 from pg_database where datname = ?', [name]);
    if (found.rows.length === 0) await admin.raw(`create database "${name}"`);
  });
}

/** Drop a test database (refuses any name without "test"). */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  if (!name.includes('test')) throw new Error(`refusing to drop database "${name}": its name lacks "test"`);
  await onServer(url, async (admin) => {
    await admin.raw(`drop database if exists "${name}" with (force)`);
  });
}
