import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  advanceRestCursor,
  freshOnes,
  parseRestCursor,
  sinceParam,
  type RestCursor,
  type Stamped,
} from './cursor.js';

/** A server as the one-stop API behaves: updatedSince inclusive, ordered by (time, id), paged. */
function serve(rows: readonly Stamped[], since: string | undefined, page: number, size: number) {
  const from = since === undefined ? -Infinity : Date.parse(since);
  const matching = rows.filter((r) => r.ms >= from).sort((a, b) => a.ms - b.ms || a.id.localeCompare(b.id));
  return {
    items: matching.slice((page - 1) * size, page * size),
    totalPages: Math.ceil(matching.length / size),
  };
}

/** The read loop of RestSource, against `serve`. */
function readAll(
  rows: () => readonly Stamped[],
  size: number,
  overlapMs: number,
  between?: (n: number) => void,
) {
  let cursor: RestCursor | undefined;
  const emitted: Stamped[] = [];
  for (let poll = 0; poll < 10_000; poll++) {
    between?.(poll);
    const since = sinceParam(cursor, overlapMs);
    let fresh: Stamped[] = [];
    let more = false;
    for (let page = 1; ; page++) {
      const res = serve(rows(), since, page, size);
      fresh = freshOnes(cursor, res.items, overlapMs);
      more = page < res.totalPages;
      if (fresh.length > 0 || !more) break;
    }
    emitted.push(...fresh);
    cursor = parseRestCursor(JSON.stringify(advanceRestCursor(cursor, fresh, overlapMs)));
    if (fresh.length === 0 && !more) return emitted;
  }
  throw new Error('did not converge');
}

const stamp = (id: number, ms: number): Stamped => ({ id: String(id), ms, text: new Date(ms).toISOString() });

describe('updated-since cursor', () => {
  it('emits every record exactly once when many share a timestamp, for any page size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(0, 2_000),
        (times, size, overlap) => {
          const rows = times.map((t, i) => stamp(i, 1_700_000_000_000 + t * 1000));
          const out = readAll(() => rows, size, overlap);
          expect(out.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('records updated between polls arrive again, once per version', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 15 }),
        (size, updates) => {
          let clock = 1_700_000_000_000;
          const rows = new Map<string, Stamped>();
          for (let i = 0; i < 40; i++) rows.set(String(i), stamp(i, clock + (i % 4)));
          clock += 10;
          const out = readAll(
            () => [...rows.values()],
            size,
            0,
            (poll) => {
              const id = updates[poll];
              if (id !== undefined) rows.set(String(id), stamp(id, (clock += 1)));
            },
          );
          const versions = out.map((r) => `${r.id}@${r.ms}`);
          expect(new Set(versions).size).toBe(versions.length); // nothing twice
          for (const r of rows.values()) expect(versions).toContain(`${r.id}@${r.ms}`); // latest versions all there
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps the source text of the newest time and only the ids at it (no overlap)', () => {
    const c = advanceRestCursor(undefined, [stamp(1, 1000), stamp(2, 2000), stamp(3, 2000)], 0);
    expect(c).toEqual({
      since: new Date(2000).toISOString(),
      sinceMs: 2000,
      seen: [
        ['2', 2000],
        ['3', 2000],
      ],
    });
    expect(sinceParam(c, 0)).toBe(c?.since);
    expect(sinceParam(c, 500)).toBe(new Date(1500).toISOString());
    expect(() => parseRestCursor('{"ts":"x"}')).toThrow(/not a rest-poll cursor/);
  });
});
