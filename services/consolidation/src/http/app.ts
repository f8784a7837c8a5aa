import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError, UnauthorizedError, ValidationError } from '@hub/errors';
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
  /** When set, every route but /healthz, /readyz and /metrics requires `Authorization: Bearer <apiToken>`. */
  readonly apiToken?: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison: both sides hashed first, so neither content nor length leaks through timing. */
function sameToken(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
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

  // Everything below serves personal data or steward actions: the bearer token, when configured.
  if (deps.apiToken !== undefined) {
    const expected = digest(deps.apiToken);
    app.use((req, res, next) => {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '')?.[1];
      if (given === undefined || !sameToken(given, expected)) {
        res.setHeader('www-authenticate', 'Bearer');
        return next(new UnauthorizedError('missing or invalid bearer token for the internal steward API'));
      }
      next();
    });
  }
  // Bodies are parsed only once the caller is known.
  app.use(express.json({ limit: '256kb' }));

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
  // A full scan of source_records (seconds at province scale): taken at most once per
  // SOURCE_COUNTS_TTL, shared by callers; once one count exists, a stale one is served at once while
  // the next is taken in the background (`at` says when it was taken).
  let counted: { at: number; items: SourceRecordCount[] } | undefined;
  let counting: Promise<{ at: number; items: SourceRecordCount[] }> | undefined;
  const count = (): Promise<{ at: number; items: SourceRecordCount[] }> => {
    counting ??= (async () => {
      try {
        const at = Date.now();
        counted = { at, items: await read.sourceRecordCounts() };
        return counted;
      } finally {
        counting = undefined;
      }
    })();
    return counting;
  };
  app.get('/source-counts', async (_req, res) => {
    const current = counted;
    let result: { at: number; items: SourceRecordCount[] };
    if (current && Date.now() - current.at <= SOURCE_COUNTS_TTL_MS) result = current;
    else if (current) {
      count().catch(() => undefined); // served stale meanwhile; a failure shows on a later request
      result = current;
    } else result = await count();
    res.json({ items: result.items, at: new Date(result.at).toISOString() });
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
