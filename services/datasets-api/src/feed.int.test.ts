import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import { eventually } from '@hub/testing';
import type { Config } from './config.js';
import { aCitizen, createTestDatabase, createTopics, dropTopics, get, goldenPublisher, kafkaClient, startApi, testConfig, type TestTopics } from './int-harness.test-support.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics;
let pub: Awaited<ReturnType<typeof goldenPublisher>>;
let config: Config;
const running: Awaited<ReturnType<typeof startApi>>[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  ({ kafka, registry } = kafkaClient('datasets-api-feed-int'));
  topics = await createTopics(kafka, 3);
  pub = await goldenPublisher(kafka, registry, topics);
  config = testConfig(database.url, topics, { BATCH_MAX_MESSAGES: '7' });
});

afterAll(async () => {
  await pub?.stop();
  for (const api of running) await api.stop().catch(() => undefined);
  if (kafka && topics) await dropTopics(kafka, topics);
  await database?.drop();
});

interface Entry {
  masterId: string;
  version: number;
  change: string;
}

/** A feed reader that keeps only its cursor between runs (as a downstream app would). */
async function readPages(url: string, key: string, cursor: string | undefined, pages: number): Promise<{ entries: Entry[]; cursor: string | undefined }> {
  const entries: Entry[] = [];
  for (let i = 0; i < pages; i++) {
    const r = await get(`${url}/feeds/citizen?limit=5${cursor ? `&cursor=${cursor}` : ''}`, key);
    expect(r.status).toBe(200);
    entries.push(...(r.body.items as Entry[]));
    cursor = (r.body.nextCursor as string | null) ?? cursor;
    if (!r.body.hasMore) break;
  }
  return { entries, cursor };
}

describe('change feed', () => {
  it('delivers every change exactly once, in order, across restarts of the reader and of the service', async () => {
    const first = await startApi(config, database.db, kafka, registry);
    running.push(first);
    const { apiKey } = await first.governance.createApp({ name: 'mirror', purpose: 'feed integration test: mirror the dataset', scopes: ['citizen.address'], rateLimitPerMinute: 100_000 });
    const expected = new Set<string>();
    for (let n = 0; n < 20; n++) {
      const id = `fc-${n}`;
      await pub.citizen(aCitizen({ masterId: id }));
      expected.add(`${id}@1`);
      if (n % 3 === 0) {
        await pub.citizen(aCitizen({ masterId: id, version: 2 }));
        await pub.citizen(aCitizen({ masterId: id, version: 2 })); // redelivery: no second feed entry
        expected.add(`${id}@2`);
      }
    }
    const seen: Entry[] = [];
    // The reader starts while the consumer is still applying: it must neither skip nor repeat.
    let run = await readPages(first.url, apiKey, undefined, 2);
    seen.push(...run.entries);

    // Restart the service; more changes arrive while it is down.
    await first.stop();
    for (let n = 20; n < 30; n++) {
      await pub.citizen(aCitizen({ masterId: `fc-${n}` }));
      expected.add(`fc-${n}@1`);
    }
    await pub.tombstone(topics.citizen, 'fc-0', 2);
    expected.add('fc-0@2:DELETED');
    const second = await startApi(config, database.db, kafka, registry);
    running.push(second);

    // The reader restarts too, from its saved cursor only.
    let cursor = run.cursor;
    await eventually(
      async () => {
        run = await readPages(second.url, apiKey, cursor, 50);
        cursor = run.cursor;
        seen.push(...run.entries);
        return seen.length >= expected.size ? true : undefined;
      },
      { what: `${expected.size} feed entries`, timeoutMs: 60_000, intervalMs: 300 },
    );
    const keys = seen.map((e) => `${e.masterId}@${e.version}${e.change === 'DELETED' ? ':DELETED' : ''}`);
    expect(new Set(keys).size).toBe(keys.length); // exactly once
    expect(new Set(keys)).toEqual(expected); // nothing missing, nothing extra
    // Per record, versions come in order.
    const last = new Map<string, number>();
    for (const e of seen) {
      expect(e.version).toBeGreaterThanOrEqual(last.get(e.masterId) ?? 0);
      last.set(e.masterId, e.version);
    }
    // A caught-up reader polls with the same cursor and gets nothing new.
    const idle = await get(`${second.url}/feeds/citizen?cursor=${cursor ?? ''}`, apiKey);
    expect(idle.body).toMatchObject({ items: [], nextCursor: cursor, hasMore: false });
    expect((await get(`${second.url}/citizens/fc-0`, apiKey)).status).toBe(410);
  });
});
