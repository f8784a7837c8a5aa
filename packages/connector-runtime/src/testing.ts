/**
 * Helpers for connector integration tests (exported as `@hub/connector-runtime/testing`): read a
 * whole topic as it is on the broker, decode observations, and give each test file a fresh
 * connector database. Not used by production code.
 */
import { randomBytes } from 'node:crypto';
import { avroType, readHeaders, type KafkaClient } from '@hub/kafka';
import { createConnectorDb, dropTestDatabase, ensureDatabase, type Db } from './db/connection.js';
import { migrateConnectorDb } from './db/migrate.js';
import { connectorStatusSchema, observationSchema, type Entity } from './mapping/targets.js';

export interface TopicMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Every message of a topic up to its current end offsets (what Kafka acknowledged so far). */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  timeoutMs = 30_000,
): Promise<TopicMessage[]> {
  const admin = kafka.raw.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const wanted = [...ends.values()].reduce((a, b) => a + b, 0n);
  const out: TopicMessage[] = [];
  if (wanted === 0n) return out;
  const consumer = kafka.raw.consumer({ groupId: `test.reader.${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Map<number, boolean>([...ends].map(([p, end]) => [p, end === 0n]));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out reading ${topic}: ${out.length} of ${wanted} messages`)),
      timeoutMs,
    );
    consumer
      .run({
        eachMessage: ({ partition, message }) => {
          out.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value,
            headers: readHeaders(message.headers),
          });
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) done.set(partition, true);
          if ([...done.values()].every(Boolean)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

/** Decode a Confluent-framed observation (written with the schema in schemas/). */
export function decodeObservation<T = Record<string, unknown>>(entity: Entity, value: Buffer | null): T {
  if (!value) throw new Error('empty value');
  return avroType(observationSchema(entity)).fromBuffer(value.subarray(5)) as T;
}

export function decodeStatus<T = Record<string, unknown>>(value: Buffer | null): T {
  if (!value) throw new Error('empty value');
  return avroType(connectorStatusSchema()).fromBuffer(value.subarray(5)) as T;
}

/** A fresh, migrated connector database on the same server as `baseUrl`; drop it with `drop()`. */
export async function createTestConnectorDb(
  baseUrl: string,
): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const u = new URL(baseUrl);
  u.pathname = `/hub_connectors_test_${randomBytes(5).toString('hex')}`;
  const url = u.toString();
  await ensureDatabase(url);
  const db = createConnectorDb(url);
  await migrateConnectorDb(db);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await dropTestDatabase(url);
    },
  };
}
