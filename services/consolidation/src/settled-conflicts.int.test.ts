/**
 * An ATTRIBUTE_CONFLICT task closes itself once the sources stop disagreeing on its attribute — a
 * more authoritative source now decides, or the disagreeing record was corrected — with a note and
 * the time of the statement that settled it; a conflict that persists stays open, and a new
 * disagreement opens a new task. Closing happens when the transaction's changes are written, in the
 * set-based batch path and in the reference path alike.
 */
import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import type { CitizenObserved } from '@hub/schemas';
import { aCitizenObserved, at, day } from './fixtures.test-support.js';
import { batchOf, handlerFor, TOPICS } from './handler.test-support.js';
import { createTestDatabase } from './int-harness.test-support.js';

const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

const nam = { fullName: 'Trần Văn Nam', sex: 'MALE' as const, personalId: '001090000222' };
const hoa = { fullName: 'Lê Thị Hoa', sex: 'FEMALE' as const, personalId: '001185000333' };
const binh = { fullName: 'Đỗ Văn Bình', sex: 'MALE' as const, personalId: '001092000444' };

/**
 * Authorities of the tests: identity is decided by population first, then civil-status. Two
 * civil-status records of one person that disagree on the birth date are a conflict while no
 * population record is there.
 */
function stream(): CitizenObserved[] {
  const cs = (recordId: string, minute: number, who: typeof nam | typeof hoa, dob: ReturnType<typeof day>) =>
    aCitizenObserved({ system: 'civil-status', recordId, minute, ...who, dateOfBirth: dob });
  return [
    cs('c-1', 1, nam, day(1990, 5, 1)),
    cs('c-2', 2, nam, day(1990, 5, 2)), // Nam: conflict on dateOfBirth
    cs('c-3', 3, hoa, day(1985, 3, 3)),
    cs('c-4', 4, hoa, day(1985, 3, 4)), // Hoa: conflict, never settled (control)
    cs('c-5', 5, binh, day(1992, 1, 1)),
    cs('c-6', 6, binh, day(1992, 1, 9)), // Bình: conflict
    // Population, the identity authority, decides Nam's birth date: his conflict is settled.
    aCitizenObserved({
      system: 'population',
      recordId: 'p-1',
      minute: 10,
      ...nam,
      dateOfBirth: day(1990, 5, 1),
    }),
    // c-6 is corrected: Bình's sources agree again.
    cs('c-6', 11, binh, day(1992, 1, 1)),
    // …until c-5 is changed: a new disagreement, a new task.
    cs('c-5', 12, binh, day(1992, 1, 3)),
  ];
}

interface TaskRow {
  person: string;
  attribute: string;
  status: string;
  resolution: string | null;
  reason: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

async function conflictTasks(db: Knex): Promise<TaskRow[]> {
  const res = await db.raw<{ rows: TaskRow[] }>(
    `select (select string_agg(distinct s.source_record_id, ',' order by s.source_record_id)
               from source_records s where s.master_id = r.master_id and s.source_system = 'civil-status') as person,
            r.attribute, r.status, r.resolution, r.reason, r.resolved_by, r.resolved_at
       from review_tasks r where r.kind = 'ATTRIBUTE_CONFLICT' order by person, r.id`,
  );
  return res.rows;
}

const settled = (minute: number) => ({
  attribute: 'dateOfBirth',
  status: 'RESOLVED',
  resolution: 'SUPERSEDED',
  reason: 'the sources no longer disagree on this attribute',
  resolved_by: 'consolidation',
  resolved_at: new Date(at(minute)),
});
const open = {
  attribute: 'dateOfBirth',
  status: 'OPEN',
  resolution: null,
  resolved_by: null,
  resolved_at: null,
};

describe('conflicts the sources settle close themselves', () => {
  // [batch size, what Bình's tasks look like at the end]
  const sizes = [
    // Each statement its own transaction: the settled task is closed, the new disagreement opens another.
    [
      1,
      [
        { person: 'c-5,c-6', ...settled(11) },
        { person: 'c-5,c-6', ...open },
      ],
    ],
    // One transaction: Bình's agreement and new disagreement fall in it — his one task stays open.
    [9, [{ person: 'c-5,c-6', ...open }]],
    // Tasks stored by the first transaction; the second settles Nam's and Bình's, then reopens Bình's.
    [6, [{ person: 'c-5,c-6', ...open }]],
  ] as const;
  const results = new Map<string, TaskRow[]>();

  for (const [size, binhTasks] of sizes) {
    for (const mode of ['per-statement', 'batch'] as const) {
      it(`${mode}, transactions of ${size}`, async () => {
        const d = await createTestDatabase();
        databases.push(d);
        const handler = handlerFor(d.db, mode);
        const all = stream();
        for (let i = 0; i < all.length; i += size)
          await handler(batchOf(TOPICS.citizen, all.slice(i, i + size), i));

        const tasks = await conflictTasks(d.db);
        // Nam: settled by the population record, at its time.
        expect(tasks.filter((t) => t.person === 'c-1,c-2')).toEqual([{ person: 'c-1,c-2', ...settled(10) }]);
        // Hoa: still a question for a steward.
        expect(tasks.filter((t) => t.person === 'c-3,c-4')).toEqual([
          { person: 'c-3,c-4', ...open, reason: null },
        ]);
        expect(tasks.filter((t) => t.person === 'c-5,c-6')).toEqual(
          binhTasks.map((t) => ('reason' in t ? t : { ...t, reason: null })),
        );
        results.set(`${mode}:${size}`, tasks);
      });
    }
    it(`both paths leave the same tasks (transactions of ${size})`, () => {
      expect(results.get(`batch:${size}`)).toBeDefined();
      expect(results.get(`batch:${size}`)).toEqual(results.get(`per-statement:${size}`));
    });
  }
});

describe('a conflict raised again unchanged', () => {
  for (const mode of ['per-statement', 'batch'] as const) {
    it(`${mode}: leaves its task row as it is (no new row version), and a changed one is updated`, async () => {
      const d = await createTestDatabase();
      databases.push(d);
      const handler = handlerFor(d.db, mode);
      const cs = (recordId: string, minute: number, dob: ReturnType<typeof day>) =>
        aCitizenObserved({ system: 'civil-status', recordId, minute, ...hoa, dateOfBirth: dob });
      const version = async () =>
        (
          await d.db.raw<{ rows: { xmin: string; details: unknown }[] }>(
            `select xmin::text, details from review_tasks where kind = 'ATTRIBUTE_CONFLICT' and status = 'OPEN'`,
          )
        ).rows;
      await handler(
        batchOf(TOPICS.citizen, [cs('c-3', 1, day(1985, 3, 3)), cs('c-4', 2, day(1985, 3, 4))], 0),
      );
      const first = await version();
      expect(first).toHaveLength(1);
      // A source outside the identity authorities recomputes Hoa: the conflict is raised again, as it was.
      await handler(
        batchOf(
          TOPICS.citizen,
          [aCitizenObserved({ system: 'health', recordId: 'h-1', minute: 3, ...hoa })],
          2,
        ),
      );
      expect(await version()).toEqual(first);
      // c-4 restated with another date: the task's candidates change, so its row does.
      await handler(batchOf(TOPICS.citizen, [cs('c-4', 4, day(1985, 3, 5))], 3));
      const after = await version();
      expect(after).toHaveLength(1);
      expect(after[0]?.xmin).not.toBe(first[0]?.xmin);
      expect(after[0]?.details).not.toEqual(first[0]?.details);
    });
  }
});
