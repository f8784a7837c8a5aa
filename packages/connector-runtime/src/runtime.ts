import { z } from 'zod';
import { commaList } from '@hub/config';
import {
  createKafkaClient,
  ensureTopics,
  KAFKA_COMPRESSIONS,
  probeKafka,
  SchemaRegistry,
  type KafkaClient,
} from '@hub/kafka';
import type { Logger } from '@hub/log';
import { errorMessage } from '@hub/errors';
import { createConnectorDb, ensureDatabase, type Db } from './db/connection.js';
import { assertSchemaVersion, migrateConnectorDb } from './db/migrate.js';
import { CursorStore } from './db/cursor-store.js';
import { Mapper } from './mapping/engine.js';
import { DEFAULT_TOPICS } from './mapping/targets.js';
import { ConnectorMetrics } from './metrics.js';
import { createOpsServer } from './ops-server.js';
import { PollingConnector, type ConnectorInstance, type PollSource } from './polling.js';
import { ObservationSink } from './sink.js';
import { StatusTracker } from './status.js';
import type { ConnectorBaseConfig } from './config/schema.js';

export const STATUS_TOPIC = 'hub.connector-status';

/** Environment every connector process reads (its own keys come on top). */
export const RuntimeEnvShape = {
  KAFKA_BROKERS: z.string().min(1).transform(commaList),
  /** Compression of the observation batches sent to Kafka (gzip: far less broker CPU per record). */
  KAFKA_COMPRESSION: z.enum(KAFKA_COMPRESSIONS).default('gzip'),
  SCHEMA_REGISTRY_URL: z.string().url(),
  /** The connectors' own database (cursors, known keys, file ledger, idempotency keys). */
  CONNECTOR_DATABASE_URL: z.string().url(),
  /** Configuration files or folders, comma-separated. */
  CONNECTOR_CONFIG: z.string().min(1).transform(commaList),
  OPS_PORT: z.coerce.number().int().min(0).max(65535),
  OPS_HOST: z.string().default('0.0.0.0'),
  /** Bearer token for POST /connectors/<id>/pause|resume; unset = those endpoints refuse. */
  OPS_TOKEN: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Register missing schemas at start (development only). */
  REGISTER_SCHEMAS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Create the dlq.<connector-id> topics at start. */
  ENSURE_TOPICS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  /** Heartbeat topic; only tests and isolated demos change it. */
  CONNECTOR_STATUS_TOPIC: z.string().min(1).default('hub.connector-status'),
};
export const RuntimeEnvSchema = z.object(RuntimeEnvShape);
export type RuntimeEnv = z.infer<typeof RuntimeEnvSchema>;

export interface RuntimeDeps {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly db: Db;
  readonly cursors: CursorStore;
  readonly metrics: ConnectorMetrics;
  readonly logger: Logger;
  readonly registerSchemas: boolean;
  /** Heartbeat topic when not `hub.connector-status` (CONNECTOR_STATUS_TOPIC). */
  readonly statusTopic?: string;
}

export function topicsFor(config: ConnectorBaseConfig): {
  observations: string;
  deadLetter: string;
  status: string;
} {
  return {
    observations: config.topics.observations ?? DEFAULT_TOPICS[config.mapping.entity],
    deadLetter: config.topics.deadLetter ?? `dlq.${config.id}`,
    status: STATUS_TOPIC,
  };
}

/** The sink, mapper and status of one configured connector. */
export function connectorParts(
  config: ConnectorBaseConfig,
  deps: Pick<RuntimeDeps, 'kafka' | 'registry' | 'metrics' | 'registerSchemas'> & { logger?: Logger },
  statusTopic = STATUS_TOPIC,
) {
  const topics = { ...topicsFor(config), status: statusTopic };
  const sink = new ObservationSink({
    kafka: deps.kafka,
    registry: deps.registry,
    entity: config.mapping.entity,
    topics,
    connectorId: config.id,
    connectorKind: config.kind,
    sourceSystem: config.source.system,
    registerSchemas: deps.registerSchemas,
    ...(deps.logger ? { logger: deps.logger.child({ component: 'sink', connectorId: config.id }) } : {}),
  });
  const mapper = new Mapper(config.mapping, {
    system: config.source.system,
    connectorId: config.id,
    agencyCode: config.source.agencyCode ?? null,
  });
  const status = new StatusTracker(config.id, config.kind, config.source.system, deps.metrics);
  return { sink, mapper, status, topics };
}

/** A polling connector assembled from its configuration and its source. */
export function buildPollingConnector(
  config: ConnectorBaseConfig,
  source: PollSource,
  deps: RuntimeDeps,
  extra: {
    deleteComparisonIntervalMs?: number;
    statusTopic?: string;
    retry?: { baseMs: number; maxMs: number };
  } = {},
): PollingConnector {
  const { sink, mapper, status } = connectorParts(config, deps, extra.statusTopic ?? deps.statusTopic);
  return new PollingConnector({
    id: config.id,
    source,
    sink,
    cursors: deps.cursors,
    mapper,
    status,
    metrics: deps.metrics,
    logger: deps.logger.child({ component: 'connector', connectorId: config.id }),
    batchSize: config.batchSize,
    pollIntervalMs: config.pollIntervalMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    countIntervalMs: config.countIntervalMs,
    ...(extra.deleteComparisonIntervalMs === undefined
      ? {}
      : { deleteComparisonIntervalMs: extra.deleteComparisonIntervalMs }),
    ...(extra.retry ? { retry: extra.retry } : {}),
  });
}

