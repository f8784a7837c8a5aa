import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { ConfigError, errorMessage } from '@hub/errors';
import { probeKafka, type KafkaClient, type SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { catalog } from '@hub/schemas';
import { ConsolidationClient } from './clients/consolidation.client.js';
import type { Config } from './config.js';
import { createMasterConsumer } from './consumers/master.consumer.js';
import { Authenticator } from './domain/app-registry.js';
import { JwtAuthenticator, SigningKey, TokenIssuer } from './domain/oauth.js';
import { catalogueDocument, subjectOf, SourcesSchema, type DatasetFacts, type Sources } from './domain/catalogue.js';
import { DATASETS, type Dataset } from './domain/scopes.js';
import { GovernanceRepository } from './db/governance.repository.js';
import { checkSchemaVersion } from './db/migrations.js';
import { ReadModelQueries } from './db/read-model.queries.js';
import { ReadModelWriter } from './db/read-model.writer.js';
import { createApp } from './http/app.js';
import { createMetrics } from './metrics.js';

export interface DatasetsApi {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): { ok: boolean; consumer: ReturnType<ReturnType<typeof createMasterConsumer>['health']> };
  /** The port the HTTP server listens on (after start). */
  port(): number;
  readonly governance: GovernanceRepository;
}

export interface DatasetsApiDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Knex;
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  /** Run the consumer (false: serve only, e.g. the benchmark against a pre-filled read model). */
  readonly consume?: boolean;
  /** The read-model consumer stopped for good (Kafka will not restart it): `main` exits so that the supervisor restarts the service. */
  readonly onFatal?: (error: Error) => void;
}

export const DEFAULT_SOURCES_FILE = fileURLToPath(new URL('../config/authoritative-sources.json', import.meta.url));

export function loadSources(file: string): Sources {
  try {
    return SourcesSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new ConfigError(`CATALOGUE_SOURCES_FILE ${file} is not a valid authoritative-sources file: ${errorMessage(e)}`);
  }
}

