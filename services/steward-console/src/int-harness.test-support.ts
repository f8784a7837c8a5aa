import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { catalog } from '@hub/schemas';
import { createKafkaClient, deleteTestTopics, ensureTopics, SchemaRegistry, type KafkaClient } from '@hub/kafka';
import { createLogger, silentLogger } from '@hub/log';
import { uniqueName } from '@hub/testing';
import { ConfigSchema } from './config.js';
import { startContractServer, type ContractServer } from './consolidation/contract-server.test-support.js';
import { AccessRepository } from './db/access.repository.js';
import { createDb, migrateLatest } from './db/migrations.js';
import { hashPassword, type Role } from './domain/access.js';
import { createStewardConsole, type StewardConsole } from './service.js';

export const endpoints = inject('endpoints');
export const PASSWORD = 'mật-khẩu-thử-nghiệm';

/** A fresh database per file, migrated; dropped at the end. Refuses names without "test". */
export async function createTestDatabase(): Promise<{ url: string; db: Knex; drop: () => Promise<void> }> {
  const name = `steward_console_test_${randomBytes(4).toString('hex')}`;
  const admin = createDb(endpoints.DATABASE_URL, { max: 1 });
  await admin.raw(`create database ${name}`);
  const url = new URL(endpoints.DATABASE_URL);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 10 });
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

/** Receives alert webhooks (a real HTTP server at the network edge). */
export async function startWebhook(): Promise<{ url: string; received: Record<string, unknown>[]; close: () => Promise<void> }> {
  const received: Record<string, unknown>[] = [];
  const app = express();
  app.use(express.json());
  app.post('/hook', (req, res) => {
    received.push(req.body as Record<string, unknown>);
    res.status(204).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

export interface TestTopics {
  readonly prefix: string;
  readonly status: string;
  readonly dossier: string;
  readonly dlqPrefix: string;
  readonly ownDlq: string;
  /** A connector's dead-letter topic and the topic its records came from. */
  readonly connectorDlq: string;
  readonly source: string;
  readonly all: string[];
}

export interface Harness {
  readonly console: StewardConsole;
  readonly base: string;
  readonly db: Knex;
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly topics: TestTopics;
  readonly contract: ContractServer;
  readonly webhook: Awaited<ReturnType<typeof startWebhook>>;
  stop(): Promise<void>;
}

export const CONNECTOR = 'civil-status-db';

export async function startHarness(opts: { heartbeatTimeoutSeconds?: number; consolidation?: boolean } = {}): Promise<Harness> {
  const prefix = uniqueName('console');
  const dlqPrefix = `${prefix}.dlq.`;
  const topics: TestTopics = {
    prefix,
    status: `${prefix}.connector-status`,
    dossier: `${prefix}.master-dossier`,
    dlqPrefix,
    ownDlq: `${dlqPrefix}steward-console`,
    connectorDlq: `${dlqPrefix}${CONNECTOR}`,
    source: `${prefix}.obs-citizen`,
    all: [],
  };
  topics.all.push(topics.status, topics.dossier, topics.ownDlq, topics.connectorDlq, topics.source);
  const kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: prefix });
  const registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  await ensureTopics(kafka, topics.all.map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })));
  const cat = catalog();
  await registry.register('hub.connector-status-value', cat.forTopic('hub.connector-status'));
  await registry.register('master.dossier-value', cat.forTopic('master.dossier'));
  const database = await createTestDatabase();
  const contract = await startContractServer();
  const webhook = await startWebhook();
  const config = ConfigSchema.parse({
    HTTP_PORT: '0',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
    CONSUMER_GROUP_PREFIX: prefix,
    TOPIC_CONNECTOR_STATUS: topics.status,
    TOPIC_MASTER_DOSSIER: topics.dossier,
    DLQ_TOPIC_PREFIX: dlqPrefix,
    TOPIC_OWN_DLQ: topics.ownDlq,
    HEARTBEAT_TIMEOUT_SECONDS: String(opts.heartbeatTimeoutSeconds ?? 4),
    SOURCE_SLOS: JSON.stringify({ 'civil-status': { freshnessMinutes: 60 } }),
    SAMPLE_INTERVAL_MS: '500',
    DLQ_DISCOVERY_INTERVAL_MS: '500',
    ALERT_WEBHOOK_URL: webhook.url,
    ...(opts.consolidation === false ? {} : { CONSOLIDATION_URL: contract.url }),
  });
  const logger = process.env.TEST_LOG_LEVEL ? createLogger({ service: 'steward-console-test', level: 'debug' }) : silentLogger();
  const app = createStewardConsole({ config, logger, db: database.db, kafka, registry, includeGroup: (g) => g.startsWith(prefix), sessionTimeoutMs: 10_000 });
  await app.start();
  const access = new AccessRepository(database.db);
  const hash = await hashPassword(PASSWORD);
  for (const role of ['viewer', 'steward', 'admin'] as Role[]) await access.createUser({ username: role, displayName: `Cán bộ ${role}`, role, passwordHash: hash });
  return {
    console: app,
    base: `http://127.0.0.1:${app.port()}`,
    db: database.db,
    kafka,
    registry,
    topics,
    contract,
    webhook,
    async stop() {
      await app.stop();
      await contract.close();
      await webhook.close();
      await deleteTestTopics(kafka, topics.all).catch(() => undefined);
      await database.drop();
    },
  };
}

/** A logged-in API client: session cookie plus the CSRF token for state-changing calls. */
export interface ApiClient {
  get(path: string): Promise<Response>;
  post(path: string, body: unknown, opts?: { csrf?: boolean }): Promise<Response>;
  readonly csrf: string;
}

export async function login(base: string, username: string, password = PASSWORD): Promise<ApiClient> {
  const form = await fetch(`${base}/login`);
  const loginCookie = (form.headers.getSetCookie().find((c) => c.startsWith('hub_console_login_csrf=')) ?? '').split(';')[0] ?? '';
  const csrf = decodeURIComponent(loginCookie.split('=')[1] ?? '');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ username, password, _csrf: csrf, next: '/' }).toString(),
  });
  if (res.status !== 303) throw new Error(`login as ${username} failed: ${res.status}`);
  const session = (res.headers.getSetCookie().find((c) => c.startsWith('hub_console_session=')) ?? '').split(';')[0] ?? '';
  const me = (await (await fetch(`${base}/api/session`, { headers: { cookie: session } })).json()) as { csrfToken: string };
  return {
    csrf: me.csrfToken,
    get: (path) => fetch(`${base}${path}`, { headers: { cookie: session, accept: 'application/json' }, redirect: 'manual' }),
    post: (path, body, o = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: session, 'content-type': 'application/json', accept: 'application/json', ...(o.csrf === false ? {} : { 'x-csrf-token': me.csrfToken }) },
        body: JSON.stringify(body),
      }),
  };
}

