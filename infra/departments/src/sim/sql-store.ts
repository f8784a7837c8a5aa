/**
 * A department database through knex (PostgreSQL or MariaDB): tables from a small spec, batch
 * loading of rendered records, counts for reconciliation and safe create/drop of `dept_*` databases.
 */
import knexFactory, { type Knex } from 'knex';

export type ColumnType = 'bigint' | 'integer' | 'string' | 'text' | 'date' | 'timestamp' | 'boolean';

export interface TableSpec {
  name: string;
  primaryKey: string;
  /** Auto-increment integer key instead of a provided one. */
  columns: Record<string, ColumnType>;
  /** Soft-delete flag column, when the system soft-deletes. */
  softDelete?: string;
  indexes?: string[];
}

export type SqlClient = 'pg' | 'mysql2';

export interface DatabaseTarget {
  client: SqlClient;
  /** Server URL without a database, e.g. postgres://postgres@127.0.0.1:5432 or mysql://root@127.0.0.1:3306. */
  serverUrl: string;
  database: string;
}

const SAFE_NAME = /^dept_[a-z0-9_]+$/;

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function connect(target: DatabaseTarget, database = target.database): Knex {
  const connection = withDatabase(target.serverUrl, database);
  return knexFactory({
    client: target.client,
    connection:
      target.client === 'mysql2' ? { uri: connection, timezone: 'Z', dateStrings: true } : connection,
    pool: { min: 0, max: 4 },
  });
}

function serverAdmin(target: DatabaseTarget): Knex {
  return connect(target, target.client === 'pg' ? 'postgres' : '');
}

/** Creates the database when missing. Only `dept_*` names. */
export async function ensureDatabase(target: DatabaseTarget): Promise<void> {
  if (!SAFE_NAME.test(target.database))
    throw new Error(`refusing database name "${target.database}": department databases are named dept_*`);
  const admin = serverAdmin(target);
  try {
    if (target.client === 'pg') {
      const found = await admin.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_database WHERE datname = ?', [
        target.database,
      ]);
      if (found.rows.length === 0) await admin.raw(`CREATE DATABASE "${target.database}"`);
    } else {
      await admin.raw(
        `CREATE DATABASE IF NOT EXISTS \`${target.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    }
  } finally {
    await admin.destroy();
  }
}

/** Drops the database. Only `dept_*` names (tests use `dept_test_*`). */
export async function dropDatabase(target: DatabaseTarget): Promise<void> {
  if (!SAFE_NAME.test(target.database))
    throw new Error(`refusing to drop "${target.database}": not a dept_* database`);
  const admin = serverAdmin(target);
  try {
    if (target.client === 'pg') await admin.raw(`DROP DATABASE IF EXISTS "${target.database}" WITH (FORCE)`);
    else await admin.raw(`DROP DATABASE IF EXISTS \`${target.database}\``);
  } finally {
    await admin.destroy();
  }
}

export async function createTables(db: Knex, client: SqlClient, specs: readonly TableSpec[]): Promise<void> {
  for (const spec of specs) {
    if (await db.schema.hasTable(spec.name)) continue;
    await db.schema.createTable(spec.name, (t) => {
      for (const [name, type] of Object.entries(spec.columns)) {
        const col =
          type === 'bigint'
            ? t.bigInteger(name)
            : type === 'integer'
              ? t.integer(name)
              : type === 'string'
                ? t.string(name, 255)
                : type === 'text'
                  ? t.text(name)
                  : type === 'date'
                    ? t.date(name)
                    : type === 'timestamp'
                      ? client === 'pg'
                        ? t.timestamp(name, { useTz: true, precision: 3 })
                        : t.datetime(name, { precision: 3 })
                      : t.boolean(name);
        if (name === spec.primaryKey) col.notNullable();
        if (type === 'boolean') col.notNullable().defaultTo(false);
      }
      // MySQL/MariaDB name every primary key PRIMARY (and knex 3 emits broken SQL for a name there).
      if (client === 'pg') t.primary([spec.primaryKey], { constraintName: `${spec.name}_pkey` });
      else t.primary([spec.primaryKey]);
      t.index(['updated_at'], `${spec.name}_updated_at_idx`);
      for (const column of spec.indexes ?? []) t.index([column], `${spec.name}_${column}_idx`);
    });
  }
}

