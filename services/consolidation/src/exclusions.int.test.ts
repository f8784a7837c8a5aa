import type { Server } from 'node:http';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { uniqueName } from '@hub/testing';
import { aCitizenObserved, address, day, yearOnly } from './fixtures.test-support.js';
import {
  cleanupTopics,
  createTestDatabase,
  createTopics,
  drained,
  kafkaClient,
  keyOf,
  observationPublisher,
  startInstance,
  type TestTopics,
} from './int-harness.test-support.js';
import type { CitizenObserved } from '@hub/schemas';
import { createHttpApp } from './http/app.js';
import type { Consolidation } from './service.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Knex;
let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics | undefined;
let app: Consolidation | undefined;
let publisher: Awaited<ReturnType<typeof observationPublisher>> | undefined;
let server: Server | undefined;
let base = '';
let group = '';
let published = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  ({ kafka, registry } = kafkaClient('consolidation-exclusions-int'));
  // One partition: the scenarios depend on the order of the statements.
  topics = await createTopics(kafka, 1);
  group = uniqueName('consolidation.observations');
  publisher = await observationPublisher(kafka, registry, topics);
  app = startInstance({ db, topics, group, relay: false });
  const http = createHttpApp({
    db,
    steward: app.steward,
    metrics: app.metrics,
    logger: silentLogger(),
    ready: () => Promise.resolve({ ok: true, checks: {} }),
  });
  server = http.listen(0);
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server?.close();
  await publisher?.stop().catch(() => undefined);
  await app?.stop().catch(() => undefined);
  await cleanupTopics(kafka, topics);
  await database.drop();
});

async function consume(...observations: CitizenObserved[]): Promise<void> {
  for (const o of observations) await publisher!.publish('citizen', o, { key: keyOf(o) });
  published += observations.length;
  await drained(db, group, published);
}

async function resolve(taskId: number, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/review-tasks/${taskId}/resolve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ steward: 'lan.nt', ...body }),
  });
}

const masterOf = async (system: string, recordId: string): Promise<string> =>
  (
    await rows<{ master_id: string }>(
      db('source_records')
        .where({ entity_type: 'citizen', source_system: system, source_record_id: recordId })
        .first('master_id'),
    )
  ).master_id;

const openMatchTasks = async (): Promise<{ id: number; master_id: string; other_master_id: string }[]> =>
  await rows<
    {
      id: number;
      master_id: string;
      other_master_id: string;
    }[]
  >(
    db('review_tasks')
      .where({ status: 'OPEN', kind: 'POSSIBLE_MATCH' })
      .select('id', 'master_id', 'other_master_id'),
  );

const exclusions = async (): Promise<{ master_a: string; master_b: string; origin: string }[]> =>
  await rows<{ master_a: string; master_b: string; origin: string }[]>(
    db('match_exclusions').orderBy(['master_a', 'master_b']).select('master_a', 'master_b', 'origin'),
  );

/** A query's rows with the shape the test reads. */
const rows = async <T>(query: PromiseLike<unknown>): Promise<T> => (await query) as T;

const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

