import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, HEADERS, readHeaders, type KafkaClient, type SchemaRegistry } from '@hub/kafka';
import { catalog, type CitizenGolden } from '@hub/schemas';
import { eventually, uniqueName } from '@hub/testing';
import {
  aBusinessObserved,
  aCitizenObserved,
  aDossierObserved,
  address,
  at,
  day,
  yearOnly,
} from './fixtures.test-support.js';
import {
  canonicalState,
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
import type { Consolidation } from './service.js';
import { createHttpApp } from './http/app.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Knex;
let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics | undefined;
const apps: Consolidation[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  ({ kafka, registry } = kafkaClient('consolidation-int'));
});

afterAll(async () => {
  for (const a of apps) await a.stop().catch(() => undefined);
  await cleanupTopics(kafka, topics);
  await database.drop();
});

async function readTopic(
  topic: string,
  count: number,
): Promise<{ key: string; value: Buffer | null; headers: Record<string, string> }[]> {
  const consumer = kafka.raw.consumer({ groupId: uniqueName('reader') });
  const seen: { key: string; value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({
        key: message.key?.toString() ?? '',
        value: message.value,
        headers: readHeaders(message.headers),
      });
      return Promise.resolve();
    },
  });
  try {
    return await eventually(() => (seen.length >= count ? seen : undefined), {
      what: `${count} messages on ${topic}`,
      timeoutMs: 60_000,
    });
  } finally {
    await consumer.disconnect();
  }
}

const P = '008085000123';
const CMND = '070123456';

