#!/usr/bin/env node
import { createKafkaClient, SchemaRegistry } from '@hub/kafka';
import { createLogger, type Logger } from '@hub/log';
import { loadConfig } from './config.js';
import { createDb } from './db/migrations.js';
import { createConsolidation } from './service.js';

/** Runs once, under a deadline: exit 0 after a clean stop, 1 after an error. */
function registerShutdown(
  logger: Logger,
  timeoutMs: number,
  stop: () => Promise<void>,
): (code: number) => void {
  let started = false;
  const shutdown = (code: number): void => {
    if (started) return;
    started = true;
    logger.info({ code }, 'shutdown_started');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown_timed_out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(code),
      (e: unknown) => {
        logger.error({ err: e instanceof Error ? e.message : 'unknown' }, 'shutdown_failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown(0));
  process.once('SIGINT', () => shutdown(0));
  process.once('unhandledRejection', (e) => {
    logger.error({ err: e instanceof Error ? e.message : 'unknown' }, 'unhandled_rejection');
    shutdown(1);
  });
  return shutdown;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'consolidation', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
    compression: config.KAFKA_COMPRESSION,
  });
  const registry = new SchemaRegistry(config.SCHEMA_REGISTRY_URL);
  let fatal = (): void => undefined;
  const app = createConsolidation({ config, logger, db, kafka, registry, onFatal: () => fatal() });
  const shutdown = registerShutdown(logger, 25_000, async () => {
    await app.stop();
    await db.destroy();
  });
  fatal = () => shutdown(1); // consumer_crashed is logged by the consumer
  try {
    await app.start();
  } catch (e) {
    logger.error({ err: e instanceof Error ? e.message : 'unknown' }, 'start_failed');
    shutdown(1);
  }
}

void main();
