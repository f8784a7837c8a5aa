import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';
import { aCitizenObserved, address, day } from './fixtures.test-support.js';
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
import type { Consolidation } from './service.js';

let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let app: Consolidation | undefined;

beforeAll(async () => {
  ({ kafka, registry } = kafkaClient(uniqueName('nudge')));
  topics = await createTopics(kafka);
  database = await createTestDatabase();
});

afterAll(async () => {
  await app?.stop();
  await database?.drop();
  await cleanupTopics(kafka, topics);
});

describe('outbox relay woken by the batch that committed', () => {
  it('publishes the golden record right after the commit, not at the next poll (poll interval 10 min)', async () => {
    if (!topics || !database) throw new Error('setup failed');
    const group = uniqueName('consolidation.nudge');
    // With a 10-minute poll, only the wake-up after the commit can publish within the test's time.
    app = startInstance({ db: database.db, topics, group, outboxPollMs: 600_000 });
    const publisher = await observationPublisher(kafka, registry, topics);
    const citizen = aCitizenObserved({
      system: 'population',
      recordId: 'pop-nudge-1',
      personalId: '008190000123',
      fullName: 'Nguyễn Thị Lan',
      dateOfBirth: day(1990, 5, 17),
      sex: 'FEMALE',
      currentAddress: address('02290'),
    });
    await publisher.publish('citizen', citizen, { key: keyOf(citizen) });
    await publisher.stop();
    await drained(database.db, group, 1);
    const sent = await eventually(
      async () => {
        const rows = await database?.db('outbox').whereNotNull('sent_at').count<{ n: string }[]>({ n: '*' });
        return Number(rows?.[0]?.n ?? 0) >= 1 ? Number(rows?.[0]?.n) : undefined;
      },
      { timeoutMs: 20_000, what: 'the outbox row published without waiting for the poll' },
    );
    expect(sent).toBe(1);
    const pending = await database.db('outbox').whereNull('sent_at').count<{ n: string }[]>({ n: '*' });
    expect(Number(pending[0]?.n)).toBe(0);
  });
});
