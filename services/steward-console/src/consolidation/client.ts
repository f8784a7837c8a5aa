import { z } from 'zod';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError, errorMessage } from '@hub/errors';

/*
 * The contract the console needs from the consolidation's internal steward API (README "Contract
 * with consolidation"). Responses are validated: a drift in the contract shows as a clear error,
 * not as a blank page.
 */
const SourceRef = z.object({ system: z.string(), recordId: z.string() });

export const ReviewTaskSchema = z.object({
  id: z.number().int(),
  entityType: z.string(),
  kind: z.string(),
  status: z.enum(['OPEN', 'RESOLVED']),
  createdAt: z.string().nullish(),
  attribute: z.string().nullish(),
  totalScore: z.number().nullish(),
  candidates: z.array(z.object({ masterId: z.string(), attributes: z.record(z.string(), z.unknown()), sources: z.array(SourceRef).default([]) })),
  fieldScores: z.array(z.object({ field: z.string(), left: z.unknown(), right: z.unknown(), score: z.number(), weight: z.number().nullish() })).default([]),
});
export type ReviewTask = z.infer<typeof ReviewTaskSchema>;

const MasterViewSchema = z.object({
  master: z.object({ masterId: z.string(), entityType: z.string(), status: z.string(), version: z.number(), golden: z.record(z.string(), z.unknown()).nullable() }),
  lineage: z.array(
    z.object({
      attribute: z.string(),
      value: z.unknown(),
      rule: z.string(),
      sourceSystem: z.string().nullish(),
      sourceRecordId: z.string().nullish(),
      eventId: z.string().nullish(),
      decidedAt: z.union([z.string(), z.number()]).nullish(),
    }),
  ),
  sources: z.array(z.record(z.string(), z.unknown())).default([]),
  links: z.array(z.record(z.string(), z.unknown())).default([]),
  resolvedFrom: z.string().nullish(),
});
export type MasterView = z.infer<typeof MasterViewSchema>;

const HistorySchema = z.object({
  items: z.array(
    z.object({
      version: z.number(),
      change: z.string(),
      changedAttributes: z.array(z.string()).nullish(),
      actor: z.string().nullish(),
      reason: z.string().nullish(),
      at: z.union([z.string(), z.number()]),
      eventId: z.string().nullish(),
    }),
  ),
});
export type HistoryItem = z.infer<typeof HistorySchema>['items'][number];

const StatsSchema = z.object({ openReviewTasks: z.number(), mergesLastHour: z.number(), splitsLastHour: z.number() });
export type ConsolidationStats = z.infer<typeof StatsSchema>;

const SourceCountsSchema = z.object({
  items: z.array(z.object({ connectorId: z.string().nullable(), sourceSystem: z.string(), entityType: z.string(), records: z.number().int(), deleted: z.number().int() })),
  at: z.string(),
});
export type SourceCounts = z.infer<typeof SourceCountsSchema>;

export type Decision =
  | { readonly decision: 'MERGE' | 'KEEP_APART' }
  | { readonly decision: 'PICK_VALUE'; readonly source: z.infer<typeof SourceRef> }
  | { readonly decision: 'SPLIT'; readonly sourceRecords: readonly z.infer<typeof SourceRef>[] };

export interface ConsolidationClient {
  listReviewTasks(opts: { status?: 'OPEN' | 'RESOLVED'; limit: number }): Promise<ReviewTask[]>;
  getReviewTask(id: number): Promise<ReviewTask>;
  resolveReviewTask(id: number, decision: Decision, by: { steward: string; reason: string }): Promise<void>;
  getMaster(entity: string, masterId: string): Promise<MasterView>;
  history(entity: string, masterId: string): Promise<HistoryItem[]>;
  stats(): Promise<ConsolidationStats>;
  /** Source records the hub holds per connector (live and deleted), for reconciliation. */
  sourceCounts(): Promise<SourceCounts>;
}

export interface ConsolidationClientOptions {
  readonly timeoutMs?: number;
  /** Sent as `Authorization: Bearer <token>` (the consolidation's INTERNAL_API_TOKEN) when set. */
  readonly token?: string | undefined;
}

export function createConsolidationClient(baseUrl: string, opts: ConsolidationClientOptions = {}): ConsolidationClient {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  async function call<T>(schema: z.ZodType<T>, path: string, init: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: init.body === undefined ? { ...auth, accept: 'application/json' } : { ...auth, accept: 'application/json', 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(init.timeoutMs ?? timeoutMs),
      });
    } catch (cause) {
      throw new DependencyUnavailableError('consolidation', `consolidation API unreachable at ${base}: ${errorMessage(cause)}`, { cause });
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${res.status}`;
      if (res.status === 404) throw new NotFoundError(`consolidation: ${message}`);
      if (res.status === 409) throw new ConflictError(`consolidation: ${message}`);
      if (res.status === 400 || res.status === 422) throw new ValidationError(`consolidation: ${message}`);
      throw new DependencyUnavailableError('consolidation', `consolidation API answered ${res.status}: ${message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new DependencyUnavailableError('consolidation', `consolidation API response to ${path} does not match the contract: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  }
  return {
    async listReviewTasks(opts) {
      const q = new URLSearchParams({ limit: String(opts.limit), ...(opts.status ? { status: opts.status } : {}) });
      return (await call(z.object({ items: z.array(ReviewTaskSchema) }), `/review-tasks?${q.toString()}`)).items;
    },
    getReviewTask: (id) => call(ReviewTaskSchema, `/review-tasks/${id}`),
    async resolveReviewTask(id, decision, by) {
      await call(z.unknown(), `/review-tasks/${id}/resolve`, { method: 'POST', body: { ...decision, steward: by.steward, reason: by.reason } });
    },
    getMaster: (entity, id) => call(MasterViewSchema, `/masters/${encodeURIComponent(entity)}/${encodeURIComponent(id)}`),
    async history(entity, id) {
      return (await call(HistorySchema, `/masters/${encodeURIComponent(entity)}/${encodeURIComponent(id)}/history`)).items;
    },
    stats: () => call(StatsSchema, '/stats'),
    // Background sampling only; the first count at province scale scans millions of rows.
    sourceCounts: () => call(SourceCountsSchema, '/source-counts', { timeoutMs: Math.max(timeoutMs, 60_000) }),
  };
}
