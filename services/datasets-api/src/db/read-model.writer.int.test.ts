import fc from 'fast-check';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenValue } from '../domain/records.js';
import { aCitizen, createTestDatabase } from '../int-harness.test-support.js';
import { ReadModelWriter, type OffsetChange } from './read-model.writer.js';

/**
 * The set-based batch path of the read-model writer must leave exactly what the statement-per-message
 * reference path leaves — records, search columns, aliases and the change feed in order — for any
 * sequence of golden records, re-deliveries, stale versions, deletions, merges and tombstones, cut
 * into batches anywhere.
 */
let reference: Awaited<ReturnType<typeof createTestDatabase>>;
let setBased: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  [reference, setBased] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await reference?.drop();
  await setBased?.drop();
});

const IDS = ['m-a', 'm-b', 'm-c', 'm-d', 'm-e'];
const PIDS = ['008185000123', '008290001234', '010175004321'];

type Step =
  | { kind: 'value'; id: number; version: number; deleted: boolean; absorbs: number[]; pid: number; name: string }
  | { kind: 'tombstone'; id: number; version: number | null };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('value' as const),
      id: fc.nat({ max: IDS.length - 1 }),
      version: fc.integer({ min: 1, max: 6 }),
      deleted: fc.constantFrom(false, false, false, false, false, true),
      absorbs: fc.uniqueArray(fc.nat({ max: IDS.length - 1 }), { maxLength: 2 }),
      pid: fc.nat({ max: PIDS.length - 1 }),
      name: fc.constantFrom('Nguyễn Thị Thuỷ', 'Ma Văn Dũng', 'Bàn Thị Mai'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tombstone' as const),
      id: fc.nat({ max: IDS.length - 1 }),
      version: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
    }),
  },
);

function toChange(s: Step, offset: number, run: string): OffsetChange {
  const masterId = `${run}${IDS[s.id] as string}`;
  if (s.kind === 'tombstone') return { dataset: 'citizen', masterId, version: s.version, value: null, offset: String(offset) };
  const value = aCitizen({
    masterId,
    version: s.version,
    personalId: PIDS[s.pid],
    fullName: s.name,
    ...(s.deleted ? { change: 'DELETED' } : {}),
    mergedFrom: s.absorbs.map((i) => `${run}${IDS[i] as string}`),
  }) as unknown as GoldenValue;
  return { dataset: 'citizen', masterId, version: s.version, value, offset: String(offset) };
}

/** What one run left (the change table is append-only: each run has its own ids and topic). */
async function contents(db: Knex, run: string): Promise<unknown> {
  const mine = `${run}%`;
  const records = await db('citizens')
    .where('master_id', 'like', mine)
    .select('master_id', 'version', 'state', 'merged_into', 'change', 'record', 'personal_id', 'name_tokens', 'birth_year', 'commune_codes', 'merged_from')
    .orderBy('master_id');
  const aliases = await db('identifier_aliases').where('master_id', 'like', mine).select('dataset', 'alias_key', 'master_id').orderBy(['dataset', 'alias_key', 'master_id']);
  const feed = await db('changes').where('master_id', 'like', mine).select('dataset', 'master_id', 'version', 'change', 'merged_into').orderBy('seq');
  const offsets = await db('consumer_offsets').where({ topic: run }).select('partition', 'next_offset');
  return { records, aliases, feed, offsets };
}

describe('read-model writer: set-based batches', () => {
  it('leave the same records, aliases and change feed as the per-record reference path', async () => {
    const writerA = new ReadModelWriter(reference.db);
    const writerB = new ReadModelWriter(setBased.db);
    let applied = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }), async (steps, cuts) => {
        const run = `r${++runs}-`;
        const changes = steps.map((s, i) => toChange(s, i, run));
        let at = 0;
        for (let c = 0; at < changes.length; c++) {
          const size = cuts[c % cuts.length] as number;
          const batch = changes.slice(at, at + size);
          const position = { groupId: 'g', topic: run, partition: 0, nextOffset: String(at + batch.length) };
          const a = await writerA.applyBatch(position, batch, 'per-record');
          const b = await writerB.applyBatch(position, batch);
          expect(b).toEqual(a);
          applied += a.applied;
          at += batch.length;
        }
        expect(await contents(setBased.db, run)).toEqual(await contents(reference.db, run));
      }),
      { numRuns: 40 },
    );
    // The generated histories did apply changes (not only ignored duplicates and stale versions).
    expect(applied).toBeGreaterThan(100);
  });

  it('skips what an earlier transaction of another instance already stored for the partition', async () => {
    const writer = new ReadModelWriter(setBased.db);
    const changes = [0, 1, 2].map((i) => toChange({ kind: 'value', id: i, version: 1, deleted: false, absorbs: [], pid: 0, name: 'Ma Văn Dũng' }, i, 'again-'));
    await writer.applyBatch({ groupId: 'g', topic: 't', partition: 0, nextOffset: '3' }, changes);
    const again = await writer.applyBatch({ groupId: 'g', topic: 't', partition: 0, nextOffset: '3' }, changes);
    expect(again).toEqual({ applied: 0, ignored: {}, feedRows: 0 });
    expect(await setBased.db('changes').where('master_id', 'like', 'again-%').count({ n: '*' })).toEqual([{ n: '3' }]);
  });
});
