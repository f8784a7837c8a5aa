/**
 * The set-based batch path (prefetch, resolve in memory, bulk writes) must leave exactly the tables
 * the reference path (a statement per read and write) leaves, for streams that mix everything
 * inside one batch: several statements of one person, late identifiers merging masters next to
 * other updates, aliases, identifier conflicts, deletes, stale statements, review tasks, links that
 * wait for their target, dossier timelines. Both run the same handler on their own database.
 */
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenObserved } from '@hub/schemas';
import type { ConsumedBatch } from '@hub/kafka';
import type { EntityType, Observation } from './domain/types.js';
import { aCitizenObserved, address, day, yearOnly } from './fixtures.test-support.js';
import { createTestDatabase } from './int-harness.test-support.js';
import { expectLineageAsHashed } from './lineage.test-support.js';
import { mixedStream } from './stream.test-support.js';
import { batchOf, handlerFor, TEST_MATCHING, TOPICS } from './handler.test-support.js';

const offsets = new Map<string, number>();

/** Feed the same batches to a handler; offsets continue per topic. */
async function run(
  handler: (b: ConsumedBatch<Observation>) => Promise<void>,
  batches: readonly { type: EntityType; values: readonly Observation[] }[],
): Promise<void> {
  offsets.clear();
  for (const b of batches) {
    const at = offsets.get(b.type) ?? 0;
    await handler(batchOf(TOPICS[b.type], b.values, at));
    offsets.set(b.type, at + b.values.length);
  }
}

/** Every table, without clocks of the machine, serial ids and creation numbers. */
async function dump(db: Knex): Promise<Record<string, unknown[]>> {
  const q = async (sql: string) => (await db.raw<{ rows: unknown[] }>(sql)).rows;
  const masters = (t: string) =>
    q(
      `select master_id, status, version, merged_into, merged_from, golden, lineage_hash from ${t} order by master_id`,
    );
  return {
    citizens: await masters('citizens'),
    businesses: await masters('businesses'),
    dossiers: await masters('dossiers'),
    identifier_aliases: await q(
      `select entity_type, scheme, value, master_id, is_primary from identifier_aliases order by 1, 2, 3`,
    ),
    source_records: await q(
      `select entity_type, source_system, source_record_id, master_id, event_id, observed_at, deleted, observation, blocking_keys
       from source_records order by 1, 2, 3`,
    ),
    attribute_lineage: await q(`select * from attribute_lineage order by 1, 2, 3`),
    master_history: await q(
      `select entity_type, master_id, version, change, snapshot, changed_attributes, event_id, actor, reason, related_master_id, at
       from master_history order by 1, 2, 3`,
    ),
    links: await q(`select * from links order by 1, 2, 3`),
    dossier_status_events: await q(`select * from dossier_status_events order by 1, 2, 3`),
    processed_events: await q(`select event_id, topic, partition, "offset" from processed_events order by 1`),
    consumer_offsets: await q(
      `select group_id, topic, partition, next_offset from consumer_offsets order by 1, 2, 3`,
    ),
    // Per key in id order: what the relay guarantees (versions of a key never interleave). Across
    // keys the reference's order follows `update … returning` (unspecified), so it is not compared.
    outbox: await q(
      `select entity_type, topic, message_key, version, change, payload, occurred_at from outbox order by message_key, id`,
    ),
    review_tasks: await q(
      `select entity_type, kind, status, master_id, other_master_id, attribute, dedupe_key, details, created_at
       from review_tasks order by dedupe_key, status`,
    ),
  };
}

const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
async function freshDb(): Promise<Knex> {
  const d = await createTestDatabase();
  databases.push(d);
  return d.db;
}

beforeAll(() => undefined);
afterAll(async () => {
  for (const d of databases) await d.drop();
});

