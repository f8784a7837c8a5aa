import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { catalog } from '@hub/schemas';
import {
  createKafkaClient,
  ensureTopics,
  deleteTestTopics,
  Publisher,
  SchemaRegistry,
  type ConsumedBatch,
  type KafkaClient,
} from '@hub/kafka';
import { createLogger, silentLogger } from '@hub/log';
import { eventually, uniqueName } from '@hub/testing';
import type { Config } from './config.js';
import { ConfigSchema } from './config.js';
import { TEST_MATCHING } from './handler.test-support.js';
import type { Observation } from './domain/types.js';
import { createDb, migrateLatest } from './db/migrations.js';
import { createConsolidation, type Consolidation } from './service.js';

export const endpoints = inject('endpoints');

export const AUTHORITIES = JSON.stringify({
  identity: ['population', 'civil-status'],
  residence: ['population'],
  civilStatus: ['civil-status'],
  businessRegistration: ['business-registry'],
  dossier: ['one-stop'],
});

/** A fresh database per file, migrated; dropped at the end. Refuses names without "test". */
export async function createTestDatabase(): Promise<{ url: string; db: Knex; drop: () => Promise<void> }> {
  const name = `consolidation_test_${randomBytes(4).toString('hex')}`;
  const admin = createDb(endpoints.DATABASE_URL, { max: 1 });
  await admin.raw(`create database ${name}`);
  const url = new URL(endpoints.DATABASE_URL);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 12 });
  await migrateLatest(db);
  return {
    url: url.toString(),
    db,
    drop: async () => {
      if (!name.includes('test')) throw new Error('refusing to drop a database without "test" in its name');
      await db.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

export interface TestTopics {
  readonly obs: { citizen: string; business: string; dossier: string };
  readonly master: { citizen: string; business: string; dossier: string };
  readonly dlq: string;
  readonly all: string[];
}

export async function createTopics(kafka: KafkaClient, partitions = 3): Promise<TestTopics> {
  const n = (p: string): string => uniqueName(`consolidation.${p}`);
  const obs = { citizen: n('obs-citizen'), business: n('obs-business'), dossier: n('obs-dossier') };
  const master = {
    citizen: n('master-citizen'),
    business: n('master-business'),
    dossier: n('master-dossier'),
  };
  const dlq = n('dlq');
  const all = [...Object.values(obs), ...Object.values(master), dlq];
  await ensureTopics(
    kafka,
    all.map((name) => ({
      name,
      partitions: name.includes('master') || name === dlq ? 1 : partitions,
      replicationFactor: 1,
      config: {},
    })),
  );
  return { obs, master, dlq, all };
}

export function testConfig(topics: TestTopics, group: string, outboxPollMs = 50): Config {
  return ConfigSchema.parse({
    HTTP_PORT: '0',
    DATABASE_URL: endpoints.DATABASE_URL,
    KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
    CONSUMER_GROUP: group,
    TOPIC_OBS_CITIZEN: topics.obs.citizen,
    TOPIC_OBS_BUSINESS: topics.obs.business,
    TOPIC_OBS_DOSSIER: topics.obs.dossier,
    TOPIC_MASTER_CITIZEN: topics.master.citizen,
    TOPIC_MASTER_BUSINESS: topics.master.business,
    TOPIC_MASTER_DOSSIER: topics.master.dossier,
    TOPIC_DLQ: topics.dlq,
    BATCH_MAX_MESSAGES: '100',
    SURVIVORSHIP_AUTHORITIES: AUTHORITIES,
    OUTBOX_POLL_MS: String(outboxPollMs),
    // The tests' review band (TEST_MATCHING): their pairs are built around 12, not the deployed 14
    // (decision 0012), because they test the mechanism, not the tuning.
    MATCH_CITIZEN_LOWER: String(TEST_MATCHING.thresholds.citizen.lower),
  });
}

export function kafkaClient(id: string): { kafka: KafkaClient; registry: SchemaRegistry } {
  return {
    kafka: createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: id }),
    registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL),
  };
}

