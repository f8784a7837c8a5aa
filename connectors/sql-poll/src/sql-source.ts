import knexFactory, { type Knex } from 'knex';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { PollSource, SourceBatch, SourceRecord } from '@hub/connector-runtime';
import { advance, formatCursor, parseCursor } from './keyset.js';
import type { SqlSourceConfig } from './config.js';

const TS = '__hub_cursor_ts';

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

  /** The column as the database prints it, under an alias: the cursor keeps full precision. */
  private textOf(column: string): Knex.Raw {
    const type = this.cfg.dialect === 'postgres' ? 'text' : 'CHAR';
    return this.db.raw(`CAST(?? AS ${type}) as ??`, [column, TS]);
  }

  private settled(q: Knex.QueryBuilder): Knex.QueryBuilder {
    const s = this.cfg.settleSeconds;
    if (s <= 0) return q;
    const micros = Math.round(s * 1e6);
    const bound =
      this.cfg.dialect === 'postgres'
        ? this.db.raw(`clock_timestamp() - (? * interval '1 microsecond')`, [micros])
        : this.db.raw('NOW(6) - INTERVAL ? MICROSECOND', [micros]);
    return q.where(this.cfg.updatedAtColumn, '<', bound);
  }

  private live(q: Knex.QueryBuilder): Knex.QueryBuilder {
    const sd = this.cfg.softDelete;
    if (!sd) return q;
    if (!sd.deletedValues) return q.whereNull(sd.column);
    return q.where((b) => {
      void b.whereNull(sd.column).orWhereNotIn(sd.column, sd.deletedValues ?? []);
    });
  }

  private isDeleted(row: Record<string, unknown>): boolean {
    const sd = this.cfg.softDelete;
    if (!sd) return false;
    const v = row[sd.column];
    if (v === null || v === undefined) return false;
    if (!sd.deletedValues) return true;
    const text =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
        ? String(v)
        : JSON.stringify(v);
    return sd.deletedValues.some(
      (d) => String(d) === text || (typeof d === 'boolean' && Number(d) === Number(text)),
    );
  }

  async read(cursorText: string | undefined, limit: number): Promise<SourceBatch> {
    const cursor = parseCursor(cursorText);
    const { updatedAtColumn: ts, primaryKey: pk } = this.cfg;
    const rows = await this.guard('keyset query', async () => {
      let q: Knex.QueryBuilder = this.db(this.cfg.table)
        .select(this.cfg.columns ?? '*')
        .select(this.textOf(ts))
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
      if (this.cfg.columns && !this.cfg.columns.includes(pk))
        throw new Error(`columns must include the primary key ${pk}`);
      last = { ts: String(cursorTs), pk: String(row[pk]) };
      records.push({ data: row, ...(this.isDeleted(row) ? { operation: 'DELETE' as const } : {}) });
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
