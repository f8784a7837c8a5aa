import knexFactory, { type Knex } from 'knex';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import {
  isSoftDeleted,
  joinedRecord,
  joinReadColumns,
  type PollSource,
  type SourceBatch,
  type SourceRecord,
} from '@hub/connector-runtime';
import { advance, formatCursor, parseCursor } from './keyset.js';
import type { SqlSourceConfig } from './config.js';

const TS = '__hub_cursor_ts';
/** Alias of a joined column in the result: short (PostgreSQL cuts names at 63 bytes) and not a source name. */
const joinedAlias = (join: number, column: number) => `__hub_j${join}_${column}`;

/** A knex connection for a dialect; MySQL/MariaDB dates are read as UTC, big numbers as strings. */
export function connect(dialect: SqlSourceConfig['dialect'], url: string, poolMax = 2): Knex {
  if (dialect === 'postgres')
    return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
  const u = new URL(url);
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
    },
    pool: { min: 0, max: poolMax },
  });
}

/**
 * Reads one table of a department database with the (updated_at, primary key) keyset cursor: the
 * first pass is the full snapshot, every later poll the rows changed since. Soft-deleted rows become
 * DELETE observations; hard deletes are found by comparing keys (listKeys).
 *
 * With `joins`, each row is read with the rows it references (LEFT JOIN on their unique key, so the
 * join neither adds nor drops rows) and the record carries them as `<as>.<column>`. Columns of the
 * table are then qualified by its name; the cursor, soft delete, count and keys stay the table's.
 */
export class SqlSource implements PollSource {
  private readonly db: Knex;
  /** `read` is a pure keyset query: the next batch may be read while the current one is acknowledged. */
  readonly readAhead = true;

  constructor(
    private readonly cfg: SqlSourceConfig,
    url: string,
  ) {
    this.db = connect(cfg.dialect, url);
  }

  async open(): Promise<void> {
    await this.guard('connect', () => this.db.raw('select 1'));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new DependencyUnavailableError(
        `source-db:${this.cfg.table}`,
        `${what} on ${this.cfg.dialect} table ${this.cfg.table} failed: ${errorMessage(cause)}`,
        { cause },
      );
    }
  }

  /** A column of the polled table, qualified when joined tables could share its name. */
  private col(column: string): string {
    return this.cfg.joins.length === 0 ? column : `${this.cfg.table}.${column}`;
  }

  /** The column as the database prints it, under an alias: the cursor keeps full precision. */
  private textOf(column: string): Knex.Raw {
    const type = this.cfg.dialect === 'postgres' ? 'text' : 'CHAR';
    return this.db.raw(`CAST(?? AS ${type}) as ??`, [this.col(column), TS]);
  }

  private settled(q: Knex.QueryBuilder): Knex.QueryBuilder {
    const s = this.cfg.settleSeconds;
    if (s <= 0) return q;
    const micros = Math.round(s * 1e6);
    const bound =
      this.cfg.dialect === 'postgres'
        ? this.db.raw(`clock_timestamp() - (? * interval '1 microsecond')`, [micros])
        : this.db.raw('NOW(6) - INTERVAL ? MICROSECOND', [micros]);
    return q.where(this.col(this.cfg.updatedAtColumn), '<', bound);
  }

  private live(q: Knex.QueryBuilder): Knex.QueryBuilder {
    const sd = this.cfg.softDelete;
    if (!sd) return q;
    if (!sd.deletedValues) return q.whereNull(sd.column);
    return q.where((b) => {
      void b.whereNull(sd.column).orWhereNotIn(sd.column, sd.deletedValues ?? []);
    });
  }

  /** SELECT … FROM the table, LEFT JOIN each referenced table under its alias. */
  private selectRows(): Knex.QueryBuilder {
    const { table, joins, columns } = this.cfg;
    let q: Knex.QueryBuilder = this.db(table).select(
      joins.length === 0 ? (columns ?? '*') : (columns ?? ['*']).map((c) => `${table}.${c}`),
    );
    joins.forEach((join, i) => {
      q = q
        .leftJoin({ [join.as]: join.table }, `${join.as}.${join.references}`, `${table}.${join.column}`)
        .select(
          Object.fromEntries(joinReadColumns(join).map((c, k) => [joinedAlias(i, k), `${join.as}.${c}`])),
        );
    });
    return q;
  }

  /** The record the mapping reads: the table's columns, and each join's columns under its name. */
  private recordOf(row: Record<string, unknown>): Record<string, unknown> {
    const { joins } = this.cfg;
    if (joins.length === 0) return row;
    const own = { ...row };
    const referenced = joins.map((join, i) =>
      Object.fromEntries(
        joinReadColumns(join).map((c, k) => {
          const alias = joinedAlias(i, k);
          const v = own[alias];
          delete own[alias];
          return [c, v];
        }),
      ),
    );
    return joinedRecord(own, joins, (_join, i) => referenced[i]);
  }

  async read(cursorText: string | undefined, limit: number): Promise<SourceBatch> {
    const cursor = parseCursor(cursorText);
    const ts = this.col(this.cfg.updatedAtColumn);
    const pk = this.col(this.cfg.primaryKey);
    const rows = await this.guard('keyset query', async () => {
      let q: Knex.QueryBuilder = this.selectRows()
        .select(this.textOf(this.cfg.updatedAtColumn))
        .orderBy([
          { column: ts, order: 'asc' },
          { column: pk, order: 'asc' },
        ])
        .limit(limit);
      if (cursor) {
        // (ts, pk) > (cursor.ts, cursor.pk), spelled out so both dialects use the index.
        q = q.where((b) => {
          void b.where(ts, '>', cursor.ts).orWhere((b2) => {
            void b2.where(ts, '=', cursor.ts).andWhere(pk, '>', cursor.pk);
          });
        });
      }
      q = this.settled(q);
      return (await q) as Record<string, unknown>[];
    });
    const records: SourceRecord[] = [];
    let last: { ts: string; pk: string } | undefined;
    for (const row of rows) {
      const cursorTs = row[TS];
      delete row[TS];
      const key = this.cfg.primaryKey;
      if (this.cfg.columns && !this.cfg.columns.includes(key))
        throw new Error(`columns must include the primary key ${key}`);
      // A join on a column that is not unique would repeat the row (and break the keyset order).
      if (last !== undefined && last.pk === String(row[key]) && last.ts === String(cursorTs))
        throw new Error(
          `${this.cfg.table} row ${last.pk} was read twice: a join (${this.cfg.joins.map((j) => `${j.as}: ${j.table}.${j.references}`).join(', ')}) references a column that is not unique; reference a primary key or a unique column`,
        );
      last = { ts: String(cursorTs), pk: String(row[key]) };
      const data = this.recordOf(row);
      records.push({
        data,
        ...(isSoftDeleted(data, this.cfg.softDelete) ? { operation: 'DELETE' as const } : {}),
      });
    }
    const more = rows.length === limit;
    return { records, cursor: formatCursor(advance(cursor, last, !more)), more };
  }

  async count(): Promise<number> {
    const rows = await this.guard(
      'count',
      async (): Promise<Array<{ n: number | string }>> =>
        (await this.live(this.db(this.cfg.table).count({ n: '*' }))) as Array<{ n: number | string }>,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async listKeys(): Promise<Set<string>> {
    // Soft-deleted rows are still listed: their DELETE comes through the keyset read, once.
    const rows = await this.guard('key listing', () => this.db(this.cfg.table).select(this.cfg.primaryKey));
    return new Set((rows as Record<string, unknown>[]).map((r) => String(r[this.cfg.primaryKey] as string)));
  }
}
