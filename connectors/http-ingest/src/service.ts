import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { ConnectorMetrics, Db, RuntimeDeps } from '@hub/connector-runtime';
import type { Logger } from '@hub/log';
import { ApiKeys } from './auth.js';
import { createIngestApp } from './app.js';
import type { HttpIngestConfig } from './config.js';
import { IdempotencyStore } from './idempotency.js';
import { PushChannel } from './push-channel.js';

export interface IngestServiceDeps extends Pick<RuntimeDeps, 'kafka' | 'registry' | 'registerSchemas'> {
  readonly db: Db;
  readonly metrics: ConnectorMetrics;
  readonly logger: Logger;
  /** Environment holding the API keys named by `apiKeyEnv`. */
  readonly keyEnv: Readonly<Record<string, string | undefined>>;
  readonly ready?: () => Promise<boolean>;
  /** Lease of an in-progress Idempotency-Key claim (IDEMPOTENCY_LEASE_SECONDS); default 60. */
  readonly idempotencyLeaseSeconds?: number;
  /** Longest wait for Kafka's acknowledgement before a request is answered 503 (PUBLISH_TIMEOUT_MS); 0 = none. */
  readonly publishTimeoutMs?: number;
}

/** The push service: one channel per department source, the express app, and its HTTP server. */
export function createIngestService(config: HttpIngestConfig, deps: IngestServiceDeps) {
  const keys = new ApiKeys(config.sources, deps.keyEnv);
  const channels = new Map(
    config.sources.map((s) => [
      s.system,
      new PushChannel(
        config,
        s,
        deps,
        deps.logger.child({ component: 'push', source: s.system }),
        config.heartbeatIntervalMs,
        deps.publishTimeoutMs ?? 0,
      ),
    ]),
  );
  const idempotency = new IdempotencyStore(
    deps.db,
    config.idempotencyTtlHours,
    deps.idempotencyLeaseSeconds ?? 60,
  );
  const app = createIngestApp({
    config,
    keys,
    channels,
    idempotency,
    logger: deps.logger,
    ...(deps.ready ? { ready: deps.ready } : {}),
  });
  let server: Server | undefined;
  let purge: NodeJS.Timeout | undefined;
  return {
    app,
    channels,
    instances: () => [...channels.values()],
    /** Start the channels (Kafka producers) first, then accept requests. Resolves with the bound port. */
    async start(port: number, host = '0.0.0.0'): Promise<number> {
      for (const c of channels.values()) await c.start();
      purge = setInterval(() => void idempotency.purgeExpired().catch(() => undefined), 3600_000);
      purge.unref();
      server = createServer(app);
      // Bodies are small; a slow client must not hold a socket for long.
      server.requestTimeout = 30_000;
      server.headersTimeout = 10_000;
      return new Promise<number>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(port, host, () => {
          const a = server?.address();
          resolve(typeof a === 'object' && a !== null ? a.port : port);
        });
      });
    },
    /** Stop intake (in-flight requests finish), then flush the channels' producers. */
    async stop(): Promise<void> {
      if (purge) clearInterval(purge);
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      for (const c of channels.values()) await c.stop();
    },
  };
}
