import type { Server } from 'node:http';
import type { Knex } from 'knex';
import { catalog } from '@hub/schemas';
import {
  BatchConsumer,
  DeadLetterWriter,
  Publisher,
  TombstoneWriter,
  type ConsumedBatch,
  type KafkaClient,
  type SchemaRegistry,
} from '@hub/kafka';
import type { Logger } from '@hub/log';
import type { Config } from './config.js';
import { createObservationHandler } from './consumers/observations.consumer.js';
import { Consolidator } from './domain/consolidator.js';
import { StewardService } from './domain/steward.js';
import type { EntityType, Observation } from './domain/types.js';
import { checkSchemaVersion } from './db/migrations.js';
import { checkDatabaseMaintenance } from './db/maintenance.js';
import { storedOffsets } from './db/offsets.repository.js';
import { createHttpApp } from './http/app.js';
import { KINDS } from './kinds.js';
import { createMetrics, type Metrics } from './metrics.js';
import { OutboxRelay, type MasterOutputs } from './outbox/relay.js';

export type ServiceConfig = Pick<
  Config,
  | 'HTTP_PORT'
  | 'CONSUMER_GROUP'
  | 'TOPIC_OBS_CITIZEN'
  | 'TOPIC_OBS_BUSINESS'
  | 'TOPIC_OBS_DOSSIER'
  | 'TOPIC_MASTER_CITIZEN'
  | 'TOPIC_MASTER_BUSINESS'
  | 'TOPIC_MASTER_DOSSIER'
  | 'TOPIC_DLQ'
  | 'BATCH_MAX_MESSAGES'
  | 'CONSUMER_PARTITIONS_CONCURRENTLY'
  | 'MATCH_CITIZEN_UPPER'
  | 'MATCH_CITIZEN_LOWER'
  | 'MATCH_BUSINESS_UPPER'
  | 'MATCH_BUSINESS_LOWER'
  | 'MATCH_MAX_CANDIDATES'
  | 'SURVIVORSHIP_AUTHORITIES'
  | 'OUTBOX_POLL_MS'
> &
  /** HTTP API exposure: loopback and no token when absent (tests). */
  Partial<Pick<Config, 'HTTP_HOST' | 'INTERNAL_API_TOKEN'>>;

export interface ConsolidationDeps {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly db: Knex;
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly metrics?: Metrics;
  /** Register master.* schemas at start (tests); production registers them with `npm run schemas:register`. */
  readonly registerSchemas?: boolean;
  /** Run the HTTP API (tests may leave it off). */
  readonly http?: boolean;
  /** Run the outbox relay in this instance. */
  readonly relay?: boolean;
  readonly beforeCommit?: (batch: ConsumedBatch<Observation>) => Promise<void>;
  readonly sessionTimeoutMs?: number;
  /** The consumer was given up for good by the Kafka client: exit, so that the supervisor restarts us. */
  readonly onFatal?: (error: Error) => void;
}

