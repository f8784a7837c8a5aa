/**
 * Lineage is written as a difference: a recompute sends only the attributes whose lineage changed
 * and deletes only the ones that lost their value, using the master row's `lineage_hash` (the
 * lineage last written) as what the rows hold. These tests pin both halves: the rows always equal
 * what `lineage_hash` says, and a recompute sends only the entries that changed.
 */
import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import type { CitizenObserved } from '@hub/schemas';
import { aCitizenObserved, address, day } from './fixtures.test-support.js';
import { batchOf, handlerFor, TOPICS } from './handler.test-support.js';
import { stableJson } from './domain/survivorship.js';
import { createTestDatabase } from './int-harness.test-support.js';
import { expectLineageAsHashed } from './lineage.test-support.js';

const P = '008085000123';
const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

async function freshDb(): Promise<Knex> {
  const d = await createTestDatabase();
  databases.push(d);
  return d.db;
}

/** Count what reaches `attribute_lineage`: every proposed row (before the conflict check) and every delete statement. */
async function probe(db: Knex): Promise<{ read: () => Promise<{ rows: number; deletes: number }> }> {
  await db.raw(`create table lineage_probe (op text not null)`);
  await db.raw(`create function lineage_probe_row() returns trigger language plpgsql as $$
    begin insert into lineage_probe values ('ROW'); return new; end $$`);
  await db.raw(`create function lineage_probe_delete() returns trigger language plpgsql as $$
    begin insert into lineage_probe values ('DELETE'); return null; end $$`);
  await db.raw(`create trigger lineage_probe_row before insert on attribute_lineage
    for each row execute function lineage_probe_row()`);
  await db.raw(`create trigger lineage_probe_delete before delete on attribute_lineage
    for each statement execute function lineage_probe_delete()`);
  return {
    read: async () => {
      const { rows } = await db.raw<{ rows: { op: string; n: number }[] }>(
        `select op, count(*)::int as n from lineage_probe group by op`,
      );
      await db.raw('truncate lineage_probe');
      return {
        rows: rows.find((r) => r.op === 'ROW')?.n ?? 0,
        deletes: rows.find((r) => r.op === 'DELETE')?.n ?? 0,
      };
    },
  };
}

/** The master's lineage entries as its row records them, each as stable JSON. */
async function hashed(db: Knex, master: string | undefined): Promise<string[]> {
  const row = await db('citizens')
    .where({ master_id: master })
    .first<{ lineage_hash: string }>('lineage_hash');
  return (JSON.parse(row.lineage_hash) as unknown[]).map((e) => stableJson(e));
}

const population = (o: Partial<CitizenObserved> & { minute: number }): CitizenObserved =>
  aCitizenObserved({
    system: 'population',
    recordId: 'pop-1',
    personalId: P,
    fullName: 'Hoàng Thị Thu',
    dateOfBirth: day(1990, 3, 4),
    sex: 'FEMALE',
    ethnicity: 'Tày',
    currentAddress: address('02290'),
    ...o,
  });

/** A civil-status record of the same person that brings only a permanent address. */
const civilStatus = (minute: number): CitizenObserved =>
  aCitizenObserved({
    system: 'civil-status',
    recordId: 'cs-1',
    minute,
    personalId: P,
    fullName: 'Hoàng Thị Thu',
    permanentAddress: address('02299'),
  });

describe.each(['batch', 'per-statement'] as const)('lineage written as a difference (%s path)', (mode) => {
  it('an attribute that loses its value loses its row, also when the batch recomputes the master twice', async () => {
    const db = await freshDb();
    const handle = handlerFor(db, mode);
    await handle(batchOf(TOPICS.citizen, [population({ minute: 0 })], 0));
    await expectLineageAsHashed(db);
    const [master] = await db('citizens').pluck<string[]>('master_id');
    expect(await db('attribute_lineage').where({ master_id: master, attribute: 'ethnicity' })).toHaveLength(
      1,
    );

    // One batch: the population record drops its ethnicity, then a civil-status record of the same
    // person brings a permanent address. The second recompute must still delete the first's loss.
    await handle(
      batchOf(
        TOPICS.citizen,
        [population({ minute: 5, ethnicity: null, currentAddress: address('02296') }), civilStatus(6)],
        1,
      ),
    );
    expect(await db('citizens').where('status', 'ACTIVE').pluck('master_id')).toEqual([master]);
    expect(await db('attribute_lineage').where({ master_id: master, attribute: 'ethnicity' })).toHaveLength(
      0,
    );
    expect(
      await db('attribute_lineage').where({ master_id: master, attribute: 'permanentAddress' }).first(),
    ).toMatchObject({ source_record_id: 'cs-1' });
    await expectLineageAsHashed(db);
  });

  it('a statement sends only the lineage entries it changed, and deletes only what lost its value', async () => {
    const db = await freshDb();
    const handle = handlerFor(db, mode);
    await handle(batchOf(TOPICS.citizen, [population({ minute: 0 })], 0));
    const [master] = await db('citizens').pluck<string[]>('master_id');
    const before = await hashed(db, master);
    expect(before.length).toBeGreaterThanOrEqual(6);
    const seen = await probe(db);

    // A civil-status record of the person: population keeps every identity attribute (authority),
    // the new record only brings the permanent address.
    await handle(batchOf(TOPICS.citizen, [civilStatus(6)], 1));
    // The entries whose value, rule, source or event changed (here: the new address, and the
    // identity attributes population now wins by authority instead of as the only source).
    const after = await hashed(db, master);
    const changed = after.filter((e) => !before.includes(e));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(after.length);
    expect(changed.some((e) => e.includes('"permanentAddress"'))).toBe(true);
    expect(await seen.read()).toEqual({ rows: changed.length, deletes: 0 });
    await expectLineageAsHashed(db);

    // Its withdrawal takes the address away again: one delete, and the rules that change back.
    await handle(
      batchOf(
        TOPICS.citizen,
        [
          aCitizenObserved({
            system: 'civil-status',
            recordId: 'cs-1',
            minute: 7,
            operation: 'DELETE',
            personalId: P,
          }),
        ],
        2,
      ),
    );
    const last = await hashed(db, master);
    expect(last.some((e) => e.includes('"permanentAddress"'))).toBe(false);
    expect(await seen.read()).toEqual({ rows: last.filter((e) => !after.includes(e)).length, deletes: 1 });
    expect(
      await db('attribute_lineage').where({ master_id: master, attribute: 'permanentAddress' }),
    ).toHaveLength(0);
    await expectLineageAsHashed(db);
  });
});