describe('keep-apart exclusions and re-resolution after a split', () => {
  it('KEEP_APART: a new statement of the pair neither merges nor re-opens a task; a merge re-points the exclusion', async () => {
    // D: the population register knows a person only by number (no name: no probabilistic candidate).
    const p1 = aCitizenObserved({
      system: 'population',
      recordId: 'p-1',
      minute: 1,
      personalId: '001090000111',
      legacyIds: [{ kind: 'CMND9', value: '012345678' }],
      sex: 'MALE',
    });
    const h1 = aCitizenObserved({
      system: 'health',
      recordId: 'h-1',
      minute: 2,
      fullName: 'Trần Văn Nam',
      dateOfBirth: day(1990, 5, 1),
      sex: 'MALE',
      currentAddress: address('02290'),
    });
    // Same name, birth year only: the review band.
    const s1 = aCitizenObserved({
      system: 'social',
      recordId: 's-1',
      minute: 3,
      fullName: 'Trần Văn Nam',
      dateOfBirth: yearOnly(1990),
      sex: 'MALE',
    });
    await consume(p1, h1, s1);
    const [task] = await openMatchTasks();
    expect(task).toBeDefined();
    const a = await masterOf('health', 'h-1');
    const c = await masterOf('social', 's-1');
    const d = await masterOf('population', 'p-1');
    expect(pair(task!.master_id, task!.other_master_id)).toEqual(pair(a, c));

    const kept = await resolve(task!.id, {
      decision: 'KEEP_APART',
      reason: 'different mothers (phoned the commune)',
    });
    expect(kept.status).toBe(200);
    const [ma, mb] = pair(a, c);
    expect(await exclusions()).toEqual([{ master_a: ma, master_b: mb, origin: 'KEEP_APART' }]);
    expect(await db('match_exclusions').first('review_task_id', 'actor', 'reason')).toMatchObject({
      review_task_id: String(task!.id),
      actor: 'steward:lan.nt',
      reason: 'different mothers (phoned the commune)',
    });

    // The same pair again, now scoring far above the upper threshold (the commune agrees too).
    const { eventId: _e, occurredAt: _o, source: _s, ...s1Fields } = s1;
    const s1b = aCitizenObserved({
      ...s1Fields,
      system: 'social',
      recordId: 's-1',
      minute: 10,
      currentAddress: address('02290'),
    });
    await consume(s1b);
    expect(await masterOf('social', 's-1')).toBe(c);
    expect(await masterOf('health', 'h-1')).toBe(a);
    expect(await openMatchTasks()).toEqual([]);
    expect(await db('citizens').where('status', 'ACTIVE').count<{ n: string }[]>({ n: '*' })).toEqual([
      { n: '3' },
    ]);

    // Its old identity card number now proves it is D's person: C merges into D (the older), and
    // the exclusion follows the survivor.
    const s1c = aCitizenObserved({
      ...s1Fields,
      system: 'social',
      recordId: 's-1',
      minute: 20,
      currentAddress: address('02290'),
      legacyIds: [{ kind: 'CMND9', value: '012345678' }],
    });
    await consume(s1c);
    expect(await masterOf('social', 's-1')).toBe(d);
    expect(await db('citizens').where('master_id', c).first('status', 'merged_into')).toEqual({
      status: 'MERGED',
      merged_into: d,
    });
    const [ra, rb] = pair(a, d);
    expect(await exclusions()).toEqual([{ master_a: ra, master_b: rb, origin: 'KEEP_APART' }]);
    expect(await masterOf('health', 'h-1')).toBe(a);
    expect(await openMatchTasks()).toEqual([]);
  });

  it('SPLIT on a review task over HTTP: the records leave, are re-resolved into the right master, never back', async () => {
    // B: the population register's Lê Thị Mai of commune 02287.
    const p2 = aCitizenObserved({
      system: 'population',
      recordId: 'p-2',
      minute: 30,
      personalId: '001175000222',
      fullName: 'Lê Thị Mai',
      dateOfBirth: day(1975, 2, 2),
      sex: 'FEMALE',
      currentAddress: address('02287'),
      motherName: 'Phạm Thị Lan',
    });
    // M: a namesake born the same day in commune 02290, another mother: the review band.
    const h2 = aCitizenObserved({
      system: 'health',
      recordId: 'h-2',
      minute: 31,
      fullName: 'Lê Thị Mai',
      dateOfBirth: day(1975, 2, 2),
      sex: 'FEMALE',
      currentAddress: address('02290'),
      motherName: 'Ngô Thị Hằng',
    });
    // The social file's record (no mother) matches both above the upper threshold, M best (commune).
    const s2 = aCitizenObserved({
      system: 'social',
      recordId: 's-2',
      minute: 32,
      fullName: 'Lê Thị Mai',
      dateOfBirth: day(1975, 2, 2),
      sex: 'FEMALE',
      currentAddress: address('02290'),
    });
    await consume(p2, h2, s2);
    const b = await masterOf('population', 'p-2');
    const m = await masterOf('health', 'h-2');
    expect(await masterOf('social', 's-2')).toBe(m);
    const task = (await openMatchTasks()).find(
      (t) => pair(t.master_id, t.other_master_id).join() === pair(m, b).join(),
    );
    expect(task).toBeDefined();
    const outboxBefore = Number((await db('outbox').max<{ id: string | null }[]>({ id: 'id' }))[0]?.id ?? 0);

    const notHeld = await resolve(task!.id, {
      decision: 'SPLIT',
      sourceRecords: [{ system: 'social', recordId: 'nope' }],
      reason: 'x',
    });
    expect(notHeld.status).toBe(400);
    const split = await resolve(task!.id, {
      decision: 'SPLIT',
      sourceRecords: [{ system: 'social', recordId: 's-2' }],
      reason: 'the social file means the 02287 Mai (moved last year)',
    });
    expect(split.status).toBe(200);

    // Entities: s-2 left M and, re-resolved with M excluded, joined B; the transient split master
    // merged into B (the older id survives).
    expect(await masterOf('social', 's-2')).toBe(b);
    expect(await masterOf('health', 'h-2')).toBe(m);
    const splitRow = await rows<{ master_id: string; related_master_id: string }>(
      db('master_history')
        .where({ entity_type: 'citizen', change: 'SPLIT_FROM' })
        .first('master_id', 'related_master_id'),
    );
    expect(splitRow.related_master_id).toBe(m);
    const s = splitRow.master_id;
    expect(await db('citizens').where('master_id', s).first('status', 'merged_into')).toEqual({
      status: 'MERGED',
      merged_into: b,
    });
    const golden = async (id: string) =>
      (await rows<{ golden: { sources: unknown[] } }>(db('citizens').where('master_id', id).first('golden')))
        .golden;
    expect((await golden(m)).sources).toEqual([
      expect.objectContaining({ system: 'health', recordId: 'h-2' }),
    ]);
    expect((await golden(b)).sources).toEqual([
      expect.objectContaining({ system: 'population', recordId: 'p-2' }),
      expect.objectContaining({ system: 'social', recordId: 's-2' }),
    ]);

    // History: who and why, on every master involved.
    const history = async (id: string) =>
      await rows<
        {
          version: string;
          change: string;
          actor: string;
          reason: string | null;
          related_master_id: string | null;
        }[]
      >(
        db('master_history')
          .where({ entity_type: 'citizen', master_id: id })
          .orderBy('version')
          .select('version', 'change', 'actor', 'reason', 'related_master_id'),
      );
    const reason = 'the social file means the 02287 Mai (moved last year)';
    expect((await history(m)).at(-1)).toMatchObject({
      change: 'SPLIT_OFF',
      actor: 'steward:lan.nt',
      reason,
      related_master_id: s,
    });
    expect((await history(s)).map((h) => [h.change, h.actor])).toEqual([
      ['SPLIT_FROM', 'steward:lan.nt'],
      ['MERGED_INTO', 'steward:lan.nt'],
    ]);
    expect((await history(b)).at(-1)).toMatchObject({
      change: 'ABSORBED',
      actor: 'steward:lan.nt',
      reason,
      related_master_id: s,
    });
    const api = (await (await fetch(`${base}/masters/citizen/${s}/history`)).json()) as { items: unknown[] };
    expect(api.items.length).toBeGreaterThan(0);

    // Outbox: M and the split master as SPLIT, the split master's tombstone, B as MERGED.
    const outbox = await rows<
      {
        message_key: string;
        version: string;
        change: string;
        payload: { sources: { recordId: string }[] } | null;
      }[]
    >(
      db('outbox')
        .where('id', '>', outboxBefore)
        .orderBy('id')
        .select('message_key', 'version', 'change', 'payload'),
    );
    expect(outbox.map((o) => [o.message_key, o.change, o.payload === null])).toEqual([
      [m, 'SPLIT', false],
      [s, 'SPLIT', false],
      [s, 'MERGED', true],
      [b, 'MERGED', false],
    ]);
    expect(outbox.at(-1)!.payload!.sources.map((x) => x.recordId)).toEqual(['p-2', 's-2']);

    // The task is closed; the pair is excluded; nothing re-queued for M and B.
    expect(await db('review_tasks').where('id', task!.id).first('status', 'resolution')).toEqual({
      status: 'RESOLVED',
      resolution: 'SPLIT',
    });
    const [xa, xb] = pair(m, b);
    expect(await exclusions()).toContainEqual({ master_a: xa, master_b: xb, origin: 'SPLIT' });
    expect((await openMatchTasks()).filter((t) => [t.master_id, t.other_master_id].includes(m))).toEqual([]);

    // A new statement of s-2 stays with B.
    const { eventId: _e, occurredAt: _o, source: _s, ...s2Fields } = s2;
    await consume(
      aCitizenObserved({ ...s2Fields, system: 'social', recordId: 's-2', minute: 40, phone: '0912345678' }),
    );
    expect(await masterOf('social', 's-2')).toBe(b);
    expect(await masterOf('health', 'h-2')).toBe(m);
  });
});
