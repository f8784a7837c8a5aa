import { createHash } from 'node:crypto';

/**
 * The updated-since cursor of rest-poll. The server's `updatedSince` is inclusive (>=), so asking
 * from the newest update time read returns the records at exactly that time again; they are told
 * apart by (update time, id): a record is new unless that id was already read at that same update
 * time. The cursor therefore keeps the newest time and the ids read at (or, with an overlap,
 * shortly before) it: records sharing a timestamp are neither missed nor repeated, however the
 * pages fall.
 *
 * A record whose update time cannot be read (or lies in the future) cannot move the cursor and is
 * not ordered by it: it is passed on once (to be mapped or dead-lettered) and remembered in
 * `unreadable` by a digest of (id, update time as written), so that asking again does not pass it
 * on again — otherwise every poll would repeat it and, with more pages behind it, never get past it.
 */
export interface RestCursor {
  /** Newest update time read, as the source wrote it (sent back as updatedSince); '' = none yet. */
  readonly since: string;
  readonly sinceMs: number;
  /** [id, update time ms] of records read with an update time >= sinceMs - overlap. */
  readonly seen: ReadonlyArray<readonly [string, number]>;
  /** Digests of (id, update time text) of records passed on with an unreadable update time. */
  readonly unreadable?: readonly string[];
}

export interface Stamped {
  readonly id: string;
  /** Update time in ms; NaN when unreadable (such records are passed on once, see `unreadable`). */
  readonly ms: number;
  /** Update time as the source wrote it. */
  readonly text: string;
}

/**
 * How many unreadable-time records the cursor remembers (the newest): at least a page of the
 * largest page size, so a page full of them is never read twice.
 */
export const UNREADABLE_KEPT = 10_000;

function unreadableKey(r: Stamped): string {
  return createHash('sha256').update(r.id).update('\u0000').update(r.text).digest('base64url').slice(0, 16);
}

export function parseRestCursor(text: string | undefined): RestCursor | undefined {
  if (text === undefined || text === '') return undefined;
  const v = JSON.parse(text) as Partial<RestCursor>;
  if (
    typeof v.since !== 'string' ||
    typeof v.sinceMs !== 'number' ||
    !Array.isArray(v.seen) ||
    (v.unreadable !== undefined && !Array.isArray(v.unreadable))
  )
    throw new Error(`not a rest-poll cursor: ${text}`);
  return {
    since: v.since,
    sinceMs: v.sinceMs,
    seen: v.seen,
    ...(v.unreadable ? { unreadable: v.unreadable } : {}),
  };
}

/** The updatedSince value to ask with (undefined = everything). */
export function sinceParam(cursor: RestCursor | undefined, overlapMs: number): string | undefined {
  if (!cursor || cursor.since === '') return undefined;
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
  const unreadable = new Set(cursor.unreadable);
  const floor = cursor.since === '' ? -Infinity : cursor.sinceMs - overlapMs;
  return page.filter((r) =>
    Number.isNaN(r.ms)
      ? !unreadable.has(unreadableKey(r))
      : r.ms >= floor && !seen.has(`${r.id}\u0000${r.ms}`),
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
  const unreadable = [...(cursor?.unreadable ?? [])];
  const known = new Set(unreadable);
  for (const r of read) {
    if (!Number.isNaN(r.ms)) continue;
    const key = unreadableKey(r);
    if (!known.has(key)) unreadable.push(key);
    known.add(key);
  }
  const kept = unreadable.slice(-UNREADABLE_KEPT);
  const remembered = kept.length > 0 ? { unreadable: kept } : {};
  const timed = cursor !== undefined && cursor.since !== '' ? cursor : undefined;
  if (!newest && !timed) return kept.length > 0 ? { since: '', sinceMs: 0, seen: [], ...remembered } : cursor;
  const since = newest && (!timed || newest.ms > timed.sinceMs) ? newest.text : (timed?.since ?? '');
  const sinceMs = Math.max(newest?.ms ?? -Infinity, timed?.sinceMs ?? -Infinity);
  const keep = new Map<string, readonly [string, number]>();
  const all: Array<readonly [string, number]> = [
    ...(timed?.seen ?? []),
    ...read.filter((r) => !Number.isNaN(r.ms)).map((r) => [r.id, r.ms] as const),
  ];
  for (const [id, ms] of all) if (ms >= sinceMs - overlapMs) keep.set(`${id}\u0000${ms}`, [id, ms]);
  return { since, sinceMs, seen: [...keep.values()], ...remembered };
}