describe('set-based batches give the same tables as statement-by-statement resolution', () => {
  for (const [name, seed, sizes, maxCandidates] of [
    ['one observation per batch', 42, [1], 200],
    ['small uneven batches', 42, [7, 3, 11], 200],
    ['everything in large batches', 42, [500], 200],
    ['another stream in mixed batches', 99, [64, 1, 13], 200],
    // Blocks larger than the limit: which candidates each path reads (filtered by primary number).
    ['capped candidates, two per key, in mixed batches', 7, [64, 1, 13], 2],
  ] as const) {
    it(name, async () => {
      const batches = mixedStream(seed, [...sizes]);
      const matching = { ...TEST_MATCHING, maxCandidates };
      const [a, b] = [await freshDb(), await freshDb()];
      await run(handlerFor(a, 'per-statement', matching), batches);
      await run(handlerFor(b, 'batch', matching), batches);
      const [ref, got] = [await dump(a), await dump(b)];
      for (const table of Object.keys(ref))
        expect({ table, rows: got[table] }).toEqual({ table, rows: ref[table] });
      // Lineage is written as a difference against `lineage_hash`: the rows must stay what it says.
      await expectLineageAsHashed(a);
      await expectLineageAsHashed(b);
      // The stream really exercises merges, reviews and links.
      expect(ref.master_history?.some((h) => (h as { change: string }).change === 'ABSORBED')).toBe(true);
      expect(ref.review_tasks?.length).toBeGreaterThan(0);
      expect(
        ref.links?.some((l) => (l as { target_master_id: string | null }).target_master_id !== null),
      ).toBe(true);
    });
  }

  it('a batch with several statements of one person and a merge among other updates', async () => {
    const P = '008085000777';
    const base = { fullName: 'Trần Văn Bình', sex: 'MALE' as const, currentAddress: address('02290') };
    const other = (i: number): CitizenObserved =>
      aCitizenObserved({
        system: 'population',
        recordId: `other-${i}`,
        minute: i,
        personalId: `00808500${String(1000 + i)}`,
        fullName: `Lê Thị ${['An', 'Lan', 'Mai', 'Hoa'][i % 4]}`,
        dateOfBirth: day(1980 + i, 1, 1),
      });
    const batch: Observation[] = [
      other(1),
      aCitizenObserved({
        system: 'civil-status',
        recordId: 'cs-9',
        minute: 1,
        ...base,
        dateOfBirth: day(1985, 5, 6),
      }),
      other(2),
      aCitizenObserved({
        system: 'population',
        recordId: 'pop-9',
        minute: 2,
        ...base,
        personalId: P,
        fullName: 'Trần Văn Bính',
        dateOfBirth: yearOnly(1985),
      }),
      aCitizenObserved({
        system: 'population',
        recordId: 'pop-9',
        minute: 3,
        ...base,
        personalId: P,
        dateOfBirth: yearOnly(1985),
      }),
      other(3),
      // The civil-status record learns the number: its master and the population one merge.
      aCitizenObserved({
        system: 'civil-status',
        recordId: 'cs-9',
        minute: 4,
        ...base,
        personalId: P,
        dateOfBirth: day(1985, 5, 6),
      }),
      // An older statement of the population record: stale, ignored.
      aCitizenObserved({
        system: 'population',
        recordId: 'pop-9',
        minute: 0,
        ...base,
        personalId: P,
        fullName: 'X',
      }),
      other(4),
    ];
    const [a, b] = [await freshDb(), await freshDb()];
    await run(handlerFor(a, 'per-statement'), [{ type: 'citizen', values: batch }]);
    await run(handlerFor(b, 'batch'), [{ type: 'citizen', values: batch }]);
    expect(await dump(b)).toEqual(await dump(a));
    await expectLineageAsHashed(b);

    const active = await b('citizens')
      .where('status', 'ACTIVE')
      .select<
        { master_id: string; golden: { personalId: string; fullName: string; sources: unknown[] } }[]
      >();
    expect(active).toHaveLength(5);
    const person = active.find((m) => m.golden.personalId === P);
    expect(person?.golden).toMatchObject({ fullName: 'Trần Văn Bình' });
    expect(person?.golden.sources).toHaveLength(2);
    const history = await b('master_history')
      .where('master_id', person?.master_id ?? '')
      .orderBy('version')
      .select<{ change: string }[]>('change');
    // The civil-status master is the older one: it survives and absorbs the population master.
    expect(history.map((h) => h.change)).toEqual(['CREATED', 'ABSORBED']);
    expect(await b('citizens').where('status', 'MERGED').count<{ n: string }[]>({ n: '*' })).toEqual([
      { n: '1' },
    ]);
    expect(await b('processed_events').count<{ n: string }[]>({ n: '*' })).toEqual([
      { n: String(batch.length) },
    ]);
  });
});
