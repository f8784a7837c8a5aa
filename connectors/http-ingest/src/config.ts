import { z } from 'zod';
import { ConnectorId, ENTITIES, MappingSchema, RuntimeEnvShape } from '@hub/connector-runtime';

/** Entities in URLs are plural (`/citizens`); the canonical names are singular. */
export const ENTITY_PATHS = { citizens: 'citizen', businesses: 'business', dossiers: 'dossier' } as const;

const EntitySetting = z
  .object({
    /** The department's own record shape → canonical; omitted = records are pushed in canonical shape. */
    mapping: MappingSchema.optional(),
  })
  .strict();

export const IngestSourceSchema = z
  .object({
    system: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    agencyCode: z.string().min(1).optional(),
    /** Environment variable holding this department's API key (at least 32 characters). */
    apiKeyEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an UPPER_SNAKE environment variable name'),
    entities: z.partialRecord(z.enum(ENTITIES), EntitySetting),
  })
  .strict()
  .refine((s) => Object.keys(s.entities).length > 0, {
    message: 'allow at least one entity',
    path: ['entities'],
  });

export const HttpIngestConfigSchema = z
  .object({
    id: ConnectorId,
    kind: z.literal('http-ingest'),
    description: z.string().optional(),
    sources: z.array(IngestSourceSchema).min(1),
    /** Most records one batch request may carry (more → 413). */
    maxBatchRecords: z.number().int().min(1).max(10_000).default(1000),
    /** Largest request body, in the `bytes` notation of express (e.g. "1mb"); larger → 413. */
    bodyLimit: z.string().default('1mb'),
    /** Requests per minute per department key; 0 = unlimited. */
    rateLimitPerMinute: z.number().int().min(0).default(600),
    /** How long an Idempotency-Key is remembered. */
    idempotencyTtlHours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
    heartbeatIntervalMs: z.number().int().min(100).default(10_000),
    topics: z
      .object({
        observations: z.partialRecord(z.enum(ENTITIES), z.string().min(1)).optional(),
        status: z.string().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.sources.forEach((s, i) => {
      if (seen.has(s.system))
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'system'],
          message: `source ${s.system} is listed twice`,
        });
      seen.add(s.system);
      for (const [entity, setting] of Object.entries(s.entities)) {
        if (setting.mapping && setting.mapping.entity !== entity) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', i, 'entities', entity, 'mapping', 'entity'],
            message: `must be ${entity}`,
          });
        }
      }
    });
  });
export type HttpIngestConfig = z.infer<typeof HttpIngestConfigSchema>;
export type IngestSource = HttpIngestConfig['sources'][number];

export const HttpIngestEnvSchema = z.object({
  ...RuntimeEnvShape,
  HTTP_PORT: z.coerce.number().int().min(0).max(65535),
  HTTP_HOST: z.string().default('0.0.0.0'),
  /** How long an in-progress Idempotency-Key claim is held; after it, a retry takes the claim over. */
  IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().positive().max(86_400).default(60),
  /**
   * Longest wait for Kafka's acknowledgement of a request's records; after it the request is answered
   * 503 with Retry-After (the bus is below min.insync.replicas or unreachable). Above a leader
   * fail-over, below the idempotency lease and the senders' own timeouts. 0 = wait without bound.
   */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
});
export type HttpIngestEnv = z.infer<typeof HttpIngestEnvSchema>;
