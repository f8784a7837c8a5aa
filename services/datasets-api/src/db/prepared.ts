import type { Knex } from 'knex';

interface PgConnection {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

interface ConnectionPool {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

/**
 * Runs a **named prepared statement** on one of knex's pooled connections: PostgreSQL parses and
 * plans it once per connection and then only binds and executes it, and knex builds no SQL. For the
 * few statements every request runs (identifier lookup, access-log insert): planning the lookup
 * cost ~0.8–1 ms of PostgreSQL CPU against 0.1 ms of execution (EXPLAIN ANALYZE, 2M citizens).
 * `text` must be a constant per `name` (values go in `values`, never into the text).
 */
export async function preparedQuery<R>(db: Knex, name: string, text: string, values: readonly unknown[]): Promise<R[]> {
  const pool = db.client as ConnectionPool;
  const connection = await pool.acquireConnection();
  try {
    return (await connection.query({ name, text, values })).rows as R[];
  } finally {
    await pool.releaseConnection(connection);
  }
}
