/**
 * The keyset cursor of sql-poll: the position is the (updated_at, primary key) pair of the last row
 * read, and the next batch is every row strictly after it in that order. Ordering by both columns
 * makes the order total, so rows that share an updated_at are neither skipped nor repeated however
 * the batches fall. Both values are kept as the database's own text form, so no precision is lost
 * (PostgreSQL timestamps have microseconds; JavaScript dates only milliseconds).
 */
export interface KeysetCursor {
  /** updated_at of the last row read, as the database prints it. */
  readonly ts: string;
  /** Primary key of the last row read, as text. */
  readonly pk: string;
  /** Set once the initial snapshot has been read to the end. */
  readonly snapshotDone?: boolean;
}

export function parseCursor(text: string | undefined): KeysetCursor | undefined {
  if (text === undefined || text === '') return undefined;
  const v = JSON.parse(text) as Partial<KeysetCursor>;
  if (typeof v.ts !== 'string' || typeof v.pk !== 'string') throw new Error(`not a sql-poll cursor: ${text}`);
  return { ts: v.ts, pk: v.pk, ...(v.snapshotDone ? { snapshotDone: true } : {}) };
}

export function formatCursor(c: KeysetCursor | undefined): string | undefined {
  return c === undefined ? undefined : JSON.stringify(c);
}

/** The cursor after a batch: its last row, or the same cursor when the batch was empty. */
export function advance(
  cursor: KeysetCursor | undefined,
  last: { ts: string; pk: string } | undefined,
  caughtUp: boolean,
): KeysetCursor | undefined {
  const snapshotDone = Boolean(cursor?.snapshotDone) || caughtUp;
  if (!last)
    return cursor === undefined ? undefined : { ...cursor, ...(snapshotDone ? { snapshotDone } : {}) };
  return { ts: last.ts, pk: last.pk, ...(snapshotDone ? { snapshotDone } : {}) };
}
