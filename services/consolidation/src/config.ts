import { z } from 'zod';
import { commaList, loadConfig as load } from '@hub/config';
import { KAFKA_COMPRESSIONS } from '@hub/kafka';

const authorities = z.string().transform((s, ctx) => {
  try {
    return z.record(z.string(), z.array(z.string())).parse(JSON.parse(s));
  } catch {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be JSON: {"identity":["population","civil-status"],…} (attribute group → source systems, most authoritative first)',
    });
    return z.NEVER;
  }
});

export const ConfigSchema = z
  .object({
    HTTP_PORT: z.coerce.number().int().min(0).default(8080),
    /** Interface the internal steward API listens on: loopback by default; deployments set 0.0.0.0. */
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * When set, every route but /healthz, /readyz and /metrics requires `Authorization: Bearer <token>`
     * (the console sends it as CONSOLIDATION_TOKEN). Unset or empty: no authentication (local only).
     */
    INTERNAL_API_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
    DATABASE_URL: z.string().url(),
    /** Used only by `hub-consolidation migrate` (the migrator role); defaults to DATABASE_URL. */
    MIGRATION_DATABASE_URL: z.string().url().optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(2).default(10),
    KAFKA_BROKERS: z.string().transform(commaList),
    /** Compression of the golden-record batches the outbox relay publishes. */
    KAFKA_COMPRESSION: z.enum(KAFKA_COMPRESSIONS).default('gzip'),
    SCHEMA_REGISTRY_URL: z.string().url(),
    KAFKA_CLIENT_ID: z.string().default('consolidation'),
    CONSUMER_GROUP: z.string().default('consolidation.observations'),
    TOPIC_OBS_CITIZEN: z.string().default('obs.citizen'),
    TOPIC_OBS_BUSINESS: z.string().default('obs.business'),
    TOPIC_OBS_DOSSIER: z.string().default('obs.dossier'),
    TOPIC_MASTER_CITIZEN: z.string().default('master.citizen'),
    TOPIC_MASTER_BUSINESS: z.string().default('master.business'),
    TOPIC_MASTER_DOSSIER: z.string().default('master.dossier'),
    TOPIC_DLQ: z.string().default('dlq.consolidation'),
    BATCH_MAX_MESSAGES: z.coerce.number().int().min(1).max(5000).default(500),
    /**
     * Partitions whose batches are consolidated at the same time in this process, each in its own
     * transaction (as two instances would). While one batch waits on PostgreSQL the other keeps the
     * CPU busy: 2 measured +33 % on two cores (BENCHMARK.md, session 10); 1 is strictly sequential.
     */
    CONSUMER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(32).default(2),
    MATCH_CITIZEN_UPPER: z.coerce.number().default(22),
    MATCH_CITIZEN_LOWER: z.coerce.number().default(14),
    MATCH_BUSINESS_UPPER: z.coerce.number().default(20),
    MATCH_BUSINESS_LOWER: z.coerce.number().default(12),
    MATCH_MAX_CANDIDATES: z.coerce.number().int().min(1).default(200),
    SURVIVORSHIP_AUTHORITIES: authorities,
    OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(200),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .refine((c) => c.DATABASE_POOL_MAX >= c.CONSUMER_PARTITIONS_CONCURRENTLY + 2, {
    message:
      'DATABASE_POOL_MAX must be at least CONSUMER_PARTITIONS_CONCURRENTLY + 2 (a connection per batch in flight, one for the outbox relay, one for the steward API)',
    path: ['DATABASE_POOL_MAX'],
  })
  .refine((c) => c.MATCH_CITIZEN_LOWER <= c.MATCH_CITIZEN_UPPER, {
    message: 'MATCH_CITIZEN_LOWER must not exceed MATCH_CITIZEN_UPPER (the review band lies between them)',
    path: ['MATCH_CITIZEN_LOWER'],
  })
  .refine((c) => c.MATCH_BUSINESS_LOWER <= c.MATCH_BUSINESS_UPPER, {
    message: 'MATCH_BUSINESS_LOWER must not exceed MATCH_BUSINESS_UPPER',
    path: ['MATCH_BUSINESS_LOWER'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return load(ConfigSchema, env);
}
