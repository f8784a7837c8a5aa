import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import type { CitizenObserved } from '@hub/schemas';
import { uniqueName } from '@hub/testing';
import { aCitizenObserved, address, day } from './fixtures.test-support.js';
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

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Quang'];
const GIVEN = [
  'An',
  'Bình',
  'Cường',
  'Dũng',
  'Giang',
  'Hải',
  'Khánh',
  'Lan',
  'Mai',
  'Nam',
  'Phúc',
  'Quân',
  'Sơn',
  'Tâm',
  'Uyên',
  'Vinh',
  'Xuân',
  'Yến',
];
const PERSONS = 120;

/**
 * A small population: a third matched by personal number + CMND alias, a third by exact
 * name/birth date against a numbered record, a third only probabilistically (no numbers at all).
 */
function population(): CitizenObserved[] {
  const out: CitizenObserved[] = [];
  for (let i = 0; i < PERSONS; i++) {
    const fullName = `${FAMILY[i % 8]} ${MIDDLE[Math.floor(i / 8) % 6]} ${GIVEN[Math.floor(i / 48) % 18]}`;
    const year = 1950 + (i % 50);
    const dob = day(year, (i % 12) + 1, (i % 28) + 1);
    const pid = `0081${String(year).slice(2)}${String(i).padStart(6, '0')}`;
    const base = { fullName, dateOfBirth: dob, sex: 'FEMALE' as const, currentAddress: address('02290') };
    if (i % 3 === 0) {
      out.push(
        aCitizenObserved({ system: 'population', recordId: `pop-${i}`, minute: i, personalId: pid, ...base }),
      );
      out.push(aCitizenObserved({ system: 'civil-status', recordId: `cs-${i}`, minute: i + 1, ...base }));
    } else if (i % 3 === 1) {
      const cmnd = `07${String(i).padStart(7, '0')}`;
      out.push(
        aCitizenObserved({
          system: 'population',
          recordId: `pop-${i}`,
          minute: i,
          personalId: pid,
          legacyIds: [{ kind: 'CMND9', value: cmnd }],
          ...base,
        }),
      );
      out.push(
        aCitizenObserved({
          system: 'tax',
          recordId: `tax-${i}`,
          minute: i + 2,
          legacyIds: [{ kind: 'CMND9', value: cmnd }],
          fullName,
          dateOfBirth: null,
        }),
      );
    } else {
      out.push(aCitizenObserved({ system: 'civil-status', recordId: `cs-${i}`, minute: i, ...base }));
      out.push(aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: i + 3, ...base }));
    }
  }
  return out;
}

let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics | undefined;
const observations = population();
const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
const apps: Consolidation[] = [];
let reference: Record<string, string[]>;

async function stopAll(): Promise<void> {
  for (const a of apps.splice(0)) await a.stop();
}

beforeAll(async () => {
  ({ kafka, registry } = kafkaClient('consolidation-resilience'));
  topics = await createTopics(kafka, 4);
  const publisher = await observationPublisher(kafka, registry, topics);
  await publisher.publishBatch(
    'citizen',
    observations.map((o) => ({ key: keyOf(o), value: o })),
  );
  await publisher.stop();
});

afterAll(async () => {
  await stopAll().catch(() => undefined);
  await cleanupTopics(kafka, topics);
  for (const d of databases) await d.drop();
});

async function freshDb() {
  const d = await createTestDatabase();
  databases.push(d);
  return d.db;
}

describe('exactly-once effect and scale-out', () => {
  it('one instance: every person becomes exactly one golden record', async () => {
    const db = await freshDb();
    const group = uniqueName('consolidation.ref');
    apps.push(startInstance({ db, topics: topics as TestTopics, group, relay: false }));
    await drained(db, group, observations.length);
    await stopAll();
    reference = await canonicalState(db);
    expect(reference.citizen).toHaveLength(PERSONS);
    expect(
      reference.citizen?.every((c) => (JSON.parse(c) as { cluster: string[] }).cluster.length === 2),
    ).toBe(true);
  });

  it('two instances in one consumer group give the same master tables as one', async () => {
    const db = await freshDb();
    const group = uniqueName('consolidation.pair');
    apps.push(startInstance({ db, topics: topics as TestTopics, group, relay: false }));
    apps.push(startInstance({ db, topics: topics as TestTopics, group, relay: false }));
    await drained(db, group, observations.length);
    await stopAll();
    expect(await canonicalState(db)).toEqual(reference);
  });

  it('a crash after the writes and before COMMIT, then a restart, loses nothing and duplicates nothing', async () => {
    const db = await freshDb();
    const group = uniqueName('consolidation.crash');
    let crashes = 0;
    // First instance: every transaction dies just before COMMIT (as if the process were killed there).
    apps.push(
      startInstance({
        db,
        topics: topics as TestTopics,
        group,
        relay: false,
        beforeCommit: () => {
          crashes++;
          return Promise.reject(new Error('simulated crash before commit'));
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 3000));
    await stopAll();
    expect(crashes).toBeGreaterThan(0);
    const afterCrash = Number((await db('processed_events').count<{ n: string }[]>({ n: '*' }))[0]?.n);
    expect(afterCrash).toBe(0);
    // Restart: a fresh instance of the same group resumes from the offsets in PostgreSQL.
    let transient = 2;
    apps.push(
      startInstance({
        db,
        topics: topics as TestTopics,
        group,
        relay: false,
        beforeCommit: () =>
          transient-- > 0 ? Promise.reject(new Error('one more crash, retried')) : Promise.resolve(),
      }),
    );
    await drained(db, group, observations.length);
    await stopAll();
    expect(await canonicalState(db)).toEqual(reference);
    const count = async (table: string) => Number((await db(table).count<{ n: string }[]>({ n: '*' }))[0]?.n);
    expect(await count('processed_events')).toBe(observations.length);
    expect(await count('source_records')).toBe(observations.length);
    // History has each version once, and the outbox one row per version.
    const gaps = await db.raw<{ rows: unknown[] }>(
      `select master_id from master_history group by master_id having count(*) <> max(version) or count(distinct version) <> count(*)`,
    );
    expect(gaps.rows).toEqual([]);
    expect(await count('outbox')).toBe(await count('master_history'));
  });
});
