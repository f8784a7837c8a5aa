import { z } from 'zod';
import {
  connectorConfigSchema,
  joinMappingIssues,
  SoftDeleteSchema,
  SourceJoinSchema,
  SqlIdentifier as Identifier,
} from '@hub/connector-runtime';

export const SqlSourceShape = {
  /** postgres or mysql (MariaDB speaks the mysql protocol); both are tested. */
  dialect: z.enum(['postgres', 'mysql']),
  /** Name of the environment variable holding the connection URL (secrets stay out of config files). */
  connectionEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an UPPER_SNAKE environment variable name'),
  table: Identifier,
  /** Single-column primary key (the tie-breaker of the keyset cursor). */
  primaryKey: Identifier,
  /** Column the source updates on every insert, update and soft delete. */
  updatedAtColumn: Identifier,
  /** Columns to read (default: all). */
  columns: z.array(Identifier).min(1).optional(),
  /** A row whose column is non-null (or equals one of `deletedValues`) is published as a DELETE. */
  softDelete: SoftDeleteSchema.optional(),
  /**
   * Rows of other tables the row references, read with it (`LEFT JOIN <table> AS <as> ON
   * <as>.<references> = <table>.<column>`) and mapped as `<as>.<column>`. The cursor stays the
   * row's own (updated_at, primary key): a change of only the referenced row does not re-read it.
   */
  joins: z.array(SourceJoinSchema).max(8).default([]),
  /** Hard deletes: compare the table's keys with the published ones every `intervalMs`. */
  deleteDetection: z
    .object({ mode: z.enum(['none', 'compare']), intervalMs: z.number().int().min(0).default(300_000) })
    .strict()
    .default({ mode: 'none', intervalMs: 300_000 }),
  /**
   * Read only rows whose updated_at is older than this many seconds by the database clock. Rows
   * still being written at the cursor's timestamp (or committed late with an earlier one) are then
   * not skipped: exactly-once at equal timestamps holds for writes that commit within this window.
   * 0 = no window (only safe when the source never writes at a time already read).
   */
  settleSeconds: z.number().min(0).max(3600).default(5),
};

export const SqlPollConfigSchema = connectorConfigSchema('sql-poll', SqlSourceShape).superRefine((c, ctx) => {
  for (const issue of joinMappingIssues(c.source.joins, c.mapping, c.source.columns))
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});
export type SqlPollConfig = z.infer<typeof SqlPollConfigSchema>;
export type SqlSourceConfig = SqlPollConfig['source'];
