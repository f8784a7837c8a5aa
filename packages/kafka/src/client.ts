import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@hub/log';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: Logger;
  /** How long a connection attempt may take before it counts as failed. */
  readonly connectionTimeoutMs?: number;
  /** Compression of the record batches this client's publishers send; gzip unless set. */
  readonly compression?: KafkaCompression;
}

/**
 * How publishers compress record batches. `gzip` (the default) is the one codec kafkajs and every
 * Kafka client read without plug-ins; on the hub's ~1 KB observations it cut the broker's CPU per
 * record by about 80 % (connectors/BENCHMARK.md, session 7). `none` for a broker or reader that
 * must not see compressed batches.
 */
export const KAFKA_COMPRESSIONS = ['gzip', 'none'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** The hub's handle on a Kafka cluster. Only this package knows it is kafkajs underneath. */
export interface KafkaClient {
  readonly raw: Kafka;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger | undefined;
  readonly compression: KafkaCompression;
}

function kafkaLogCreator(logger: Logger | undefined) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      if (!logger) return;
      const { message, ...extra } = log;
      const fields = { component: 'kafkajs', namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    };
}

export function createKafkaClient(opts: KafkaClientOptions): KafkaClient {
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 5000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: opts.logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: kafkaLogCreator(opts.logger),
  };
  return {
    raw: new Kafka(config),
    brokers: opts.brokers,
    clientId: opts.clientId,
    logger: opts.logger,
    compression: opts.compression ?? 'gzip',
  };
}

/**
 * True when the cluster answers metadata requests with at least `minBrokers` brokers. Used for
 * readiness: a TCP connect is not enough (the broker accepts connections before it serves).
 */
export async function probeKafka(brokers: readonly string[], minBrokers = 1): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'hub-probe',
    brokers: [...brokers],
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= minBrokers && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
