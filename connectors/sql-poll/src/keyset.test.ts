import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, formatCursor, parseCursor, type KeysetCursor } from './keyset.js';

interface Row {
  pk: number;
  ts: number;
  version: number;
}

const pad = (n: number) => String(n).padStart(6, '0');

/** The SQL of SqlSource.read, in memory: WHERE (ts, pk) > cursor ORDER BY ts, pk LIMIT n. */
function read(rows: readonly Row[], cursorText: string | undefined, limit: number, settledBefore = Infinity) {
  const cursor = parseCursor(cursorText);
  const after = (r: Row) =>
    r.ts < settledBefore &&
    (!cursor || pad(r.ts) > cursor.ts || (pad(r.ts) === cursor.ts && r.pk > Number(cursor.pk)));
  const batch = [...rows]
    .filter(after)
    .sort((a, b) => a.ts - b.ts || a.pk - b.pk)
    .slice(0, limit)
    .map((r) => ({ ...r }));
  const lastRow = batch[batch.length - 1];
  const last = lastRow ? { ts: pad(lastRow.ts), pk: String(lastRow.pk) } : undefined;
  const more = batch.length === limit;
  return { batch, cursor: formatCursor(advance(cursor, last, !more)), more };
}

describe('keyset cursor', () => {
  it('emits every row exactly once when many rows share an updated_at, whatever the batch size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 0, maxLength: 120 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 120, maxLength: 120 }),
        fc.integer({ min: 1, max: 17 }),
        (pks, tss, limit) => {
          const rows = pks.map((pk, i) => ({ pk, ts: tss[i] ?? 0, version: 1 }));
          const seen: number[] = [];
          let cursor: string | undefined;
          for (let i = 0; i < 1000; i++) {
            const r = read(rows, cursor, limit);
            seen.push(...r.batch.map((b) => b.pk));
            cursor = r.cursor;
            if (!r.more) break;
          }
          expect([...seen].sort((a, b) => a - b)).toEqual([...pks].sort((a, b) => a - b));
          expect(new Set(seen).size).toBe(seen.length);
        },
      ),
    );
  });

  // With the settle window (settleSeconds) rows are read only once the source clock has moved past
  // their updated_at, so no row can later appear at or before the cursor.
  it('under concurrent updates with a settle window, emits each version at most once and every row’s latest version', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 80 }),
        (n, limit, updates) => {
          const rows: Row[] = Array.from({ length: n }, (_, i) => ({ pk: i + 1, ts: i % 3, version: 1 }));
          let clock = 3;
          const emitted: string[] = [];
          let cursor: string | undefined;
          let u = 0;
          for (let step = 0; step < 500; step++) {
            const r = read(rows, cursor, limit, clock);
            emitted.push(...r.batch.map((b) => `${b.pk}@${b.version}`));
            cursor = r.cursor;
            // Between polls the source changes rows; its clock never goes back, and may stand still.
            const update = updates[u++];
            if (update) {
              const row = rows[update[0] % rows.length] as Row;
              if (update[1]) clock++;
              row.ts = clock;
              row.version++;
            }
            if (!r.more && u >= updates.length) break;
          }
          const r = read(rows, cursor, 10_000, clock + 1);
          emitted.push(...r.batch.map((b) => `${b.pk}@${b.version}`));
          expect(new Set(emitted).size).toBe(emitted.length);
          for (const row of rows) expect(emitted).toContain(`${row.pk}@${row.version}`);
        },
      ),
    );
  });

  it('keeps the snapshot flag once the first pass reached the end, and round-trips as JSON text', () => {
    const c: KeysetCursor | undefined = advance(
      undefined,
      { ts: '2025-01-01 00:00:00.000001+00', pk: '7' },
      true,
    );
    expect(parseCursor(formatCursor(c))).toEqual({
      ts: '2025-01-01 00:00:00.000001+00',
      pk: '7',
      snapshotDone: true,
    });
    expect(advance(c, undefined, false)).toEqual(c);
    expect(() => parseCursor('{"x":1}')).toThrow(/not a sql-poll cursor/);
  });
});
