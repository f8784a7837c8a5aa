import { createHash, randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { AppError, ValidationError, errorMessage, isAppError } from '@hub/errors';
import type { Logger } from '@hub/log';
import type { Entity } from '@hub/connector-runtime';
import { ENTITY_PATHS, type HttpIngestConfig } from './config.js';
import type { ApiKeys } from './auth.js';
import { IdempotencyInProgressError, type IdempotencyStore } from './idempotency.js';
import { openApiDocument } from './openapi.js';
import type { PushChannel, RecordResult } from './push-channel.js';

class PayloadTooLargeError extends AppError {
  override readonly httpStatus = 413;
  constructor(message: string) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

class NotFoundRouteError extends AppError {
  override readonly httpStatus = 404;
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

type Body = { status: number; body: unknown };

interface Locals {
  requestId: string;
  bodySha256: string;
}

export interface IngestAppOptions {
  readonly config: HttpIngestConfig;
  readonly keys: ApiKeys;
  readonly channels: ReadonlyMap<string, PushChannel>;
  readonly idempotency: IdempotencyStore;
  readonly logger: Logger;
  readonly ready?: () => Promise<boolean>;
}

function toDetails(results: readonly RecordResult[], prefix: string) {
  return results.flatMap((r) =>
    r.status === 'rejected'
      ? r.errors.map((e) => ({
          field: `${prefix}${e.field}`,
          problem: `${e.code}: ${e.problem}`,
          ...(e.hint ? { hint: e.hint } : {}),
        }))
      : [],
  );
}

/**
 * The push API. Order of checks: API key (401/403) → body size (413) → JSON syntax (400) → rate
 * limit (429) → idempotency (replay/409/422) → per-record validation → publish → respond. Nothing
 * is answered as accepted before Kafka acknowledged it.
 */
export function createIngestApp(opts: IngestAppOptions): express.Express {
  const { config, keys, channels, idempotency, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());
  app.use((req, res, next) => {
    const locals = res.locals as Locals;
    locals.requestId = req.get('x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', locals.requestId);
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = [...channels.values()].every((c) => c.health().ok) && (opts.ready ? await opts.ready() : true);
    res.status(ok ? 200 : 503).json({ ok });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(config.maxBatchRecords));
  });

  const router = express.Router({ mergeParams: true });
  router.use((req: Request<{ source: string }>, res, next) => {
    const presented =
      req.get('x-api-key') ??
      (req.get('authorization')?.startsWith('Bearer ') ? req.get('authorization')?.slice(7) : undefined);
    keys.authorise(presented, req.params.source);
    next();
  });
  router.use(
    express.json({
      limit: config.bodyLimit,
      strict: false,
      verify: (_req, res, buf) => {
        ((res as unknown as Response).locals as Locals).bodySha256 = createHash('sha256')
          .update(buf)
          .digest('hex');
      },
    }),
  );
  if (config.rateLimitPerMinute > 0) {
    router.use(
      rateLimit({
        windowMs: 60_000,
        limit: config.rateLimitPerMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: (req) => (req.params as { source?: string }).source ?? 'unknown',
        handler: (_req, res) => {
          res.status(429).json({
            error: {
              code: 'RATE_LIMITED',
              message: `more than ${config.rateLimitPerMinute} requests per minute from this source`,
              requestId: (res.locals as Locals).requestId,
            },
          });
        },
      }),
    );
  }

  const handle =
    (batch: boolean) => async (req: Request<{ source: string; entities: string }>, res: Response) => {
      const locals = res.locals as Locals;
      const entity = ENTITY_PATHS[req.params.entities as keyof typeof ENTITY_PATHS] as Entity | undefined;
      const channel = channels.get(req.params.source);
      if (!entity || !channel?.allows(entity))
        throw new NotFoundRouteError(`source ${req.params.source} may not push ${req.params.entities}`);
      const body: unknown = req.body;
      let records: unknown[];
      if (batch) {
        const list = (body as { records?: unknown } | null)?.records;
        if (!Array.isArray(list))
          throw new ValidationError('the body must be {"records": [...]}', {
            details: [{ field: 'records', problem: 'missing or not an array' }],
          });
        if (list.length > config.maxBatchRecords)
          throw new PayloadTooLargeError(
            `a batch may hold at most ${config.maxBatchRecords} records; this one has ${list.length}`,
          );
        if (list.length === 0)
          throw new ValidationError('the batch is empty', {
            details: [{ field: 'records', problem: 'has no records' }],
          });
        records = list;
      } else records = [body];

      const key = req.get('idempotency-key');
      if (key !== undefined && (key.length === 0 || key.length > 200))
        throw new ValidationError('Idempotency-Key must be 1–200 characters', {
          details: [{ field: 'Idempotency-Key', problem: 'bad length' }],
        });
      if (key) {
        const claim = await idempotency.claim(channel.source.system, key, `${req.path}:${locals.bodySha256}`);
        if (claim.kind === 'replay') {
          res.setHeader('idempotent-replayed', 'true');
          res.status(claim.status).json(claim.body);
          return;
        }
      }
      let out: Body;
      try {
        const results = await channel.ingest(entity, records);
        const accepted = results.filter((r) => r.status === 'accepted').length;
        if (batch) {
          out = {
            status: accepted === results.length ? 200 : accepted === 0 ? 400 : 207,
            body: { accepted, rejected: results.length - accepted, results },
          };
        } else {
          const r = results[0] as RecordResult;
          out =
            r.status === 'accepted'
              ? { status: 200, body: r }
              : {
                  status: 400,
                  body: {
                    error: {
                      code: 'VALIDATION_FAILED',
                      message: `record ${r.recordId ?? '(no recordId)'} is invalid`,
                      requestId: locals.requestId,
                      details: toDetails([r], ''),
                    },
                  },
                };
        }
      } catch (e) {
        if (key) await idempotency.release(channel.source.system, key).catch(() => undefined);
        throw e;
      }
      if (key) await idempotency.complete(channel.source.system, key, out.status, out.body);
      logger.info(
        {
          source: channel.source.system,
          entity,
          records: records.length,
          status: out.status,
          requestId: locals.requestId,
        },
        'records_ingested',
      );
      res.status(out.status).json(out.body);
    };
  router.post('/:entities', handle(false));
  router.post('/:entities/batch', handle(true));
  app.use('/v1/sources/:source', router);

  app.use((_req, _res, next) => next(new NotFoundRouteError('unknown path; see /openapi.json')));
  // One error middleware: AppErrors keep their status; body-parser's errors become 413/400; the rest is a 500 that hides internals.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = (res.locals as Partial<Locals>).requestId ?? '';
    const type = (error as { type?: string } | null)?.type;
    let status = 500;
    let body: Record<string, unknown> = { code: 'INTERNAL', message: 'internal error', requestId };
    if (type === 'entity.too.large') {
      status = 413;
      body = { code: 'PAYLOAD_TOO_LARGE', message: `the body is larger than ${config.bodyLimit}`, requestId };
    } else if (type === 'entity.parse.failed') {
      status = 400;
      body = {
        code: 'MALFORMED_JSON',
        message: `the body is not valid JSON: ${errorMessage(error)}`,
        requestId,
      };
    } else if (isAppError(error)) {
      status = error.httpStatus;
      body = {
        code: error.code,
        message: error.message,
        requestId,
        ...(error.details.length ? { details: error.details } : {}),
      };
      if (error.retriable) res.setHeader('retry-after', '5');
      if (error instanceof IdempotencyInProgressError)
        res.setHeader('retry-after', String(error.retryAfterSeconds));
    }
    if (status >= 500) logger.error({ requestId, err: errorMessage(error) }, 'request_failed');
    res.status(status).json({ error: body });
  });
  return app;
}