/** Publishes canonical observations to the test topics (registered under the canonical subjects). */
export async function observationPublisher(kafka: KafkaClient, registry: SchemaRegistry, topics: TestTopics) {
  const cat = catalog();
  const publisher = new Publisher({
    kafka,
    registry,
    registerSchemas: true,
    outputs: {
      citizen: {
        topic: topics.obs.citizen,
        subject: 'obs.citizen-value',
        schema: cat.forTopic('obs.citizen'),
      },
      business: {
        topic: topics.obs.business,
        subject: 'obs.business-value',
        schema: cat.forTopic('obs.business'),
      },
      dossier: {
        topic: topics.obs.dossier,
        subject: 'obs.dossier-value',
        schema: cat.forTopic('obs.dossier'),
      },
    },
  });
  await publisher.start();
  return publisher;
}

export const keyOf = (o: Observation): string => `${o.source.system}:${o.source.recordId}`;

export function startInstance(opts: {
  db: Knex;
  topics: TestTopics;
  group: string;
  relay?: boolean;
  http?: boolean;
  beforeCommit?: (b: ConsumedBatch<Observation>) => Promise<void>;
  /** The outbox relay's poll interval (default 50 ms). */
  outboxPollMs?: number;
}): Consolidation {
  const { kafka, registry } = kafkaClient(uniqueName('consolidation'));
  const app = createConsolidation({
    config: testConfig(opts.topics, opts.group, opts.outboxPollMs),
    logger: process.env.TEST_LOG_LEVEL
      ? createLogger({ service: 'consolidation-test', level: 'debug' })
      : silentLogger(),
    db: opts.db,
    kafka,
    registry,
    registerSchemas: true,
    http: opts.http ?? false,
    relay: opts.relay ?? true,
    sessionTimeoutMs: 10_000,
    ...(opts.beforeCommit ? { beforeCommit: opts.beforeCommit } : {}),
  });
  // A failure to start (e.g. the registry is down) is reported here and surfaces as a drained() timeout.
  app.start().catch((e: unknown) => {
    process.stderr.write(
      `consolidation instance failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
    );
  });
  return app;
}

/** Wait until every partition of the observation topics has its offset stored at the end. */
export async function drained(db: Knex, group: string, expected: number): Promise<void> {
  await eventually(
    async () => {
      const r = await db('processed_events').count<{ n: string }[]>({ n: '*' });
      return Number(r[0]?.n ?? 0) >= expected ? true : undefined;
    },
    { timeoutMs: 60_000, what: `${expected} processed observations for ${group}` },
  );
}

export async function cleanupTopics(kafka: KafkaClient, topics: TestTopics | undefined): Promise<void> {
  if (topics) await deleteTestTopics(kafka, topics.all).catch(() => undefined);
}

/** Master datasets in a form independent of master ids and processing order. */
export async function canonicalState(db: Knex): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [type, table] of [
    ['citizen', 'citizens'],
    ['business', 'businesses'],
    ['dossier', 'dossiers'],
  ] as const) {
    const masters = await db(table)
      .where('status', 'ACTIVE')
      .select<{ master_id: string; golden: Record<string, unknown> }[]>('master_id', 'golden');
    const sources = await db('source_records').where('entity_type', type).select<
      {
        master_id: string;
        source_system: string;
        source_record_id: string;
      }[]
    >('master_id', 'source_system', 'source_record_id');
    out[type] = masters
      .map((m) => {
        const {
          mergedFrom: _m,
          representativeMasterId: _r,
          parentMasterId: _p,
          applicantMasterId: _a,
          ...golden
        } = m.golden;
        const cluster = sources
          .filter((s) => s.master_id === m.master_id)
          .map((s) => `${s.source_system}/${s.source_record_id}`)
          .sort();
        return JSON.stringify({ cluster, golden });
      })
      .sort();
  }
  return out;
}
