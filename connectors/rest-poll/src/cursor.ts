/**
 * The updated-since cursor of rest-poll. The server's `updatedSince` is inclusive (>=), so asking
 * from the newest update time read returns the records at exactly that time again; they are told
 * apart by (update time, id): a record is new unless that id was already read at that same update
 * time. The cursor therefore keeps the newest time and the ids read at (or, with an overlap,
 * shortly before) it: records sharing a timestamp are neither missed nor repeated, however the
 * pages fall.
 */
export interface RestCursor {
  /** Newest update time read, as the source wrote it (sent back as updatedSince). */
  readonly since: string;
  readonly sinceMs: number;
  /** [id, update time ms] of records read with an update time >= sinceMs - overlap. */
  readonly seen: ReadonlyArray<readonly [string, number]>;
}

export interface Stamped {
  readonly id: string;
  /** Update time in ms; NaN when unreadable (such records are passed on, to be dead-lettered). */
  readonly ms: number;
  /** Update time as the source wrote it. */
  readonly text: string;
}

export function parseRestCursor(text: string | undefined): RestCursor | undefined {
  if (text === undefined || text === '') return undefined;
  const v = JSON.parse(text) as Partial<RestCursor>;
  if (typeof v.since !== 'string' || typeof v.sinceMs !== 'number' || !Array.isArray(v.seen))
    throw new Error(`not a rest-poll cursor: ${text}`);
  return { since: v.since, sinceMs: v.sinceMs, seen: v.seen };
}

/** The updatedSince value to ask with (undefined = everything). */
export function sinceParam(cursor: RestCursor | undefined, overlapMs: number): string | undefined {
  if (!cursor) return undefined;
  return overlapMs > 0 ? new Date(cursor.sinceMs - overlapMs).toISOString() : cursor.since;
}

/**
 * The records of a page not read before: not the same (id, update time) as one read already, and
 * not older than the cursor minus the overlap (a server ignoring updatedSince cannot cause a loop).
 */
export function freshOnes<T extends Stamped>(
  cursor: RestCursor | undefined,
  page: readonly T[],
  overlapMs: number,
): T[] {
  if (!cursor) return [...page];
  const seen = new Set(cursor.seen.map(([id, ms]) => `${id}\u0000${ms}`));
  return page.filter(
    (r) => Number.isNaN(r.ms) || (r.ms >= cursor.sinceMs - overlapMs && !seen.has(`${r.id}\u0000${r.ms}`)),
  );
}

/** The cursor after `read` was published: newest time, and what was read within the overlap. */
export function advanceRestCursor(
  cursor: RestCursor | undefined,
  read: readonly Stamped[],
  overlapMs: number,
): RestCursor | undefined {
  let newest: Stamped | undefined;
  for (const r of read) if (!Number.isNaN(r.ms) && (!newest || r.ms > newest.ms)) newest = r;
  if (!newest && !cursor) return undefined;
  const since = newest && (!cursor || newest.ms > cursor.sinceMs) ? newest.text : (cursor?.since ?? '');
  const sinceMs = Math.max(newest?.ms ?? -Infinity, cursor?.sinceMs ?? -Infinity);
  const keep = new Map<string, readonly [string, number]>();
  const all: Array<readonly [string, number]> = [
    ...(cursor?.seen ?? []),
    ...read.filter((r) => !Number.isNaN(r.ms)).map((r) => [r.id, r.ms] as const),
  ];
  for (const [id, ms] of all) if (ms >= sinceMs - overlapMs) keep.set(`${id}\u0000${ms}`, [id, ms]);
  return { since, sinceMs, seen: [...keep.values()] };
}
