/**
 * A merge settles the open POSSIBLE_MATCH tasks between the masters it joins — directly, or through a
 * side absorbed by an earlier merge — and closes them with a note; other tasks stay open. The same
 * in the set-based batch path (tasks opened and settled inside one batch) and the reference path.
 */
import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import type { CitizenObserved } from '@hub/schemas';
import { aCitizenObserved, address, at, day, yearOnly } from './fixtures.test-support.js';
import { batchOf, handlerFor, TOPICS } from './handler.test-support.js';
import { createTestDatabase } from './int-harness.test-support.js';

const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

const P = '001090000222';
const nam = { fullName: 'Trần Văn Nam', sex: 'MALE' as const };
const hoa = { fullName: 'Lê Thị Hoa', sex: 'FEMALE' as const };

/** Statements in order; fields of a record's later statement are restated in full. */
function stream(): CitizenObserved[] {
  return [
    // A: health knows Nam with a full birth date and a commune.
    aCitizenObserved({
      system: 'health',
      recordId: 'h-1',
      minute: 1,
      ...nam,
      dateOfBirth: day(1990, 5, 1),
      currentAddress: address('02290'),
    }),
    // C: social knows only the birth year — the review band against A: task A–C.
    aCitizenObserved({ system: 'social', recordId: 's-1', minute: 2, ...nam, dateOfBirth: yearOnly(1990) }),
    // E: a third source, also year only — tasks E–A and E–C.
    aCitizenObserved({
      system: 'insurance',
      recordId: 'i-1',
      minute: 3,
      ...nam,
      dateOfBirth: yearOnly(1990),
    }),
    // Control: another pair in the review band (B–D), never merged.
    aCitizenObserved({
      system: 'health',
      recordId: 'h-2',
      minute: 4,
      ...hoa,
      dateOfBirth: day(1985, 3, 3),
      currentAddress: address('02287'),
    }),
    aCitizenObserved({ system: 'social', recordId: 's-2', minute: 5, ...hoa, dateOfBirth: yearOnly(1985) }),
    // The personal number reaches A, then C: C merges into A (task A–C settled).
    aCitizenObserved({
      system: 'health',
      recordId: 'h-1',
      minute: 10,
      ...nam,
      personalId: P,
      dateOfBirth: day(1990, 5, 1),
      currentAddress: address('02290'),
    }),
    aCitizenObserved({
      system: 'social',
      recordId: 's-1',
      minute: 11,
      ...nam,
      personalId: P,
      dateOfBirth: yearOnly(1990),
    }),
    // …then E: E merges into A; E–A is settled, and E–C too (C now resolves to A).
    aCitizenObserved({
      system: 'insurance',
      recordId: 'i-1',
      minute: 12,
      ...nam,
      personalId: P,
      dateOfBirth: yearOnly(1990),
    }),
  ];
}

interface TaskRow {
  master_id: string;
  other_master_id: string;
  status: string;
  resolution: string | null;
  reason: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

async function matchTasks(db: Knex): Promise<TaskRow[]> {
  const res = await db.raw<{ rows: TaskRow[] }>(
    `select master_id, other_master_id, status, resolution, reason, resolved_by, resolved_at
     from review_tasks where kind = 'POSSIBLE_MATCH' order by dedupe_key`,
  );
  return res.rows;
}

async function masterOf(db: Knex, system: string, recordId: string): Promise<string | undefined> {
  const res = await db.raw<{ rows: { master_id: string }[] }>(
    `select master_id from source_records where source_system = ? and source_record_id = ?`,
    [system, recordId],
  );
  return res.rows[0]?.master_id;
}

describe('a merge closes the possible-match tasks it settles', () => {
  const runs = [
    ['statement by statement, one batch', 'per-statement', 8],
    ['set-based, one batch (tasks opened and settled in memory)', 'batch', 8],
    ['set-based, a batch per statement', 'batch', 1],
    // Tasks stored by the first batch, both merges in the second: each closes what it settled.
    ['set-based, stored tasks settled by two merges of one batch', 'batch', 5],
  ] as const;
  const results = new Map<string, TaskRow[]>();

  for (const [name, mode, size] of runs) {
    it(name, async () => {
      const d = await createTestDatabase();
      databases.push(d);
      const handler = handlerFor(d.db, mode);
      const all = stream();
      for (let i = 0; i < all.length; i += size)
        await handler(batchOf(TOPICS.citizen, all.slice(i, i + size), i));

      const a = await masterOf(d.db, 'health', 'h-1');
      expect(a).toBeDefined();
      const b = await masterOf(d.db, 'health', 'h-2');
      const c = await masterOf(d.db, 'social', 's-2');
      expect(await masterOf(d.db, 'social', 's-1')).toBe(a);
      expect(await masterOf(d.db, 'insurance', 'i-1')).toBe(a);
      expect(c).not.toBe(b);

      const tasks = await matchTasks(d.db);
      const open = tasks.filter((t) => t.status === 'OPEN');
      const closed = tasks.filter((t) => t.status === 'RESOLVED');
      // The control pair is still a question for a steward.
      expect(open.map((t) => [t.master_id, t.other_master_id].sort())).toEqual([[b, c].sort()]);
      // A–C, E–A and E–C: settled by the merges, with the merging statement's time.
      expect(closed).toHaveLength(3);
      for (const t of closed)
        expect(t).toMatchObject({
          resolution: 'MERGE',
          reason: 'resolved by merge',
          resolved_by: 'consolidation',
        });
      expect(closed.map((t) => t.resolved_at?.getTime()).sort()).toEqual([at(11), at(12), at(12)]);
      results.set(name, tasks);
    });
  }

  it('both paths leave the same tasks', () => {
    const [ref, ...others] = runs.map(([name]) => results.get(name));
    expect(ref).toBeDefined();
    for (const o of others) expect(o).toEqual(ref);
  });
});
