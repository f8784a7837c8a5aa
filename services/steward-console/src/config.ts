import { z } from 'zod';
import { commaList, loadConfig as load } from '@hub/config';

/** Per-source service-level objectives, keyed by source system (or connector id). */
const SloMap = z.record(z.string(), z.object({ freshnessMinutes: z.number().positive() }));

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** An unset and an empty variable mean the same: not configured. */
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional());

const bool = z.enum(['true', 'false']).transform((s) => s === 'true');

export const ConfigSchema = z
  .object({
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
    DATABASE_URL: z.string().url(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).default(10),
    KAFKA_BROKERS: z.string().transform(commaList),
    KAFKA_CLIENT_ID: z.string().default('steward-console'),
    SCHEMA_REGISTRY_URL: z.string().url(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Consumer-group prefix: `<prefix>.connector-status`, `<prefix>.dossier-quality`, `<prefix>.dead-letters`. */
    CONSUMER_GROUP_PREFIX: z.string().min(1).default('steward-console'),
    TOPIC_CONNECTOR_STATUS: z.string().min(1).default('hub.connector-status'),
    TOPIC_MASTER_DOSSIER: z.string().min(1).default('master.dossier'),
    /** Dead-letter topics are every topic starting with this prefix; the rest of the name is the connector id. */
    DLQ_TOPIC_PREFIX: z.string().min(1).default('dlq.'),
    /** Where this service's own poison messages go. */
    TOPIC_OWN_DLQ: z.string().min(1).default('dlq.steward-console'),
    /** A connector whose last heartbeat is older than this is down. */
    HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
    DEFAULT_FRESHNESS_SLO_MINUTES: z.coerce.number().positive().default(1440),
    SOURCE_SLOS: jsonOf(SloMap).default({}),
    /** Amber when a consumer group lags by more than this many messages. */
    LAG_WARN_MESSAGES: z.coerce.number().int().min(0).default(1000),
    /** Alert when dead letters arrive faster than this per minute (over ALERT_WINDOW_MINUTES). */
    DEAD_LETTER_RATE_PER_MINUTE: z.coerce.number().min(0).default(1),
    /** Alert when a group's lag grew by more than this many messages over ALERT_WINDOW_MINUTES. */
    LAG_GROWTH_MESSAGES: z.coerce.number().int().min(0).default(500),
    ALERT_WINDOW_MINUTES: z.coerce.number().positive().default(10),
    ALERT_WEBHOOK_URL: optionalUrl,
    /** How often lag and dead-letter counts are sampled and alert rules evaluated. */
    SAMPLE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
    /** How often new dead-letter topics are looked for. */
    DLQ_DISCOVERY_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
    HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).default(14),
    /** Base URL of the consolidation's internal steward API; the review pages say so when absent. */
    CONSOLIDATION_URL: optionalUrl,
    /** Bearer token for that API (the consolidation's INTERNAL_API_TOKEN); unset or empty: none sent. */
    CONSOLIDATION_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    SESSION_TTL_MINUTES: z.coerce.number().int().min(1).default(480),
    /** Lifetime of API tokens issued by POST /api/tokens (`hub login`); 0 = until revoked. */
    API_TOKEN_TTL_DAYS: z.coerce.number().int().min(0).default(90),
    /** Set true behind HTTPS so session cookies are never sent in clear text. */
    COOKIE_SECURE: bool.default(false),
  })
  .refine((c) => c.TOPIC_OWN_DLQ.startsWith(c.DLQ_TOPIC_PREFIX), {
    message: 'TOPIC_OWN_DLQ must start with DLQ_TOPIC_PREFIX, so the console also shows its own dead letters',
    path: ['TOPIC_OWN_DLQ'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return load(ConfigSchema, env);
}