/** Converts ISO timestamps for MariaDB DATETIME (`YYYY-MM-DD HH:MM:SS.mmm`, UTC). */
function toDialect(
  client: SqlClient,
  spec: TableSpec,
  row: Record<string, unknown>,
): Record<string, unknown> {
  if (client === 'pg') return row;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] =
      spec.columns[key] === 'timestamp' && typeof value === 'string'
        ? value.replace('T', ' ').replace('Z', '')
        : value;
  }
  return out;
}

export class SqlStore {
  constructor(
    readonly db: Knex,
    readonly client: SqlClient,
    readonly specs: readonly TableSpec[],
  ) {}

  spec(table: string): TableSpec {
    const spec = this.specs.find((s) => s.name === table);
    if (!spec) throw new Error(`unknown table ${table}`);
    return spec;
  }

  async insert(
    table: string,
    rows: ReadonlyArray<Record<string, unknown>>,
    trx: Knex | Knex.Transaction = this.db,
  ): Promise<void> {
    const spec = this.spec(table);
    for (let i = 0; i < rows.length; i += 500) {
      await trx(table).insert(rows.slice(i, i + 500).map((r) => toDialect(this.client, spec, r)));
    }
  }

  async update(
    table: string,
    key: string | number,
    changes: Record<string, unknown>,
    trx: Knex | Knex.Transaction = this.db,
  ): Promise<number> {
    const spec = this.spec(table);
    return trx(table)
      .where(spec.primaryKey, key)
      .update(toDialect(this.client, spec, changes));
  }

  async truncate(): Promise<void> {
    for (const spec of this.specs) await this.db(spec.name).truncate();
  }

  /** Rows per table now: total, and live (not soft-deleted) where the system soft-deletes. */
  async counts(): Promise<Record<string, { total: number; live: number }>> {
    const out: Record<string, { total: number; live: number }> = {};
    for (const spec of this.specs) {
      const [row] = await this.db(spec.name).count<Array<{ n: string | number }>>({ n: '*' });
      const total = Number(row?.n ?? 0);
      let live = total;
      if (spec.softDelete) {
        const [l] = await this.db(spec.name)
          .where(spec.softDelete, false)
          .count<Array<{ n: string | number }>>({ n: '*' });
        live = Number(l?.n ?? 0);
      }
      out[spec.name] = { total, live };
    }
    return out;
  }

  /** A random existing key of a table (by a random point in the key range), or undefined if empty. */
  async randomKey(table: string, where: Record<string, unknown> = {}): Promise<string | number | undefined> {
    const spec = this.spec(table);
    const pk = spec.primaryKey;
    const bounds = (await this.db(table).where(where).min({ lo: pk }).max({ hi: pk }).first()) as
      { lo: unknown; hi: unknown } | undefined;
    if (bounds?.lo === null || bounds?.lo === undefined) return undefined;
    const keyType = spec.columns[pk];
    if (keyType !== 'bigint' && keyType !== 'integer') {
      const [n] = await this.db(table).where(where).count<Array<{ n: string | number }>>({ n: '*' });
      const offset = Math.floor(Math.random() * Number(n?.n ?? 1));
      const row = await this.db(table)
        .where(where)
        .select(pk)
        .orderBy(pk)
        .offset(offset)
        .first<Record<string, string> | undefined>();
      return row?.[pk];
    }
    const lo = Number(bounds.lo);
    const hi = Number(bounds.hi);
    const pivot = lo + Math.floor(Math.random() * (hi - lo + 1));
    const row = await this.db(table)
      .where(where)
      .andWhere(pk, '>=', pivot)
      .select(pk)
      .orderBy(pk)
      .first<Record<string, string | number> | undefined>();
    return row?.[pk];
  }

  async maxKey(table: string): Promise<number> {
    const [row] = await this.db(table).max<Array<{ hi: unknown }>>({ hi: this.spec(table).primaryKey });
    return Number(row?.hi ?? 0);
  }
}
