import { z } from 'zod';
import { MappingSchema } from '../mapping/schema.js';

/** Connector ids name topics (`dlq.<id>`), metrics and cursors: lower-case words joined by dashes. */
export const ConnectorId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,62}$/,
    'use 2–63 lower-case letters, digits and dashes (it names the dlq.<id> topic)',
  );

/** Where the records come from; each connector kind adds its own keys. */
export const SourceBaseSchema = z.object({
  /** Source system id written into every observation (`civil-status`, `business-registry`, …). */
  system: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  /** Electronic identifier of the agency that owns the source (QCVN 102:2016), when known. */
  agencyCode: z.string().min(1).optional(),
});

export const ConnectorBaseSchema = z.object({
  id: ConnectorId,
  kind: z.string(),
  description: z.string().optional(),
  mapping: MappingSchema,
  /** Records read, mapped and published together; the cursor advances once per batch. */
  batchSize: z.number().int().min(1).max(50_000).default(500),
  /** Wait between polls once the source is caught up. */
  pollIntervalMs: z.number().int().min(10).default(5_000),
  heartbeatIntervalMs: z.number().int().min(100).default(10_000),
  /** How often the source is asked how many records it holds (reconciliation). 0 = never. */
  countIntervalMs: z.number().int().min(0).default(60_000),
  /** Overrides for tests and migrations; the defaults are the hub's topics. */
  topics: z
    .object({
      observations: z.string().min(1).optional(),
      deadLetter: z.string().min(1).optional(),
    })
    .strict()
    .default({}),
});

/** The full schema of one kind of connector: the base plus the kind's own `source` keys. */
export function connectorConfigSchema<K extends string, S extends z.ZodRawShape>(kind: K, sourceShape: S) {
  return ConnectorBaseSchema.extend({
    kind: z.literal(kind),
    source: SourceBaseSchema.extend(sourceShape).strict(),
  }).strict();
}

export type ConnectorBaseConfig = z.infer<typeof ConnectorBaseSchema> & {
  source: z.infer<typeof SourceBaseSchema>;
};
