import { loadConfig } from '@hub/config';
import { createLogger } from '@hub/log';
import { probeKafka } from '@hub/kafka';
import {
  assertSchemaVersion,
  createOpsServer,
  createRuntimeDeps,
  loadConfigFiles,
  runAdminCommand,
  runOrExit,
} from '@hub/connector-runtime';
import { HttpIngestConfigSchema, HttpIngestEnvSchema } from './config.js';
import { createIngestService } from './service.js';

/** http-ingest: `node dist/main.js [run | migrate | check-config]`. */
async function main(): Promise<void> {
  const env = loadConfig(HttpIngestEnvSchema, process.env);
  const logger = createLogger({ service: 'connector-http-ingest', level: env.LOG_LEVEL });
  const argv = process.argv.slice(2);
  if (await runAdminCommand(argv, env, (l) => process.stdout.write(`${l}\n`))) return;
  const [loaded, ...more] = loadConfigFiles(env.CONNECTOR_CONFIG, HttpIngestConfigSchema);
  if (!loaded || more.length > 0)
    throw new Error(
      'http-ingest takes exactly one configuration file (list every department in its "sources")',
    );
  if (argv[0] === 'check-config') {
    process.stdout.write(`configuration valid: ${loaded.config.sources.map((s) => s.system).join(', ')}\n`);
    return;
  }
  const deps = createRuntimeDeps(env, logger, 'connector-http-ingest');
  await assertSchemaVersion(deps.db);
  const ready = () => probeKafka(env.KAFKA_BROKERS);
  const service = createIngestService(loaded.config, {
    ...deps,
    keyEnv: process.env,
    ready,
    idempotencyLeaseSeconds: env.IDEMPOTENCY_LEASE_SECONDS,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
  });
  const ops = createOpsServer({
    port: env.OPS_PORT,
    host: env.OPS_HOST,
    registry: deps.metrics.registry,
    instances: service.instances,
    ready,
    ...(env.OPS_TOKEN ? { token: env.OPS_TOKEN } : {}),
  });
  await ops.start();
  const port = await service.start(env.HTTP_PORT, env.HTTP_HOST);
  logger.info({ port, sources: loaded.config.sources.map((s) => s.system) }, 'http_ingest_started');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutdown_requested');
    setTimeout(() => process.exit(1), 25_000).unref();
    // not-ready → stop intake (in-flight requests finish) → flush producers → close the pool.
    void (async () => {
      await service.stop();
      await ops.stop();
      await deps.db.destroy();
    })().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

runOrExit(main);
