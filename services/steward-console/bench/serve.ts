/**
 * The servers under test, in their own process (so the load generator and the browser do not share
 * their event loop): consolidation's internal HTTP API (its exported `createHttpApp`, no consumer)
 * on the 2M-citizen database, and the steward console (`createStewardConsole`, real Kafka and
 * registry, own topics) on the filled console database, pointed at it. Prints one line
 * `READY {"console":port,"consolidation":port}` once the console has started — which includes the
 * monitor's first sampling round — and stops cleanly on SIGTERM.
 *
 * Env: BENCH_CONSOLE_DB, BENCH_CONSOLIDATION_DB (URLs), BENCH_PREFIX (topic/group prefix), KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Consolidator } from '@hub/consolidation/src/domain/consolidator.js';
import { StewardService } from '@hub/consolidation/src/domain/steward.js';
import { createHttpApp as createConsolidationApp } from '@hub/consolidation/src/http/app.js';
import { KINDS } from '@hub/consolidation/src/kinds.js';
import { createMetrics } from '@hub/consolidation/src/metrics.js';
import { createKafkaClient, ensureTopics, SchemaRegistry } from '@hub/kafka';
import { createLogger, silentLogger } from '@hub/log';
import { ConfigSchema } from '../src/config.js';
import { createDb } from '../src/db/migrations.js';
import { createStewardConsole } from '../src/service.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};

const prefix = env('BENCH_PREFIX');
const logger = process.env.BENCH_LOG
  ? createLogger({ service: 'console-bench', level: 'info' })
  : silentLogger();

// Consolidation's API only (no consumer, no relay), a pool like the service's default.
const consDb = createDb(env('BENCH_CONSOLIDATION_DB'), { max: 10 });
const consolidator = new Consolidator({
  kinds: KINDS,
  authorities: {
    identity: ['population', 'civil-status'],
    residence: ['population'],
    civilStatus: ['civil-status'],
  },
  matching: {
    thresholds: { citizen: { upper: 22, lower: 12 }, business: { upper: 20, lower: 12 } },
    maxCandidates: 200,
  },
});
const consApp = createConsolidationApp({
  db: consDb,
  steward: new StewardService(consolidator, KINDS),
  metrics: createMetrics(),
  logger,
  ready: () => Promise.resolve({ ok: true, checks: {} }),
});
const consServer: Server = await new Promise((resolve) => {
  const s = consApp.listen(0, '127.0.0.1', () => resolve(s));
});
const consPort = (consServer.address() as AddressInfo).port;

const topics = {
  status: `${prefix}.connector-status`,
  dossier: `${prefix}.master-dossier`,
  dlqPrefix: `${prefix}.dlq.`,
  ownDlq: `${prefix}.dlq.steward-console`,
};
const brokers = env('KAFKA_BROKERS');
const kafka = createKafkaClient({ brokers: brokers.split(','), clientId: prefix });
await ensureTopics(
  kafka,
  [topics.status, topics.dossier, topics.ownDlq].map((name) => ({
    name,
    partitions: 1,
    replicationFactor: 1,
    config: {},
  })),
);
const config = ConfigSchema.parse({
  HTTP_PORT: '0',
  DATABASE_URL: env('BENCH_CONSOLE_DB'),
  KAFKA_BROKERS: brokers,
  SCHEMA_REGISTRY_URL: env('SCHEMA_REGISTRY_URL'),
  CONSUMER_GROUP_PREFIX: prefix,
  TOPIC_CONNECTOR_STATUS: topics.status,
  TOPIC_MASTER_DOSSIER: topics.dossier,
  DLQ_TOPIC_PREFIX: topics.dlqPrefix,
  TOPIC_OWN_DLQ: topics.ownDlq,
  CONSOLIDATION_URL: `http://127.0.0.1:${consPort}`,
});
const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
const app = createStewardConsole({
  config,
  logger,
  db,
  kafka,
  registry: new SchemaRegistry(config.SCHEMA_REGISTRY_URL),
  includeGroup: (g) => g.startsWith(prefix),
});
const t0 = performance.now();
await app.start();
const startMs = performance.now() - t0;
process.stdout.write(
  `READY ${JSON.stringify({ console: app.port(), consolidation: consPort, startMs, health: app.health() })}\n`,
);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await app.stop();
    await new Promise<void>((r) => {
      consServer.close(() => r());
      consServer.closeAllConnections();
    });
    await db.destroy();
    await consDb.destroy();
    process.exit(0);
  })();
});
