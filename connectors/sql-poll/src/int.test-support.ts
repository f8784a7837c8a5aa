/**
 * What every sql-poll integration test file shares: the two dialects it runs on, and Kafka, the
 * registry and a fresh connector database for the file (test topics deleted afterwards).
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { ConnectorMetrics, CursorStore, type RuntimeDeps } from '@hub/connector-runtime';
import { createTestConnectorDb } from '@hub/connector-runtime/testing';
import { createKafkaClient, deleteTestTopics, SchemaRegistry, type KafkaClient } from '@hub/kafka';
import { silentLogger } from '@hub/log';

const MARIADB_URL = 'mysql://root:@127.0.0.1:3306/test';

/** PostgreSQL (the launcher's) and MariaDB (local, database `test`), with their SQL spellings. */
export function dialects() {
  const endpoints = inject('endpoints');
  return [
    {
      dialect: 'postgres' as const,
      url: () => endpoints.DATABASE_URL,
      now: 'clock_timestamp()',
      ts: 'timestamptz(6)',
      str: 'text',
    },
    {
      dialect: 'mysql' as const,
      url: () => MARIADB_URL,
      now: 'NOW(6)',
      ts: 'datetime(6)',
      str: 'varchar(200)',
    },
  ];
}

export interface IntegrationContext {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly connectorDb: Awaited<ReturnType<typeof createTestConnectorDb>>;
  /** Topics a test created: deleted after the file. */
  readonly topics: string[];
  /** Runtime dependencies for a connector under test. */
  deps(cursors?: CursorStore): RuntimeDeps;
}

/** Registers the file's beforeAll/afterAll; the context's clients exist from beforeAll on. */
export function useIntegration(clientId: string): IntegrationContext {
  const endpoints = inject('endpoints');
  let clients: Pick<IntegrationContext, 'kafka' | 'registry' | 'connectorDb'> | undefined;
  const ready = () => {
    if (!clients) throw new Error('integration context used before beforeAll');
    return clients;
  };
  const topics: string[] = [];
  beforeAll(async () => {
    clients = {
      kafka: createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId }),
      registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL),
      connectorDb: await createTestConnectorDb(endpoints.DATABASE_URL),
    };
  });
  afterAll(async () => {
    if (!clients) return;
    await deleteTestTopics(clients.kafka, topics).catch(() => undefined);
    await clients.connectorDb.drop();
  });
  return {
    get kafka() {
      return ready().kafka;
    },
    get registry() {
      return ready().registry;
    },
    get connectorDb() {
      return ready().connectorDb;
    },
    topics,
    deps(cursors) {
      const { kafka, registry, connectorDb } = ready();
      return {
        kafka,
        registry,
        db: connectorDb.db,
        cursors: cursors ?? new CursorStore(connectorDb.db),
        metrics: new ConnectorMetrics(),
        logger: silentLogger(),
        registerSchemas: true,
      };
    },
  };
}