/** The consolidation service: consumer → PostgreSQL (one transaction per batch) → outbox → master.*. */
export function createConsolidation(deps: ConsolidationDeps) {
  const { config, logger, db, kafka, registry } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const cat = catalog();
  const consolidator = new Consolidator({
    kinds: KINDS,
    authorities: config.SURVIVORSHIP_AUTHORITIES,
    matching: {
      thresholds: {
        citizen: { upper: config.MATCH_CITIZEN_UPPER, lower: config.MATCH_CITIZEN_LOWER },
        business: { upper: config.MATCH_BUSINESS_UPPER, lower: config.MATCH_BUSINESS_LOWER },
      },
      maxCandidates: config.MATCH_MAX_CANDIDATES,
    },
  });
  const topicTypes = new Map<string, EntityType>([
    [config.TOPIC_OBS_CITIZEN, 'citizen'],
    [config.TOPIC_OBS_BUSINESS, 'business'],
    [config.TOPIC_OBS_DOSSIER, 'dossier'],
  ]);
  const consumer = new BatchConsumer<Observation>({
    kafka,
    registry,
    groupId: config.CONSUMER_GROUP,
    inputs: [
      { topic: config.TOPIC_OBS_CITIZEN, schema: cat.forTopic('obs.citizen'), subject: 'obs.citizen-value' },
      {
        topic: config.TOPIC_OBS_BUSINESS,
        schema: cat.forTopic('obs.business'),
        subject: 'obs.business-value',
      },
      { topic: config.TOPIC_OBS_DOSSIER, schema: cat.forTopic('obs.dossier'), subject: 'obs.dossier-value' },
    ],
    deadLetters: new DeadLetterWriter(kafka, config.TOPIC_DLQ),
    committedOffsets: (topic, partitions) => storedOffsets(db, config.CONSUMER_GROUP, topic, partitions),
    handleBatch: createObservationHandler({
      db,
      consolidator,
      kinds: KINDS,
      groupId: config.CONSUMER_GROUP,
      topicTypes,
      metrics,
      logger: logger.child({ component: 'observations' }),
      ...(deps.beforeCommit ? { beforeCommit: deps.beforeCommit } : {}),
      // Golden records leave through the outbox as soon as their batch commits, not at the next poll.
      afterCommit: () => {
        if (deps.relay !== false) relay.nudge();
      },
    }),
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
    logger,
    maxBatchMessages: config.BATCH_MAX_MESSAGES,
    partitionsConsumedConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
    ...(deps.sessionTimeoutMs ? { sessionTimeoutMs: deps.sessionTimeoutMs } : {}),
  });
  const outputs: MasterOutputs = {
    citizen: { topic: config.TOPIC_MASTER_CITIZEN, schema: cat.forTopic('master.citizen') },
    business: { topic: config.TOPIC_MASTER_BUSINESS, schema: cat.forTopic('master.business') },
    dossier: { topic: config.TOPIC_MASTER_DOSSIER, schema: cat.forTopic('master.dossier') },
  };
  const publisher = new Publisher({
    kafka,
    registry,
    outputs,
    registerSchemas: deps.registerSchemas ?? false,
    logger: logger.child({ component: 'outbox' }),
  });
  const tombstones = new TombstoneWriter(kafka);
  const relay = new OutboxRelay({
    db,
    publisher,
    tombstones,
    outputs,
    metrics,
    logger: logger.child({ component: 'outbox' }),
    pollMs: config.OUTBOX_POLL_MS,
  });
  const steward = new StewardService(consolidator, KINDS);
  let server: Server | undefined;
  let consumerRun: Promise<void> | undefined;
  let stopping = false;

  const ready = async () => {
    const dbOk = await db
      .raw('select 1')
      .then(() => true)
      .catch(() => false);
    const c = consumer.health();
    const checks = { database: dbOk, consumer: c, relay: deps.relay === false ? 'off' : relay.health() };
    return { ok: !stopping && dbOk && c.ok && c.assignedPartitions.length > 0, checks };
  };

  return {
    consolidator,
    consumer,
    relay,
    steward,
    metrics,
    async start(): Promise<void> {
      await checkSchemaVersion(db);
      await checkDatabaseMaintenance(db, logger);
      if (deps.relay !== false) {
        await publisher.start();
        await tombstones.start();
        await relay.start();
      }
      if (deps.http !== false) {
        const app = createHttpApp({
          db,
          steward,
          metrics,
          logger,
          ready,
          ...(config.INTERNAL_API_TOKEN ? { apiToken: config.INTERNAL_API_TOKEN } : {}),
        });
        await new Promise<void>((resolve) => {
          server = app.listen(config.HTTP_PORT, config.HTTP_HOST ?? '127.0.0.1', () => resolve());
        });
        if (!config.INTERNAL_API_TOKEN)
          logger.warn({ host: config.HTTP_HOST ?? '127.0.0.1' }, 'internal_api_unauthenticated');
      }
      consumerRun = consumer.start();
      await consumerRun;
      logger.info({ group: config.CONSUMER_GROUP }, 'consolidation_started');
    },
    /** Not ready → stop HTTP intake → finish the batch in hand and leave the group → drain outbox → close producers. */
    async stop(): Promise<void> {
      stopping = true;
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await consumer.stop();
      if (deps.relay !== false) {
        await relay.stop();
        await publisher.stop();
        await tombstones.stop();
      }
      logger.info({}, 'consolidation_stopped');
    },
    httpPort(): number | undefined {
      const a = server?.address();
      return typeof a === 'object' && a ? a.port : undefined;
    },
  };
}

export type Consolidation = ReturnType<typeof createConsolidation>;
