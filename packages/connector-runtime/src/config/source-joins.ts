/**
 * Referenced rows read with a source row ("joins"): a registration row that names a person by the
 * id of the person row (`ket_hon.id_chong` → `cong_dan.id`) can carry that person's identifying
 * columns. The mapping reads them as `<as>.<column>` (`chong.so_giay_to`). A join is a LEFT JOIN on
 * a unique key of the referenced table: it never adds or drops source rows, so the source's cursor,
 * record ids and eventIds stay those of the row itself.
 *
 * sql-poll runs the join in SQL; tools that hold a source's tables in memory (the quality harness)
 * run `memoryJoin`. Both shape the record with `joinedRecord`, which also applies the referenced
 * table's soft delete, so the mapping sees the same record either way.
 */
import { z } from 'zod';
import type { Mapping } from '../mapping/schema.js';

/** A table or column name of a source database (letters, digits, underscore; schema.table allowed). */
export const SqlIdentifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    'a table or column name (letters, digits, underscore; schema.table allowed)',
  );

/** A column name alone (no table prefix). */
const SqlColumn = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name (letters, digits, underscore)');

/** A row whose column is non-null (or equals one of `deletedValues`) counts as deleted. */
export const SoftDeleteSchema = z
  .object({
    column: SqlColumn,
    deletedValues: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional(),
  })
  .strict();
export type SoftDelete = z.infer<typeof SoftDeleteSchema>;

/** Whether a row is soft-deleted; booleans also match 1/0 (MariaDB TINYINT(1) columns). */
export function isSoftDeleted(row: Readonly<Record<string, unknown>>, sd: SoftDelete | undefined): boolean {
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

export const SourceJoinSchema = z
  .object({
    /** Name the mapping reads the referenced columns under: `<as>.<column>`. Not a column of the table. */
    as: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,30}$/, 'a short lower-case name (letters, digits, underscore), e.g. chong'),
    /** The referenced table (`cong_dan`). */
    table: SqlIdentifier,
    /** Column of the polled table holding the reference (`id_chong`). */
    column: SqlColumn,
    /** Column of the referenced table it points to: its primary key or another unique column (`id`). */
    references: SqlColumn,
    /** Columns of the referenced row to read. */
    columns: z.array(SqlColumn).min(1),
    /** A referenced row deleted this way is read as absent: its columns are null. */
    softDelete: SoftDeleteSchema.optional(),
  })
  .strict();
export type SourceJoin = z.infer<typeof SourceJoinSchema>;

/**
 * The record a mapping reads: the row's own columns plus, per join, `{ [as]: { column: value } }`
 * with the referenced row's columns — all null when no row is referenced, none matches, or the
 * referenced row is soft-deleted. `referenced` gives the referenced row (its `columns` and its
 * soft-delete column), or undefined.
 */
export function joinedRecord(
  row: Readonly<Record<string, unknown>>,
  joins: readonly SourceJoin[],
  referenced: (join: SourceJoin, index: number) => Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  joins.forEach((join, i) => {
    // Checked here, not only in the config: without `columns` only the rows show the table's names.
    if (join.as in row)
      throw new Error(`join "${join.as}" is named like a column of the row; give it another \`as\``);
    const ref = referenced(join, i);
    const live = ref !== undefined && !isSoftDeleted(ref, join.softDelete);
    out[join.as] = Object.fromEntries(join.columns.map((c) => [c, live ? (ref[c] ?? null) : null]));
  });
  return out;
}

/** The referenced row's columns a join reads: its `columns` and its soft-delete column. */
export function joinReadColumns(join: SourceJoin): string[] {
  const columns = [...join.columns];
  if (join.softDelete && !columns.includes(join.softDelete.column)) columns.push(join.softDelete.column);
  return columns;
}

export class JoinKeyNotUniqueError extends Error {
  constructor(join: SourceJoin, key: string) {
    super(
      `join "${join.as}": ${join.table}.${join.references} is not unique (value ${key} is held by more than one row); ` +
        'a join must reference a primary key or a unique column',
    );
  }
}

