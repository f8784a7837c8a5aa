import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '@hub/errors';
import type { SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import type { ConsolidationClient } from '../consolidation/client.js';
import type { AccessRepository } from '../db/access.repository.js';
import type { AlertRepository } from '../db/alert.repository.js';
import type { DeadLetterRepository, StoredDeadLetter } from '../db/dead-letter.repository.js';
import type { HealthRepository } from '../db/health.repository.js';
import type { QualityRepository } from '../db/quality.repository.js';
import { formatCoordinates } from '../domain/dead-letter.js';
import type { Metrics } from '../metrics.js';
import type { HealthMonitor } from '../monitor.js';
import type { ReplayService } from '../replay.service.js';

/** Everything the HTTP layer uses, present by construction (built in service.ts). */
export interface ConsoleDeps {
  readonly monitor: HealthMonitor;
  readonly health: HealthRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly alerts: AlertRepository;
  readonly quality: QualityRepository;
  readonly access: AccessRepository;
  readonly replays: ReplayService;
  readonly registry: SchemaRegistry;
  /** Undefined when CONSOLIDATION_URL is not configured: the review pages say so. */
  readonly consolidation: ConsolidationClient | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sessionTtlMs: number;
  /** Lifetime of API tokens issued by POST /api/tokens; null = until revoked. */
  readonly apiTokenTtlMs: number | null;
  readonly cookieSecure: boolean;
  readonly webhookConfigured: boolean;
  /** Readiness: dependencies reachable and consumers running. */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError('Yêu cầu không hợp lệ / invalid request', {
    details: r.error.issues.map((i) => ({ field: `/${i.path.join('/')}`, problem: i.message })),
  });
}

export const DeadLetterQuery = z.object({
  topic: z.string().min(1).optional(),
  reason: z.string().min(1).optional(),
  open: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

export const QualityQuery = z.object({
  from: z.string().regex(/^\d{4}-\d{2}$/).optional(),
  to: z.string().regex(/^\d{4}-\d{2}$/).optional(),
  agency: z.string().min(1).optional(),
  procedure: z.string().min(1).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** Query values from a form may be empty strings: treat them as absent. */
export function query(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

/** Metadata of a dead letter; the payload is only shown to roles that may see personal data. */
export function deadLetterJson(d: StoredDeadLetter) {
  return {
    id: d.id,
    dlq: formatCoordinates(d.dlq),
    connectorId: d.connectorId,
    reason: d.reason,
    error: d.error,
    source: d.source ? formatCoordinates(d.source) : null,
    deadLetteredAt: new Date(d.deadLetteredAt).toISOString(),
    consumer: d.consumer,
    replayOf: d.replayOf,
    key: d.key?.toString('utf8') ?? null,
    replays: d.replays,
    lastReplayedAt: d.lastReplayedAt === null ? null : new Date(d.lastReplayedAt).toISOString(),
    lastReplayedBy: d.lastReplayedBy,
  };
}
