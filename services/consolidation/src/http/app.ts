import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError, ValidationError } from '@hub/errors';
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
/** A master id as the hub mints them (UUIDs) and as the datasets API accepts them: no NUL, no markup, bounded. */
const MasterId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'a master id is 1–100 letters, digits, ".", "_", ":" or "-"');
/** A review task id: a positive bigint that JavaScript holds exactly (never out of PostgreSQL's range). */
const TaskId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** Free text bound for PostgreSQL, which refuses NUL (U+0000) in text: refused here with a 400 instead. */
const Text = z
  .string()
  .min(1)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)');
const SourceRef = z.object({ system: Text, recordId: Text });
const Steward = { steward: Text, reason: Text };
const ResolveBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('MERGE'), ...Steward }),
  z.object({ decision: z.literal('KEEP_APART'), ...Steward }),
  z.object({
    decision: z.literal('PICK_VALUE'),
    source: SourceRef,
    ...Steward,
  }),
  z.object({
    decision: z.literal('SPLIT'),
    sourceRecords: z.array(SourceRef).min(1),
    ...Steward,
  }),
]);
const SplitBody = z.object({
  sourceRecords: z.array(SourceRef).min(1),
  ...Steward,
});
const TaskParams = z.object({ id: TaskId });
const MasterParams = z.object({ entity: Entity, id: MasterId });
const ListQuery = z.object({
  status: z.enum(['OPEN', 'RESOLVED']).optional(),
  kind: z.enum(['POSSIBLE_MATCH', 'ATTRIBUTE_CONFLICT', 'IDENTIFIER_CONFLICT']).optional(),
  entity: Entity.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** Codes for the 4xx that express and its body parser raise themselves (http-errors, never AppError). */
const REFUSAL_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};
const REFUSAL_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'malformed JSON body',
  'entity.too.large': 'request body too large (limit 256 kB)',
  'charset.unsupported': 'unsupported charset: only UTF-8 is accepted',
  'encoding.unsupported': 'unsupported content encoding',
  'entity.verify.failed': 'request body refused',
  'request.aborted': 'request aborted',
};

/** A client error raised by express or the body parser (a 4xx `status`), as status, code and message. */
function clientRefusal(err: unknown): { status: number; code: string; message: string } | undefined {
  if (err === null || typeof err !== 'object' || err instanceof AppError) return undefined;
  const { status, type, message } = err as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const decode = typeof message === 'string' && message.startsWith('Failed to decode param');
  return {
    status,
    code: REFUSAL_CODES[status] ?? 'BAD_REQUEST',
    message:
      (typeof type === 'string' ? REFUSAL_MESSAGES[type] : undefined) ??
      (decode ? 'a path segment is not valid percent-encoded UTF-8' : 'the request could not be read'),
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ field: `/${i.path.join('/')}`, problem: i.message }));
  // The message names the parameter(s) too: the console shows it to the steward as it is.
  const named = details.map((d) => `${d.field}: ${d.problem}`).join('; ');
  throw new ValidationError(`invalid request: ${named.length > 300 ? `${named.slice(0, 300)}…` : named}`, {
    details,
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
    res.json(await read.getReviewTaskView(parse(TaskParams, req.params).id));
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
    const { id } = parse(TaskParams, req.params);
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
    const { entity, id } = parse(MasterParams, req.params);
    res.json(await read.getMaster(entity, id));
  });
  app.get('/masters/:entity/:id/history', async (req, res) => {
    const { entity, id } = parse(MasterParams, req.params);
    res.json({ items: await read.history(entity, id) });
  });
  app.post('/masters/:entity/:id/split', async (req, res) => {
    const { entity, id } = parse(MasterParams, req.params);
    const body = parse(SplitBody, req.body);
    const created = await deps.db.transaction(async (trx) => {
      const store = new KnexStewardStore(trx);
      const splitId = await deps.steward.split(store, entity, id, body.sourceRecords, body);
      await store.flush();
      return splitId;
    });
    res.status(201).json({ masterId: id, splitMasterId: created });
  });

  app.use((_req, _res, next) => {
    next(new NotFoundError('no such endpoint'));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(res.locals.requestId);
    if (err instanceof AppError && err.httpStatus < 500) {
      res
        .status(err.httpStatus)
        .json({ error: { code: err.code, message: err.message, details: err.details, requestId } });
      return;
    }
    // The body parser's refusals (malformed JSON, over the limit, a charset other than UTF-8) and the
    // router's (a path segment that is not valid percent-encoding) are the client's: answered as such.
    const refused = clientRefusal(err);
    if (refused) {
      res.status(refused.status).json({ error: { code: refused.code, message: refused.message, requestId } });
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