export function createDatasetsApi(deps: DatasetsApiDeps): DatasetsApi {
  const { config, logger, db, kafka, registry } = deps;
  const queries = new ReadModelQueries(db);
  const writer = new ReadModelWriter(db);
  const governance = new GovernanceRepository(db);
  const metrics = createMetrics((d) => queries.newestAppliedAt(d));
  const sources = loadSources(config.CATALOGUE_SOURCES_FILE ?? DEFAULT_SOURCES_FILE);
  const consumer = createMasterConsumer({
    kafka,
    registry,
    groupId: config.CONSUMER_GROUP,
    topics: { citizen: config.TOPIC_MASTER_CITIZEN, business: config.TOPIC_MASTER_BUSINESS, dossier: config.TOPIC_MASTER_DOSSIER },
    dlqTopic: config.TOPIC_DLQ,
    writer,
    logger: logger.child({ component: 'read-model-consumer' }),
    maxBatchMessages: config.BATCH_MAX_MESSAGES,
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
    onApplied: (dataset, stats) => {
      metrics.changes.inc({ dataset, outcome: 'applied' }, stats.applied);
      for (const [reason, n] of Object.entries(stats.ignored)) metrics.changes.inc({ dataset, outcome: reason }, n);
    },
  });
  const consume = deps.consume ?? config.CONSUMER_ENABLED;

  const schemas = Object.fromEntries(DATASETS.map((d) => [d, catalog().forTopic(`master.${d}`)])) as unknown as Parameters<typeof catalogueDocument>[0];
  let cached: { at: number; doc: Record<string, unknown> } | undefined;
  const buildCatalogue = async (): Promise<Record<string, unknown>> => {
    if (cached && Date.now() - cached.at < 10_000) return cached.doc;
    const facts = {} as Record<Dataset, DatasetFacts>;
    for (const d of DATASETS) {
      const s = await queries.stats(d);
      let schemaVersions: DatasetFacts['schemaVersions'] = null;
      let schemaRegistryError: string | undefined;
      try {
        schemaVersions = (await registry.history(subjectOf(d))).map((v) => ({ version: v.version, id: v.id }));
      } catch (e) {
        schemaRegistryError = errorMessage(e);
      }
      facts[d] = {
        liveRecords: s.live,
        newestChangeAppliedAt: s.newestAppliedAt?.toISOString() ?? null,
        freshnessSeconds: s.newestAppliedAt ? (Date.now() - s.newestAppliedAt.getTime()) / 1000 : null,
        changesLast24h: s.changesLast24h,
        schemaVersions,
        ...(schemaRegistryError ? { schemaRegistryError } : {}),
      };
    }
    cached = { at: Date.now(), doc: catalogueDocument(schemas, sources, facts) };
    return cached.doc;
  };

  let stopping = false;
  const ready = async () => {
    const checks: Record<string, unknown> = {};
    try {
      await queries.ping();
      checks.database = 'ok';
    } catch (e) {
      checks.database = errorMessage(e);
    }
    if (consume) {
      checks.kafka = (await probeKafka(config.KAFKA_BROKERS)) ? 'ok' : 'unreachable';
      checks.consumer = consumer.health();
    }
    const ok = !stopping && checks.database === 'ok' && (!consume || (checks.kafka === 'ok' && consumer.health().ok));
    return { ok, checks };
  };

  let signingKey: SigningKey | undefined;
  try {
    if (config.OAUTH_TOKEN_ENDPOINT_ENABLED) signingKey = config.OAUTH_SIGNING_KEY ? SigningKey.fromPem(config.OAUTH_SIGNING_KEY) : SigningKey.generate();
  } catch (e) {
    throw new ConfigError(`OAUTH_SIGNING_KEY is not a usable PEM private key: ${errorMessage(e)}`);
  }
  let jwt: JwtAuthenticator;
  try {
    jwt = new JwtAuthenticator(governance, {
      issuer: config.OAUTH_ISSUER,
      audience: config.OAUTH_AUDIENCE,
      localKey: signingKey,
      jwksUrl: config.OAUTH_JWKS_URL,
      publicKeyPem: config.OAUTH_PUBLIC_KEY,
      cacheTtlMs: config.AUTH_CACHE_TTL_MS,
    });
  } catch (e) {
    throw new ConfigError(`OAUTH_PUBLIC_KEY is not a usable PEM public key: ${errorMessage(e)}`);
  }
  const tokenIssuer = signingKey
    ? new TokenIssuer({ key: signingKey, issuer: config.OAUTH_ISSUER, audience: config.OAUTH_AUDIENCE, ttlSeconds: config.OAUTH_TOKEN_TTL_SECONDS })
    : undefined;

  const app = createApp({
    queries,
    governance,
    metrics,
    logger,
    pageSize: { default: config.PAGE_SIZE_DEFAULT, max: config.PAGE_SIZE_MAX },
    authenticator: new Authenticator(governance, config.AUTH_CACHE_TTL_MS, Date.now, jwt.enabled ? jwt : undefined),
    tokenEndpoint: tokenIssuer ? { store: governance, issuer: tokenIssuer } : undefined,
    consolidation: new ConsolidationClient(config.CONSOLIDATION_URL, config.CONSOLIDATION_TIMEOUT_MS, config.CONSOLIDATION_TOKEN),
    catalogue: buildCatalogue,
    ready,
    authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  });
  let server: Server | undefined;
  let consumerRun: Promise<void> | undefined;

  return {
    governance,
    async start() {
      await checkSchemaVersion(db);
      await new Promise<void>((resolve, reject) => {
        // Express 5 hands listen errors to the callback: use the server's own events instead.
        const s = createServer(app);
        server = s;
        s.once('error', reject);
        s.listen(config.HTTP_PORT, () => resolve());
      });
      logger.info({ port: (server?.address() as AddressInfo).port, consume }, 'datasets_api_started');
      if (consume) {
        consumerRun = consumer.start().catch((e: unknown) => logger.error({ err: errorMessage(e) }, 'consumer_start_failed'));
      }
    },
    async stop() {
      stopping = true;
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      if (consume) {
        await consumerRun;
        await consumer.stop();
      }
      logger.info('datasets_api_stopped');
    },
    health() {
      const c = consumer.health();
      return { ok: !consume || c.ok, consumer: c };
    },
    port() {
      return (server?.address() as AddressInfo | null)?.port ?? 0;
    },
  };
}