/** Create `dlq.<id>` for each connector: kept forever, replayable (ARCHITECTURE.md §3). */
export async function ensureDeadLetterTopics(
  kafka: KafkaClient,
  configs: readonly ConnectorBaseConfig[],
  replicationFactor = 1,
): Promise<void> {
  await ensureTopics(
    kafka,
    configs.map((c) => ({
      name: topicsFor(c).deadLetter,
      partitions: 1,
      replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
      description: `Records connector ${c.id} could not turn into observations`,
    })),
  );
}

export function createRuntimeDeps(env: RuntimeEnv, logger: Logger, clientId: string): RuntimeDeps {
  const kafka = createKafkaClient({
    brokers: env.KAFKA_BROKERS,
    clientId,
    logger,
    compression: env.KAFKA_COMPRESSION,
  });
  const registry = new SchemaRegistry(env.SCHEMA_REGISTRY_URL);
  const db = createConnectorDb(env.CONNECTOR_DATABASE_URL);
  return {
    kafka,
    registry,
    db,
    cursors: new CursorStore(db),
    metrics: new ConnectorMetrics(undefined, { defaultMetrics: true }),
    logger,
    registerSchemas: env.REGISTER_SCHEMAS,
    ...(env.CONNECTOR_STATUS_TOPIC === STATUS_TOPIC ? {} : { statusTopic: env.CONNECTOR_STATUS_TOPIC }),
  };
}

/**
 * The commands every connector deployable understands besides `run`:
 * `migrate` (create the database and tables), `cursor show [id]`, `cursor reset <id> [cursor-json]`.
 * Returns true when it handled the command.
 */
export async function runAdminCommand(
  argv: readonly string[],
  env: Pick<RuntimeEnv, 'CONNECTOR_DATABASE_URL'>,
  print: (line: string) => void,
): Promise<boolean> {
  const [command, sub, id, value] = argv;
  if (command === 'migrate') {
    await ensureDatabase(env.CONNECTOR_DATABASE_URL);
    const db = createConnectorDb(env.CONNECTOR_DATABASE_URL);
    try {
      print(`connector database migrated to schema version ${await migrateConnectorDb(db)}`);
    } finally {
      await db.destroy();
    }
    return true;
  }
  if (command !== 'cursor') return false;
  const db = createConnectorDb(env.CONNECTOR_DATABASE_URL);
  try {
    const store = new CursorStore(db);
    if (sub === 'show') {
      for (const v of await store.view(id)) print(JSON.stringify(v));
    } else if (sub === 'reset' && id) {
      await store.reset(id, value ?? null);
      print(`cursor of ${id} reset to ${value ?? 'the start (full snapshot)'}; restart the connector`);
    } else throw new Error('usage: cursor show [connector-id] | cursor reset <connector-id> [cursor-json]');
  } finally {
    await db.destroy();
  }
  return true;
}

export interface RunningProcess {
  readonly instances: readonly ConnectorInstance[];
  readonly opsPort: number;
  stop(): Promise<void>;
}

/**
 * Start connector instances with the ops server, stopping cleanly (finish the batch in hand, final
 * heartbeat, flush producers, close pools) on SIGTERM/SIGINT. Exits 0 after a clean stop, 1 after an error.
 */
export async function startProcess(opts: {
  env: Pick<RuntimeEnv, 'OPS_PORT' | 'OPS_HOST' | 'OPS_TOKEN' | 'KAFKA_BROKERS'>;
  deps: RuntimeDeps;
  instances: readonly ConnectorInstance[];
  extraStop?: () => Promise<void>;
  handleSignals?: boolean;
}): Promise<RunningProcess> {
  const { deps, instances, env } = opts;
  await assertSchemaVersion(deps.db);
  const ops = createOpsServer({
    port: env.OPS_PORT,
    host: env.OPS_HOST,
    registry: deps.metrics.registry,
    instances: () => instances,
    ready: () => probeKafka(env.KAFKA_BROKERS),
    ...(env.OPS_TOKEN ? { token: env.OPS_TOKEN } : {}),
  });
  const opsPort = await ops.start();
  for (const i of instances) await i.start();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await opts.extraStop?.();
      for (const i of instances) await i.stop();
      await ops.stop();
      await deps.db.destroy();
    })());
  if (opts.handleSignals ?? true) {
    const onSignal = (signal: string) => {
      deps.logger.info({ signal }, 'shutdown_requested');
      const deadline = setTimeout(() => process.exit(1), 25_000);
      deadline.unref();
      stop().then(
        () => process.exit(0),
        (e: unknown) => {
          deps.logger.error({ err: errorMessage(e) }, 'shutdown_failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  deps.logger.info({ connectors: instances.map((i) => i.id), opsPort }, 'process_started');
  return { instances, opsPort, stop };
}