/**
 * The joins over tables held in memory: equivalent to sql-poll's `LEFT JOIN <table> AS <as> ON
 * <as>.<references> = <row>.<column>` (keys compared as text; source keys are integers or text),
 * then `joinedRecord`. `rowsOf(table)` gives every row of a referenced table, deleted ones included
 * (as the SQL join sees them).
 */
export function memoryJoin(
  joins: readonly SourceJoin[],
  rowsOf: (table: string) => Iterable<Readonly<Record<string, unknown>>>,
): (row: Readonly<Record<string, unknown>>) => Record<string, unknown> {
  const indexes = joins.map((join) => {
    const index = new Map<string, Readonly<Record<string, unknown>>>();
    for (const r of rowsOf(join.table)) {
      const key = keyText(r[join.references]);
      if (key === undefined) continue;
      if (index.has(key)) throw new JoinKeyNotUniqueError(join, key);
      index.set(key, r);
    }
    return index;
  });
  return (row) =>
    joinedRecord(row, joins, (join, i) => {
      const key = keyText(row[join.column]);
      return key === undefined ? undefined : indexes[i]?.get(key);
    });
}

function keyText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
}

export interface JoinIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Checks a mapping against the joins of its source: `<as>.<column>` must name a column the join
 * reads, and the record id, update time and version must be the row's own (the cursor and the
 * eventId are the row's; a referenced row changes without the row changing).
 */
export function joinMappingIssues(
  joins: readonly SourceJoin[],
  mapping: Pick<Mapping, 'recordId' | 'updatedAt' | 'version' | 'addressAt' | 'fields'>,
  tableColumns?: readonly string[],
): JoinIssue[] {
  const issues: JoinIssue[] = [];
  const byName = new Map<string, SourceJoin>();
  joins.forEach((j, i) => {
    if (byName.has(j.as))
      issues.push({ path: ['source', 'joins', i, 'as'], message: `"${j.as}" names two joins` });
    if (tableColumns?.includes(j.as))
      issues.push({
        path: ['source', 'joins', i, 'as'],
        message: `"${j.as}" is also a column of the table; pick another name`,
      });
    byName.set(j.as, j);
  });
  if (joins.length === 0) return issues;
  const joinOf = (path: string): SourceJoin | undefined => byName.get(path.split('.')[0] ?? '');
  const own = (key: 'recordId' | 'updatedAt' | 'version') => {
    const value = mapping[key];
    const paths = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const p of paths)
      if (joinOf(p))
        issues.push({
          path: ['mapping', key],
          message: `"${p}" is a column of a joined row; ${key} must be a column of the table itself (its cursor and eventIds are the row's own)`,
        });
  };
  own('recordId');
  own('updatedAt');
  own('version');
  const check = (path: (string | number)[], sourcePath: string) => {
    const join = joinOf(sourcePath);
    if (!join) return;
    const column = sourcePath.slice(join.as.length + 1);
    if (!join.columns.includes(column))
      issues.push({
        path,
        message: `"${sourcePath}": ${column || '(nothing)'} is not a column join "${join.as}" reads; add it to source.joins[].columns (it reads ${join.columns.join(', ')})`,
      });
  };
  if (mapping.addressAt !== undefined) check(['mapping', 'addressAt'], mapping.addressAt);
  for (const [field, rule] of Object.entries(mapping.fields)) {
    if (rule.from !== undefined) {
      const froms = Array.isArray(rule.from) ? rule.from : [rule.from];
      for (const f of froms) check(['mapping', 'fields', field, 'from'], f);
    }
    if (rule.template !== undefined)
      for (const m of rule.template.matchAll(/\{([^}]+)\}/g))
        check(['mapping', 'fields', field, 'template'], (m[1] ?? '').trim());
  }
  return issues;
}
