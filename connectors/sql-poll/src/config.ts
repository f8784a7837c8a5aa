import { z } from 'zod';
import { connectorConfigSchema } from '@hub/connector-runtime';

const Identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    'a table or column name (letters, digits, underscore; schema.table allowed)',
  );

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
  softDelete: z
    .object({
      column: Identifier,
      deletedValues: z
        .array(z.union([z.string(), z.number(), z.boolean()]))
        .min(1)
        .optional(),
    })
    .strict()
    .optional(),
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

export const SqlPollConfigSchema = connectorConfigSchema('sql-poll', SqlSourceShape);
export type SqlPollConfig = z.infer<typeof SqlPollConfigSchema>;
export type SqlSourceConfig = SqlPollConfig['source'];
