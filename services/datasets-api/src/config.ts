import { z } from 'zod';
import { commaList, loadConfig as load } from '@hub/config';

const optionalUrl = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()))
  .pipe(z.string().url().optional());

export const ConfigSchema = z.object({
  HTTP_PORT: z.coerce.number().int().min(0).default(8080),
  DATABASE_URL: z.string().url(),
  /** Used only by `hub-datasets-api migrate` (the migrator role); defaults to DATABASE_URL. */
  MIGRATION_DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).default(20),
  KAFKA_BROKERS: z.string().transform(commaList),
  SCHEMA_REGISTRY_URL: z.string().url(),
  KAFKA_CLIENT_ID: z.string().default('datasets-api'),
  CONSUMER_GROUP: z.string().default('datasets-api.read-model'),
  TOPIC_MASTER_CITIZEN: z.string().default('master.citizen'),
  TOPIC_MASTER_BUSINESS: z.string().default('master.business'),
  TOPIC_MASTER_DOSSIER: z.string().default('master.dossier'),
  TOPIC_DLQ: z.string().default('dlq.datasets-api'),
  /** false: serve HTTP only from a read model that other instances keep up to date. */
  CONSUMER_ENABLED: z.enum(['true', 'false']).default('true').transform((s) => s === 'true'),
  BATCH_MAX_MESSAGES: z.coerce.number().int().min(1).max(5000).default(500),
  /** The consolidation's internal HTTP API (lineage, history); unset → those endpoints answer 503. */
  CONSOLIDATION_URL: optionalUrl,
  /** Bearer token for that API (the consolidation's INTERNAL_API_TOKEN); unset or empty: none sent. */
  CONSOLIDATION_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  CONSOLIDATION_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** How long a verified API key stays cached (revocation takes effect within this time). */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /** Failed authentications allowed per client IP per minute. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  PAGE_SIZE_DEFAULT: z.coerce.number().int().min(1).max(1000).default(20),
  PAGE_SIZE_MAX: z.coerce.number().int().min(1).max(1000).default(100),
  /** Authoritative-source configuration for the catalogue; the packaged file by default. */
  CATALOGUE_SOURCES_FILE: z.string().optional(),
  /** Set when running behind a reverse proxy (express `trust proxy`), e.g. `1` or `loopback`. */
  TRUST_PROXY: z.string().optional(),
  /** OAuth2 bearer JWTs: the accepted (and, for the local token endpoint, issued) `iss`. */
  OAUTH_ISSUER: z.string().min(1).default('urn:hub:datasets-api'),
  /** The `aud` a bearer JWT must carry (and the local token endpoint issues). */
  OAUTH_AUDIENCE: z.string().min(1).default('datasets-api'),
  /** An external IdP's JWKS URL (cached); unset: no remote keys. */
  OAUTH_JWKS_URL: optionalUrl,
  /** An external IdP's public key (PEM, SPKI; `\n` escapes allowed); unset: none. */
  OAUTH_PUBLIC_KEY: z.string().optional().transform((s) => (s === undefined || s.trim() === '' ? undefined : s)),
  /** true: serve POST /oauth/token and /.well-known/jwks.json (local issuer without an external IdP). */
  OAUTH_TOKEN_ENDPOINT_ENABLED: z.enum(['true', 'false']).default('true').transform((s) => s === 'true'),
  /** The token endpoint's signing key (PEM, PKCS#8; RSA, EC or Ed25519); unset: an ES256 key generated at start (per instance). */
  OAUTH_SIGNING_KEY: z.string().optional().transform((s) => (s === undefined || s.trim() === '' ? undefined : s)),
  /** Lifetime of the access tokens the token endpoint issues. */
  OAUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return load(ConfigSchema, env);
}