describe('consolidation against real Kafka, registry and PostgreSQL', () => {
  it('builds golden records: deterministic, probabilistic, late-identifier merge, review, survivorship, links, DLQ, outbox, replay', async () => {
    // One partition: the scenario depends on the order of the statements (merge only happens when the
    // identifier arrives after the two records were apart).
    topics = await createTopics(kafka, 1);
    const group = uniqueName('consolidation.observations');
    const publisher = await observationPublisher(kafka, registry, topics);
    // 1. civil-status knows the person without a personal number; population with a differently spelled
    //    name and only the birth year (too weak to match): two masters at first.
    const cs1 = aCitizenObserved({
      system: 'civil-status',
      recordId: 'cs-1',
      minute: 10,
      fullName: 'Nguyễn Thị Hoà',
      dateOfBirth: day(1985, 3, 12),
      sex: 'FEMALE',
      currentAddress: address('02290'),
    });
    const pop1 = aCitizenObserved({
      system: 'population',
      recordId: 'pop-1',
      minute: 5,
      personalId: P,
      legacyIds: [{ kind: 'CMND9', value: CMND }],
      fullName: 'Nguyễn Thị Hòa',
      dateOfBirth: yearOnly(1985),
      sex: 'FEMALE',
      currentAddress: address('02287'),
    });
    // 2. a later civil-status statement carries the personal number: the two masters merge.
    const { eventId: _e, occurredAt: _o, source: _s, ...cs1Fields } = cs1;
    const cs1b = aCitizenObserved({
      ...cs1Fields,
      system: 'civil-status',
      recordId: 'cs-1',
      minute: 20,
      personalId: P,
    });
    // 3. health has no number but an exact name + birth date: probabilistic match.
    const h1 = aCitizenObserved({
      system: 'health',
      recordId: 'h-1',
      minute: 30,
      fullName: 'Nguyễn Thị Hòa',
      dateOfBirth: day(1985, 3, 12),
      sex: 'FEMALE',
    });
    // 4. social: name + birth year only: ambiguous, goes to review.
    const s1 = aCitizenObserved({
      system: 'social',
      recordId: 's-1',
      minute: 40,
      fullName: 'Nguyễn Thị Hòa',
      dateOfBirth: yearOnly(1985),
      sex: 'FEMALE',
    });
    // 5. a poison observation (impossible personal number) is dead-lettered; the batch goes on.
    const bad = aCitizenObserved({
      system: 'population',
      recordId: 'pop-bad',
      minute: 41,
      personalId: '12345',
      fullName: 'X',
    });
    const citizens = [cs1, pop1, cs1b, h1, s1, bad];
    for (const c of citizens) await publisher.publish('citizen', c, { key: keyOf(c) });
    const biz = aBusinessObserved({
      system: 'business-registry',
      recordId: 'b-1',
      minute: 50,
      enterpriseCode: '0100233488',
      name: 'Công ty TNHH Hòa Bình',
      representativePersonalId: P,
    });
    const d1 = aDossierObserved({
      system: 'one-stop',
      recordId: 'os-1',
      minute: 60,
      dossierCode: '000.00.01.H60-250901-0001',
      applicant: { kind: 'CITIZEN', personalId: P, enterpriseCode: null, name: null },
      dueAt: at(600),
    });
    const d2 = {
      ...aDossierObserved({
        system: 'one-stop',
        recordId: 'os-1',
        minute: 300,
        dossierCode: d1.dossierCode,
        applicant: d1.applicant,
        dueAt: at(600),
        status: 'RESULT_RETURNED',
        completedAt: at(300),
        resultChannel: 'ELECTRONIC',
      }),
    };
    await publisher.publish('business', biz, { key: keyOf(biz) });
    for (const d of [d1, d2]) await publisher.publish('dossier', d, { key: keyOf(d) });
    await publisher.stop();

    apps.push(startInstance({ db, topics, group }));
    await drained(db, group, 8);

    const active = (await db('citizens').where('status', 'ACTIVE')) as {
      master_id: string;
      golden: CitizenGolden;
      version: string;
    }[];
    expect(active).toHaveLength(2);
    const person = active.find((m) => m.golden.personalId === P);
    expect(person).toBeDefined();
    const merged = (await db('citizens').where('status', 'MERGED')) as {
      master_id: string;
      merged_into: string;
    }[];
    expect(merged).toHaveLength(1);
    expect(merged[0]?.merged_into).toBe(person?.master_id);
    expect(person?.golden.sources.map((s) => s.recordId).sort()).toEqual(['cs-1', 'h-1', 'pop-1']);
    expect(person?.golden.aliases).toEqual([CMND]);
    // Survivorship: population is the authority for identity, though civil-status spoke later.
    expect(person?.golden.fullName).toBe('Nguyễn Thị Hòa');
    // Date of birth: population only knows the year; it still outranks civil-status (authority first).
    const lineage = (await db('attribute_lineage')
      .where({ master_id: person?.master_id, attribute: 'fullName' })
      .first()) as { rule: string; source_record_id: string };
    expect(lineage).toMatchObject({ rule: 'AUTHORITY', source_record_id: 'pop-1' });
    // The ambiguous one waits for a steward.
    const tasks = (await db('review_tasks').where({ kind: 'POSSIBLE_MATCH', status: 'OPEN' })) as {
      master_id: string;
      other_master_id: string;
    }[];
    expect(tasks).toHaveLength(1);
    expect([tasks[0]?.master_id, tasks[0]?.other_master_id]).toContain(person?.master_id);
    // History: the merge is recorded on both sides.
    const changes = await db('master_history')
      .where('entity_type', 'citizen')
      .select<{ change: string }[]>('change');
    expect(changes.map((c) => c.change)).toEqual(
      expect.arrayContaining(['CREATED', 'MERGED_INTO', 'ABSORBED']),
    );
    // Links: the business's representative and the dossier's applicant are the golden citizen.
    const business = (await db('businesses').first()) as { golden: Record<string, unknown> };
    expect(business.golden.representativeMasterId).toBe(person?.master_id);
    const dossier = (await db('dossiers').first()) as { golden: Record<string, unknown> };
    expect(dossier.golden).toMatchObject({
      status: 'RESULT_RETURNED',
      onTime: true,
      applicantMasterId: person?.master_id,
      resultChannel: 'ELECTRONIC',
    });
    expect(dossier.golden.timeline).toEqual([
      { status: 'RECEIVED', at: at(60) },
      { status: 'RESULT_RETURNED', at: at(300) },
    ]);
    // The poison observation is in the dead-letter topic with the field named.
    const [dead] = await readTopic(topics.dlq, 1);
    expect(dead?.headers[HEADERS.dlqReason]).toBe('VALIDATION_FAILED');
    expect(dead?.headers[HEADERS.dlqError]).toContain('/personalId');

    // Outbox → master.citizen: keyed by master id, a tombstone for the id merged away.
    const absorbedId =
      merged[0]?.merged_into === person?.master_id
        ? (await db('citizens').where('status', 'MERGED').first<{ master_id: string }>())?.master_id
        : undefined;
    await eventually(
      async () =>
        (await db('outbox').whereNull('sent_at').count<{ n: string }[]>({ n: '*' }))[0]?.n === '0'
          ? true
          : undefined,
      { what: 'outbox drained' },
    );
    const sent = Number(
      (await db('outbox').where('entity_type', 'citizen').count<{ n: string }[]>({ n: '*' }))[0]?.n,
    );
    const onTopic = await readTopic(topics.master.citizen, sent);
    const tombstone = onTopic.find((m) => m.value === null);
    expect(tombstone?.key).toBe(absorbedId);
    const codec = new AvroCodec<CitizenGolden>(
      registry,
      `${topics.master.citizen}-value`,
      catalog().forTopic('master.citizen'),
    );
    await codec.init();
    const last = [...onTopic].reverse().find((m) => m.key === person?.master_id);
    const decoded = await codec.decode(last?.value ?? null);
    expect(decoded.value).toMatchObject({
      masterId: person?.master_id,
      version: Number(person?.version),
      personalId: P,
      fullName: 'Nguyễn Thị Hòa',
    });

    // Replay: the same observations again change nothing.
    const before = await canonicalState(db);
    const historyBefore = (await db('master_history').count<{ n: string }[]>({ n: '*' }))[0]?.n;
    const again = await observationPublisher(kafka, registry, topics);
    for (const c of citizens) await again.publish('citizen', c, { key: keyOf(c) });
    await again.stop();
    const ends = async () =>
      Number(
        (
          await db('consumer_offsets')
            .where({ group_id: group, topic: topics?.obs.citizen })
            .sum<{ s: string }[]>({ s: 'next_offset' })
        )[0]?.s,
      );
    await eventually(async () => ((await ends()) >= 12 ? true : undefined), {
      what: 'replayed batch consumed',
    });
    expect(await canonicalState(db)).toEqual(before);
    expect((await db('master_history').count<{ n: string }[]>({ n: '*' }))[0]?.n).toBe(historyBefore);
  });

  it('steward API: list, merge a possible match, split it again with history and reasons', async () => {
    const steward = apps[0]?.steward;
    expect(steward).toBeDefined();
    const app = createHttpApp({
      db,
      steward: steward!,
      metrics: apps[0]!.metrics,
      logger: (await import('@hub/log')).silentLogger(),
      ready: () => Promise.resolve({ ok: true, checks: {} }),
    });
    const server = app.listen(0);
    const port = (server.address() as { port: number }).port;
    const base = `http://127.0.0.1:${port}`;
    try {
      const list = (await (await fetch(`${base}/review-tasks?status=OPEN&kind=POSSIBLE_MATCH`)).json()) as {
        items: { id: number; masterId: string; otherMasterId: string }[];
      };
      expect(list.items).toHaveLength(1);
      const task = list.items[0]!;
      // The steward console's contract (services/steward-console/src/consolidation/client.ts).
      const one = await fetch(`${base}/review-tasks/${task.id}`);
      expect(one.status).toBe(200);
      const shaped = (await one.json()) as {
        id: number;
        status: string;
        createdAt: string;
        totalScore: number;
        candidates: {
          masterId: string;
          attributes: Record<string, unknown>;
          sources: { system: string; recordId: string }[];
        }[];
        fieldScores: { field: string; left: unknown; right: unknown; score: number; weight: number | null }[];
      };
      expect(shaped).toMatchObject({
        id: task.id,
        entityType: 'citizen',
        kind: 'POSSIBLE_MATCH',
        status: 'OPEN',
      });
      expect(typeof shaped.totalScore).toBe('number');
      expect(Number.isNaN(Date.parse(shaped.createdAt))).toBe(false);
      expect(shaped.candidates.map((c) => c.masterId)).toEqual([task.masterId, task.otherMasterId]);
      for (const c of shaped.candidates) {
        expect(c.attributes).toHaveProperty('fullName');
        expect(c.sources.length).toBeGreaterThan(0);
      }
      expect(shaped.fieldScores.length).toBeGreaterThan(0);
      const name = shaped.fieldScores.find((f) => f.field === 'fullName');
      expect(name).toBeDefined();
      expect(name!.left).toBe(shaped.candidates[0]!.attributes.fullName);
      expect(name!.right).toBe(shaped.candidates[1]!.attributes.fullName);
      expect(typeof name!.weight).toBe('number');
      expect(shaped.fieldScores.reduce((a, f) => a + f.score, 0)).toBeCloseTo(shaped.totalScore, 2);
      expect(list.items[0]).toMatchObject({ candidates: shaped.candidates, fieldScores: shaped.fieldScores });
      expect((await fetch(`${base}/review-tasks/999999999`)).status).toBe(404);
      // Records held per connector, for the console's reconciliation with the sources' own counts.
      const counts = (await (await fetch(`${base}/source-counts`)).json()) as {
        items: {
          connectorId: string;
          sourceSystem: string;
          entityType: string;
          records: number;
          deleted: number;
        }[];
      };
      const expected: { source_system: string; entity_type: string; records: number; deleted: number }[] =
        await db('source_records')
          .select('source_system', 'entity_type')
          .select(db.raw('count(*) filter (where not deleted)::int as records'))
          .select(db.raw('count(*) filter (where deleted)::int as deleted'))
          .groupBy('source_system', 'entity_type');
      expect(expected.length).toBeGreaterThan(1);
      expect(
        counts.items
          .map((c) => `${c.connectorId} ${c.sourceSystem} ${c.entityType} ${c.records} ${c.deleted}`)
          .sort(),
      ).toEqual(
        expected
          .map(
            (e) =>
              `${e.source_system}-connector ${e.source_system} ${e.entity_type} ${e.records} ${e.deleted}`,
          )
          .sort(),
      );
      const statsBefore = (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;
      expect(statsBefore).toMatchObject({
        openReviewTasks: expect.any(Number),
        mergesLastHour: expect.any(Number),
        splitsLastHour: expect.any(Number),
      });
      expect(statsBefore.openReviewTasks).toBeGreaterThanOrEqual(1);
      const bad = await fetch(`${base}/review-tasks/${task.id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'MERGE' }),
      });
      expect(bad.status).toBe(400);
      const ok = await fetch(`${base}/review-tasks/${task.id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          decision: 'MERGE',
          steward: 'lan.nt',
          reason: 'same mother and hamlet confirmed by phone',
        }),
      });
      expect(ok.status).toBe(200);
      const person = (await db('citizens').where('status', 'ACTIVE')) as { master_id: string }[];
      expect(person).toHaveLength(1);
      const survivor = person[0]!.master_id;
      const split = await fetch(`${base}/masters/citizen/${survivor}/split`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sourceRecords: [{ system: 'social', recordId: 's-1' }],
          steward: 'lan.nt',
          reason: 'merged by mistake',
        }),
      });
      expect(split.status).toBe(201);
      const statsAfter = (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;
      expect(statsAfter.openReviewTasks).toBe(statsBefore.openReviewTasks! - 1);
      expect(statsAfter.mergesLastHour).toBe(statsBefore.mergesLastHour! + 1);
      expect(statsAfter.splitsLastHour).toBe(statsBefore.splitsLastHour! + 1);
      const { splitMasterId } = (await split.json()) as { splitMasterId: string };
      const history = (await (await fetch(`${base}/masters/citizen/${survivor}/history`)).json()) as {
        items: { change: string; actor: string; reason: string | null }[];
      };
      expect(history.items.map((h) => h.change)).toEqual(expect.arrayContaining(['ABSORBED', 'SPLIT_OFF']));
      expect(history.items.find((h) => h.change === 'SPLIT_OFF')).toMatchObject({
        actor: 'steward:lan.nt',
        reason: 'merged by mistake',
      });
      const detail = (await (await fetch(`${base}/masters/citizen/${splitMasterId}`)).json()) as {
        sources: { recordId: string }[];
      };
      expect(detail.sources.map((s) => s.recordId)).toEqual(['s-1']);
      const refused = await fetch(`${base}/masters/citizen/${survivor}/split`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sourceRecords: [{ system: 'civil-status', recordId: 'cs-1' }],
          steward: 'lan.nt',
          reason: 'test',
        }),
      });
      expect(refused.status).toBe(409); // both sides would hold the same personal number
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('hub_consolidation_observations_total');
    } finally {
      server.close();
    }
  });
});
