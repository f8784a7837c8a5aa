import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import {
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  Publisher,
  SchemaRegistry,
  type KafkaClient,
} from '@hub/kafka';
import { catalog, type ConnectorStatusInput } from '@hub/schemas';
import { eventually, uniqueName } from '@hub/testing';

export const endpoints = inject('endpoints');
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const HUB_BIN = join(ROOT, 'tools/hub-cli/dist/main.js');
const CONSOLE = join(ROOT, 'services/steward-console/dist');
export const PASSWORD = 'mật-khẩu-thử-nghiệm-cli';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a node script as a process (the real binaries), with stdin and a deadline. */
export function runNode(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => done(port));
    });
  });
}

export interface ConsoleProcess {
  readonly url: string;
  readonly kafka: KafkaClient;
  readonly topics: {
    readonly status: string;
    readonly dlqPrefix: string;
    readonly connectorDlq: string;
    readonly source: string;
    readonly all: string[];
  };
  /** Runs `hub-steward-console` (dist/cli.js) against the test database. */
  consoleCli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  heartbeat(input: Partial<ConnectorStatusInput> & { connectorId: string }): Promise<void>;
  stop(): Promise<void>;
}

export const CONNECTOR = 'test-civil-status';

/**
 * The steward console as operators run it: its built `main.js` as a process, on a fresh database
 * (migrated with its own `migrate` command) and test topics under a unique prefix.
 */
export async function startConsole(): Promise<ConsoleProcess> {
  for (const f of ['main.js', 'cli.js', 'db/migrations/0002-api-tokens.js']) {
    if (!existsSync(join(CONSOLE, f)))
      throw new Error(
        `services/steward-console/dist/${f} is missing: build the console first (npm run build -w @hub/steward-console)`,
      );
  }
  if (!existsSync(HUB_BIN))
    throw new Error('tools/hub-cli/dist/main.js is missing: npm run build -w @hub/cli');
  const prefix = uniqueName('hubcli');
  const dlqPrefix = `${prefix}.dlq.`;
  const topics = {
    status: `${prefix}.connector-status`,
    dossier: `${prefix}.master-dossier`,
    dlqPrefix,
    ownDlq: `${dlqPrefix}steward-console`,
    connectorDlq: `${dlqPrefix}${CONNECTOR}`,
    source: `${prefix}.obs-citizen`,
    all: [] as string[],
  };
  topics.all.push(topics.status, topics.dossier, topics.ownDlq, topics.connectorDlq, topics.source);
  const kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: prefix });
  await ensureTopics(
    kafka,
    topics.all.map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })),
  );
  const registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  const cat = catalog();
  await registry.register('hub.connector-status-value', cat.forTopic('hub.connector-status'));

  const dbName = `hub_cli_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: endpoints.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(endpoints.DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HTTP_PORT: String(port),
    DATABASE_URL: dbUrl.toString(),
    KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
    CONSUMER_GROUP_PREFIX: prefix,
    KAFKA_CLIENT_ID: prefix,
    TOPIC_CONNECTOR_STATUS: topics.status,
    TOPIC_MASTER_DOSSIER: topics.dossier,
    DLQ_TOPIC_PREFIX: dlqPrefix,
    TOPIC_OWN_DLQ: topics.ownDlq,
    SAMPLE_INTERVAL_MS: '500',
    DLQ_DISCOVERY_INTERVAL_MS: '500',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  };
  const consoleCli = (args: readonly string[], extra: NodeJS.ProcessEnv = {}) =>
    runNode(join(CONSOLE, 'cli.js'), args, { ...env, ...extra });
  const migrated = await consoleCli(['migrate']);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);

  const child: ChildProcess = spawn(process.execPath, [join(CONSOLE, 'main.js')], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    { timeoutMs: 60_000, what: 'the console /readyz' },
  );

  const publisher = new Publisher({
    kafka,
    registry,
    outputs: {
      status: {
        topic: topics.status,
        subject: 'hub.connector-status-value',
        schema: cat.forTopic('hub.connector-status'),
      },
    },
  });
  await publisher.start();
  return {
    url,
    kafka,
    topics,
    consoleCli,
    async heartbeat(input) {
      const event: ConnectorStatusInput = {
        eventId: randomUUID(),
        occurredAt: Date.now(),
        connectorKind: 'sql-poll',
        sourceSystem: 'civil-status',
        instanceId: 'test:1',
        state: 'RUNNING',
        ...input,
      };
      await publisher.publish('status', event, { key: input.connectorId });
    },
    async stop() {
      await publisher.stop();
      child.kill('SIGTERM');
      await exited;
      await deleteTestTopics(kafka, topics.all).catch(() => undefined);
      if (!dbName.includes('test')) throw new Error('refusing to drop a database without "test" in its name');
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    },
  };
}
