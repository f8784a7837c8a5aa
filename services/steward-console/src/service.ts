import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { errorMessage } from '@hub/errors';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { DeadLetterIndexer } from './bus/dead-letter-indexer.js';
import { Replayer } from './bus/replayer.js';
import type { Config } from './config.js';
import { createConsolidationClient } from './consolidation/client.js';
import { createConnectorStatusConsumer } from './consumers/connector-status.consumer.js';
import { createDossierQualityConsumer } from './consumers/dossier-quality.consumer.js';
import { AccessRepository } from './db/access.repository.js';
import { AlertRepository } from './db/alert.repository.js';
import { DeadLetterRepository } from './db/dead-letter.repository.js';
import { HealthRepository } from './db/health.repository.js';
import { checkSchemaVersion } from './db/migrations.js';
import { QualityRepository } from './db/quality.repository.js';
import { createHttpApp } from './http/app.js';
import type { ConsoleDeps } from './http/deps.js';
import { Metrics } from './metrics.js';
import { HealthMonitor } from './monitor.js';
import { ReplayService } from './replay.service.js';

export interface StewardConsoleOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Knex;
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly now?: () => number;
  /** Which consumer groups' lag to watch (tests narrow it to their own). */
  readonly includeGroup?: (groupId: string) => boolean;
  readonly sessionTimeoutMs?: number;
  readonly defaultMetrics?: boolean;
  /** One of the console's consumers stopped for good (Kafka will not restart it): `main` exits so that the supervisor restarts the console. */
  readonly onFatal?: (error: Error) => void;
}

export interface StewardConsole {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): { ok: boolean; checks: Record<string, unknown> };
  /** The port HTTP listens on (after start). */
  port(): number;
  readonly deps: ConsoleDeps;
}

export function createStewardConsole(o: StewardConsoleOptions): StewardConsole {
  const { config, logger, db, kafka, registry } = o;
  const now = o.now ?? Date.now;
  const metrics = new Metrics({ defaultMetrics: o.defaultMetrics ?? false });
  const health = new HealthRepository(db);
  const deadLetters = new DeadLetterRepository(db);
  const alerts = new AlertRepository(db);
  const quality = new QualityRepository(db);
  const access = new AccessRepository(db);
  const replayer = new Replayer(kafka);
  const prefix = config.CONSUMER_GROUP_PREFIX;
  const session = { ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}), ...(o.onFatal ? { onFatal: o.onFatal } : {}) };
  const statusConsumer = createConnectorStatusConsumer({ kafka, registry, groupId: `${prefix}.connector-status`, topic: config.TOPIC_CONNECTOR_STATUS, deadLetterTopic: config.TOPIC_OWN_DLQ, repository: health, logger, ...session });
  const dossierConsumer = createDossierQualityConsumer({ kafka, registry, groupId: `${prefix}.dossier-quality`, topic: config.TOPIC_MASTER_DOSSIER, deadLetterTopic: config.TOPIC_OWN_DLQ, repository: quality, logger, ...session });
  const indexer = new DeadLetterIndexer({
    kafka,
    groupId: `${prefix}.dead-letters`,
    topicPrefix: config.DLQ_TOPIC_PREFIX,
    discoveryIntervalMs: config.DLQ_DISCOVERY_INTERVAL_MS,
    store: (entries) => deadLetters.store(entries),
    logger: logger.child({ component: 'dead-letter-indexer' }),
    ...session,
  });
  const consolidation = config.CONSOLIDATION_URL ? createConsolidationClient(config.CONSOLIDATION_URL, { token: config.CONSOLIDATION_TOKEN }) : undefined;
  const monitor = new HealthMonitor({ config, kafka, health, deadLetters, alerts, metrics, logger: logger.child({ component: 'monitor' }), now, ...(o.includeGroup ? { includeGroup: o.includeGroup } : {}), ...(consolidation ? { consolidation } : {}) });
  const replays = new ReplayService({ db, deadLetters, access, replayer, metrics, logger });
  let stopping = false;
  let server: Server | undefined;

  const checks = (): Record<string, unknown> => ({
    connectorStatus: statusConsumer.health(),
    dossierQuality: dossierConsumer.health(),
    deadLetterIndexer: indexer.health(),
    lag: monitor.health(),
    replayer: replayer.health(),
  });
  const deps: ConsoleDeps = {
    monitor,
    health,
    deadLetters,
    alerts,
    quality,
    access,
    replays,
    registry,
    consolidation,
    metrics,
    logger: logger.child({ component: 'http' }),
    now,
    sessionTtlMs: config.SESSION_TTL_MINUTES * 60_000,
    apiTokenTtlMs: config.API_TOKEN_TTL_DAYS === 0 ? null : config.API_TOKEN_TTL_DAYS * 86_400_000,
    cookieSecure: config.COOKIE_SECURE,
    webhookConfigured: config.ALERT_WEBHOOK_URL !== undefined,
    ready: async () => {
      const c = checks();
      let database: { ok: boolean; error?: string } = { ok: true };
      try {
        await db.raw('select 1');
      } catch (e) {
        database = { ok: false, error: errorMessage(e) };
      }
      const ok =
        !stopping &&
        database.ok &&
        statusConsumer.health().ok &&
        dossierConsumer.health().ok &&
        indexer.health().ok &&
        replayer.health().ok;
      return { ok, checks: { ...c, database, stopping } };
    },
  };

  return {
    deps,
    async start() {
      await checkSchemaVersion(db);
      await replayer.start();
      await statusConsumer.start();
      await dossierConsumer.start();
      await indexer.start();
      await monitor.start();
      const app = createHttpApp(deps);
      await new Promise<void>((resolve) => {
        server = app.listen(config.HTTP_PORT, () => resolve());
      });
      logger.info({ port: (server?.address() as AddressInfo | null)?.port }, 'steward_console_started');
    },
    async stop() {
      stopping = true;
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await monitor.stop();
      // Each consumer finishes its message in hand and commits; they are independent, so in parallel.
      await Promise.all([statusConsumer.stop(), dossierConsumer.stop(), indexer.stop()]);
      await replayer.stop();
      logger.info('steward_console_stopped');
    },
    health() {
      const c = checks();
      return { ok: !stopping && Object.values(c).every((x) => (x as { ok: boolean }).ok), checks: c };
    },
    port() {
      return (server?.address() as AddressInfo | null)?.port ?? 0;
    },
  };
}
