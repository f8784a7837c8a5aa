import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError, ValidationError } from '@hub/errors';
import type { Logger } from '@hub/log';
import type { StewardService } from '../domain/steward.js';
import { ENTITY_TYPES, type EntityType } from '../domain/types.js';
import { ReadRepository, type SourceRecordCount } from '../db/read.repository.js';
import { KnexStewardStore } from '../db/steward-store.js';
import type { Metrics } from '../metrics.js';

export interface HttpDeps {
  readonly db: Knex;
  readonly steward: StewardService;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Liveness: the process loop answers. Readiness: dependencies reachable, partitions assigned. */
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
}

/** How long one count of source records per connector is served before it is taken again. */
const SOURCE_COUNTS_TTL_MS = 30_000;

const Entity = z.enum(ENTITY_TYPES as [EntityType, ...EntityType[]]);
const Steward = { steward: z.string().min(1), reason: z.string().min(1) };
const ResolveBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('MERGE'), ...Steward }),
  z.object({ decision: z.literal('KEEP_APART'), ...Steward }),
  z.object({
    decision: z.literal('PICK_VALUE'),
    source: z.object({ system: z.string().min(1), recordId: z.string().min(1) }),
    ...Steward,
  }),
  z.object({
    decision: z.literal('SPLIT'),
    sourceRecords: z.array(z.object({ system: z.string().min(1), recordId: z.string().min(1) })).min(1),
    ...Steward,
  }),
]);
const SplitBody = z.object({
  sourceRecords: z.array(z.object({ system: z.string().min(1), recordId: z.string().min(1) })).min(1),
  ...Steward,
});
const ListQuery = z.object({
  status: z.enum(['OPEN', 'RESOLVED']).optional(),
  kind: z.enum(['POSSIBLE_MATCH', 'ATTRIBUTE_CONFLICT', 'IDENTIFIER_CONFLICT']).optional(),
  entity: Entity.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.coerce.number().int().min(0).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError('invalid request', {
    details: r.error.issues.map((i) => ({ field: `/${i.path.join('/')}`, problem: i.message })),
  });
}

/** The internal steward API (for the console), health and metrics. Internal network only. */
export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  const read = new ReadRepository(deps.db);
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  app.use((req, res, next) => {
    res.locals.requestId = req.header('x-request-id') ?? randomUUID();
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await deps.ready();
    res.status(r.ok ? 200 : 503).json(r);
  });
  app.get('/metrics', async (_req, res) => {
    const counts = await read.openTaskCounts().catch(() => new Map<string, number>());
    for (const kind of ['POSSIBLE_MATCH', 'ATTRIBUTE_CONFLICT', 'IDENTIFIER_CONFLICT'])
      deps.metrics.reviewOpen.set({ kind }, counts.get(kind) ?? 0);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get('/review-tasks', async (req, res) => {
    const q = parse(ListQuery, req.query);
    const tasks = await read.listReviewTaskViews({
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.entity ? { entityType: q.entity } : {}),
      ...(q.after !== undefined ? { afterId: q.after } : {}),
    });
    res.json({ items: tasks, next: tasks.length === q.limit ? tasks[tasks.length - 1]?.id : null });
  });
  app.get('/review-tasks/:id', async (req, res) => {
    res.json(await read.getReviewTaskView(parse(z.coerce.number().int().min(1), req.params.id)));
  });
  app.get('/stats', async (_req, res) => {
    res.json(await read.stats());
  });
  // A full scan of source_records: computed at most once per SOURCE_COUNTS_TTL and shared by callers.
  let sourceCounts: { at: number; items: Promise<SourceRecordCount[]> } | undefined;
  app.get('/source-counts', async (_req, res) => {
    const now = Date.now();
    if (!sourceCounts || now - sourceCounts.at > SOURCE_COUNTS_TTL_MS) {
      const items = read.sourceRecordCounts();
      sourceCounts = { at: now, items };
      items.catch(() => {
        if (sourceCounts?.items === items) sourceCounts = undefined; // a failure is not cached
      });
    }
    const { at, items } = sourceCounts;
    res.json({ items: await items, at: new Date(at).toISOString() });
  });
  app.post('/review-tasks/:id/resolve', async (req, res) => {
    const id = parse(z.coerce.number().int().min(1), req.params.id);
    const body = parse(ResolveBody, req.body);
    await deps.db.transaction(async (trx) => {
      const store = new KnexStewardStore(trx);
      await deps.steward.resolveTask(
        store,
        id,
        body.decision === 'PICK_VALUE'
          ? { decision: body.decision, source: body.source }
          : body.decision === 'SPLIT'
            ? { decision: body.decision, sourceRecords: body.sourceRecords }
            : { decision: body.decision },
        body,
      );
      await store.flush();
    });
    res.json({ ok: true });
  });

  app.get('/masters/:entity/:id', async (req, res) => {
    res.json(await read.getMaster(parse(Entity, req.params.entity), req.params.id));
  });
  app.get('/masters/:entity/:id/history', async (req, res) => {
    res.json({ items: await read.history(parse(Entity, req.params.entity), req.params.id) });
  });
  app.post('/masters/:entity/:id/split', async (req, res) => {
    const entity = parse(Entity, req.params.entity);
    const body = parse(SplitBody, req.body);
    const created = await deps.db.transaction(async (trx) => {
      const store = new KnexStewardStore(trx);
      const id = await deps.steward.split(store, entity, req.params.id, body.sourceRecords, body);
      await store.flush();
      return id;
    });
    res.status(201).json({ masterId: req.params.id, splitMasterId: created });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(res.locals.requestId);
    if (err instanceof AppError && err.httpStatus < 500) {
      res
        .status(err.httpStatus)
        .json({ error: { code: err.code, message: err.message, details: err.details, requestId } });
      return;
    }
    deps.logger.error(
      { err: err instanceof Error ? err.message : 'unknown', requestId },
      'http_request_failed',
    );
    const status = err instanceof AppError ? err.httpStatus : 500;
    res.status(status).json({
      error: {
        code: err instanceof AppError ? err.code : 'INTERNAL',
        message: 'internal error',
        requestId,
      },
    });
  });
  return app;
}
