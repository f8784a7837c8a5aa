import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { catalog, type BusinessGoldenInput, type CitizenGoldenInput, type DossierGoldenInput } from '@hub/schemas';
import { createKafkaClient, deleteTestTopics, ensureTopics, Publisher, SchemaRegistry, TombstoneWriter, type KafkaClient } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { uniqueName } from '@hub/testing';
import { ConfigSchema, type Config } from './config.js';
import { createDb, migrateLatest } from './db/migrations.js';
import { createDatasetsApi, type DatasetsApi } from './service.js';

export const endpoints = inject('endpoints');

/** A fresh, migrated database per test file; dropped at the end. Refuses names without "test". */
export async function createTestDatabase(): Promise<{ url: string; db: Knex; drop: () => Promise<void> }> {
  const name = `datasets_api_test_${randomBytes(4).toString('hex')}`;
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
  readonly citizen: string;
  readonly business: string;
  readonly dossier: string;
  readonly dlq: string;
}

export async function createTopics(kafka: KafkaClient, partitions = 2): Promise<TestTopics> {
  const t = { citizen: uniqueName('dsapi.citizen'), business: uniqueName('dsapi.business'), dossier: uniqueName('dsapi.dossier'), dlq: uniqueName('dsapi.dlq') };
  await ensureTopics(
    kafka,
    Object.values(t).map((name) => ({ name, partitions: name === t.dlq ? 1 : partitions, replicationFactor: 1, config: {} })),
  );
  return t;
}

export function testConfig(url: string, topics: TestTopics, env: Record<string, string> = {}): Config {
  return ConfigSchema.parse({
    HTTP_PORT: '0',
    DATABASE_URL: url,
    KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
    CONSUMER_GROUP: uniqueName('datasets-api.read-model'),
    TOPIC_MASTER_CITIZEN: topics.citizen,
    TOPIC_MASTER_BUSINESS: topics.business,
    TOPIC_MASTER_DOSSIER: topics.dossier,
    TOPIC_DLQ: topics.dlq,
    BATCH_MAX_MESSAGES: '50',
    ...env,
  });
}

export function kafkaClient(id: string): { kafka: KafkaClient; registry: SchemaRegistry } {
  return { kafka: createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: id }), registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL) };
}

export async function startApi(config: Config, db: Knex, kafka: KafkaClient, registry: SchemaRegistry): Promise<DatasetsApi & { url: string }> {
  const api = createDatasetsApi({ config, logger: silentLogger(), db, kafka, registry });
  await api.start();
  return Object.assign(api, { url: `http://127.0.0.1:${api.port()}` });
}

/** Publishes golden records and tombstones onto the test topics, as the consolidation's outbox does. */
export async function goldenPublisher(kafka: KafkaClient, registry: SchemaRegistry, topics: TestTopics) {
  const cat = catalog();
  const publisher = new Publisher({
    kafka,
    registry,
    registerSchemas: true,
    outputs: {
      citizen: { topic: topics.citizen, subject: 'master.citizen-value', schema: cat.forTopic('master.citizen') },
      business: { topic: topics.business, subject: 'master.business-value', schema: cat.forTopic('master.business') },
      dossier: { topic: topics.dossier, subject: 'master.dossier-value', schema: cat.forTopic('master.dossier') },
    },
  });
  const tombstones = new TombstoneWriter(kafka);
  await publisher.start();
  await tombstones.start();
  return {
    citizen: (v: CitizenGoldenInput) => publisher.publish('citizen', v, { key: v.masterId }),
    business: (v: BusinessGoldenInput) => publisher.publish('business', v, { key: v.masterId }),
    dossier: (v: DossierGoldenInput) => publisher.publish('dossier', v, { key: v.masterId }),
    tombstone: (topic: string, key: string, version?: number) =>
      tombstones.write(topic, [{ key, ...(version === undefined ? {} : { headers: { 'hub-master-version': String(version) } }) }]),
    stop: async () => {
      await publisher.stop();
      await tombstones.stop();
    },
  };
}

export async function dropTopics(kafka: KafkaClient, topics: TestTopics): Promise<void> {
  await deleteTestTopics(kafka, Object.values(topics)).catch(() => undefined);
}

const T0 = Date.UTC(2025, 7, 1, 8, 0, 0);

/** Deterministic golden records. */
export function aCitizen(over: Partial<CitizenGoldenInput> & { masterId: string; version?: number }): CitizenGoldenInput {
  const version = over.version ?? 1;
  return {
    eventId: `${over.masterId}:${version}`,
    occurredAt: T0 + version * 1000,
    change: version === 1 ? 'CREATED' : 'UPDATED',
    personalId: '008185000123',
    aliases: ['012345678'],
    fullName: 'Nguyễn Thị Thuỷ',
    dateOfBirth: { year: 1985, month: 3, day: 12, precision: 'DAY' },
    sex: 'FEMALE',
    ethnicity: 'Tày',
    nationality: 'VN',
    permanentAddress: { provinceCode: '08', communeCode: '02215', currentCommuneCodes: ['02215'], detail: 'Tổ 5', text: 'Tổ 5, phường Minh Xuân' },
    currentAddress: null,
    deceased: false,
    sources: [{ system: 'population', recordId: `pop-${over.masterId}` }],
    mergedFrom: [],
    ...over,
    version,
  };
}

export function aBusiness(over: Partial<BusinessGoldenInput> & { masterId: string; version?: number }): BusinessGoldenInput {
  const version = over.version ?? 1;
  return {
    eventId: `${over.masterId}:${version}`,
    occurredAt: T0 + version * 1000,
    change: version === 1 ? 'CREATED' : 'UPDATED',
    enterpriseCode: '0100233488',
    kind: 'ENTERPRISE',
    name: 'Công ty TNHH Chè Tân Trào',
    legalForm: 'TNHH',
    status: 'ACTIVE',
    address: { provinceCode: '08', communeCode: '02215', currentCommuneCodes: ['02215'] },
    representativeMasterId: null,
    registeredOn: 19_000,
    industryCodes: ['0127'],
    sources: [{ system: 'business-registry', recordId: `br-${over.masterId}` }],
    ...over,
    version,
  };
}

export function aDossier(over: Partial<DossierGoldenInput> & { masterId: string; version?: number }): DossierGoldenInput {
  const version = over.version ?? 1;
  return {
    eventId: `${over.masterId}:${version}`,
    occurredAt: T0 + version * 1000,
    change: version === 1 ? 'CREATED' : 'UPDATED',
    dossierCode: '000.00.01.H60-250715-0001',
    procedureCode: '1.001234',
    receivingAgencyCode: '000.00.01.H60',
    applicantMasterId: null,
    applicantKind: 'CITIZEN',
    channel: 'ONLINE',
    receivedAt: Date.UTC(2025, 6, 15, 9, 0, 0),
    dueAt: Date.UTC(2025, 6, 22, 17, 0, 0),
    status: 'RECEIVED',
    timeline: [{ status: 'RECEIVED', at: Date.UTC(2025, 6, 15, 9, 0, 0) }],
    sources: [{ system: 'one-stop', recordId: `os-${over.masterId}` }],
    ...over,
    version,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked with expect() in the tests
export type Json = any;

/** GET with an API key; returns status, headers and parsed body. */
export async function get(url: string, key?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual', headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    /* not JSON (HTML, metrics) */
  }
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see Json
  return { status: res.status, body: body as Json, headers: res.headers };
}

export { silentLogger };
