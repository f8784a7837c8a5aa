/**
 * The per-key candidate limit counts only candidates the resolver could join: records of masters
 * holding no primary number other than the observation's. A block filled with other persons'
 * numbered records must neither hide the one record that matches nor be read in full, in either
 * path (statement by statement, or set-based batches).
 */
import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import type { CitizenObserved } from '@hub/schemas';
import type { EntityType, Observation } from './domain/types.js';
import { aCitizenObserved, address, day } from './fixtures.test-support.js';
import { batchOf, handlerFor, TEST_MATCHING, TOPICS } from './handler.test-support.js';
import { createTestDatabase } from './int-harness.test-support.js';

const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

/** Capped blocks: three candidates per key. */
const MATCHING = { ...TEST_MATCHING, maxCandidates: 3 };
const NAME = 'Nguyễn Văn An';

/**
 * Five persons of the same name and birth year, each with a personal number, from a system whose
 * records sort first; they share the `cn:` (name + year) block with the person below.
 */
const others: CitizenObserved[] = [1, 2, 3, 4, 5].map((i) =>
  aCitizenObserved({
    system: 'civil-status',
    recordId: `cs-0${i}`,
    minute: i,
    personalId: `00809000010${i}`,
    fullName: NAME,
    sex: 'MALE',
    dateOfBirth: day(1990, i, 10 + i),
    currentAddress: address(`0229${i}`),
    fatherName: `Nguyễn Văn Cha ${['Một', 'Hai', 'Ba', 'Bốn', 'Năm'][i - 1]}`,
  }),
);
/** The person, known to the health system without a number (sorts after the others). */
const withoutNumber = aCitizenObserved({
  system: 'health',
  recordId: 'h-1',
  minute: 10,
  fullName: NAME,
  sex: 'MALE',
  dateOfBirth: day(1990, 8, 20),
  currentAddress: address('02300'),
  fatherName: 'Nguyễn Văn Bình',
});
/** The same person arriving with a new personal number. */
const withNumber = aCitizenObserved({
  system: 'population',
  recordId: 'p-1',
  minute: 20,
  personalId: '008090000199',
  fullName: NAME,
  sex: 'MALE',
  dateOfBirth: day(1990, 8, 20),
  currentAddress: address('02300'),
  fatherName: 'Nguyễn Văn Bình',
});

async function run(db: Knex, mode: 'batch' | 'per-statement', batches: Observation[][]): Promise<void> {
  const handler = handlerFor(db, mode, MATCHING);
  let at = 0;
  for (const values of batches) {
    await handler(batchOf(TOPICS.citizen, values, at));
    at += values.length;
  }
}

const masterOf = async (db: Knex, system: string, recordId: string): Promise<string> =>
  (
    await db('source_records')
      .where({ entity_type: 'citizen' satisfies EntityType, source_system: system, source_record_id: recordId })
      .first<{ master_id: string }>('master_id')
  ).master_id;

describe('candidates beyond the per-key limit', () => {
  for (const mode of ['per-statement', 'batch'] as const)
    for (const [name, batches] of [
      ['in separate batches', [[...others, withoutNumber], [withNumber]]],
      ['in one batch', [[...others, withoutNumber, withNumber]]],
    ] as const)
      it(`${mode}, ${name}: other persons' numbered records do not hide the match`, async () => {
        const d = await createTestDatabase();
        databases.push(d);
        await run(
          d.db,
          mode,
          batches.map((b) => [...b]),
        );
        // The five others hold different numbers: six entities, the numbered record joined the
        // health record (without the filter the three capped candidates were all other persons).
        expect(await masterOf(d.db, 'population', 'p-1')).toBe(await masterOf(d.db, 'health', 'h-1'));
        const active = await d.db('citizens').where('status', 'ACTIVE').count<{ n: string }[]>({ n: '*' });
        expect(active).toEqual([{ n: '6' }]);
        // Nothing sent to review: the others were never compared with the numbered record.
        expect(await d.db('review_tasks').count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '0' }]);
      });
});
