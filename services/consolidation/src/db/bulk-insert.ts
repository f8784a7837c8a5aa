import type { Knex } from 'knex';

const CHUNK = 1000;

/** A column of a bulk insert: its type in the JSON rows, and optionally the SQL that computes it. */
export type Column = readonly [name: string, type: string, expr?: string];

/**
 * One multi-row INSERT per chunk, the rows travelling as a single JSON parameter expanded by
 * `jsonb_to_recordset` (far cheaper to build and send than thousands of bind parameters).
 */
export async function bulkInsert(
  t: Knex.Transaction,
  table: string,
  columns: readonly Column[],
  rows: readonly object[],
  onConflict = '',
): Promise<void> {
  const names = columns.map(([n]) => `"${n}"`).join(', ');
  const select = columns.map(([n, , expr]) => expr ?? `"${n}"`).join(', ');
  const record = columns.map(([n, type]) => `"${n}" ${type}`).join(', ');
  for (let i = 0; i < rows.length; i += CHUNK) {
    await t.raw(
      `insert into ${table} (${names}) select ${select} from jsonb_to_recordset(?::jsonb) as x(${record}) ${onConflict}`,
      [JSON.stringify(rows.slice(i, i + CHUNK))],
    );
  }
}
