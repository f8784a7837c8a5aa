import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { AppError, errorMessage } from '@hub/errors';
import type { Authenticator } from '../domain/app-registry.js';
import type { ClientStore, TokenIssuer } from '../domain/oauth.js';
import type { ConsolidationClient } from '../clients/consolidation.client.js';
import { AuthFailureLimiter } from './auth-failures.js';
import { businessesRouter } from './businesses.router.js';
import { catalogueRouter } from './catalogue.router.js';
import { citizensRouter } from './citizens.router.js';
import { callerOf, type HttpDeps } from './context.js';
import { docsRouter } from './docs.js';
import { dossiersRouter } from './dossiers.router.js';
import { accessLogRouter, feedRouter } from './feed.router.js';
import { oauthRouter } from './oauth.router.js';
import { openApiDocument } from './openapi.js';

export interface AppDeps extends HttpDeps {
  readonly authenticator: Authenticator;
  readonly consolidation: ConsolidationClient;
  readonly catalogue: () => Promise<Record<string, unknown>>;
  readonly ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  readonly authFailuresPerMinute: number;
  readonly trustProxy?: string | undefined;
  /** The local OAuth2 token endpoint and JWKS (absent: tokens come from an external IdP, or none). */
  readonly tokenEndpoint?: { readonly store: ClientStore; readonly issuer: TokenIssuer } | undefined;
}

function errorBody(res: Response, code: string, message: string, details?: readonly unknown[]) {
  return { error: { code, message, requestId: String(res.locals.requestId ?? ''), ...(details && details.length > 0 ? { details } : {}) } };
}

/** The matched route template (`/citizens/:masterId`), never the URL itself. */
export function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

function bearer(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth !== undefined) return /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? '';
  return req.get('x-api-key');
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  app.use(helmet());

  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    res.locals.requestId = given !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    res.set('x-request-id', String(res.locals.requestId));
    const end = deps.metrics.httpDuration.startTimer({ method: req.method });
    // Route templates only: URLs may hold personal numbers and names.
    res.on('finish', () => end({ route: routeOf(req), status: String(res.statusCode) }));
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
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  const spec = openApiDocument(deps.pageSize.max, deps.tokenEndpoint !== undefined);
  app.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  app.use(docsRouter());
  app.use(catalogueRouter(deps.catalogue));

  // Failed authentications per client address: slows down key guessing (scrypt is costly too).
  const failures = new AuthFailureLimiter(deps.authFailuresPerMinute);
  app.use(failures.middleware((res) => void res.status(429).json(errorBody(res, 'RATE_LIMITED', 'too many failed authentications from this address; wait a minute'))));
  // The token endpoint sits behind the failure limiter: invalid_client answers are 401s and count.
  if (deps.tokenEndpoint) app.use(oauthRouter(deps.tokenEndpoint.store, deps.tokenEndpoint.issuer));
  app.use(async (req, res, next) => {
    res.locals.caller = await deps.authenticator.authenticate(bearer(req));
    next();
  });
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: (_req, res) => callerOf(res).rateLimitPerMinute,
      keyGenerator: (_req, res) => callerOf(res).appId,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => void res.status(429).json(errorBody(res, 'RATE_LIMITED', `rate limit of ${callerOf(res).rateLimitPerMinute} requests per minute exceeded for this application`)),
    }),
  );
  app.use('/citizens', citizensRouter(deps, deps.consolidation));
  app.use('/businesses', businessesRouter(deps, deps.consolidation));
  app.use('/dossiers', dossiersRouter(deps, deps.consolidation));
  app.use('/feeds', feedRouter(deps));
  app.use('/access-log', accessLogRouter(deps));

  app.use((_req, res) => {
    res.status(404).json(errorBody(res, 'NOT_FOUND', 'no such endpoint; see /openapi.json'));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError) {
      if (err.httpStatus === 401) res.set('www-authenticate', bearer(req) ? 'Bearer realm="datasets-api", error="invalid_token"' : 'Bearer realm="datasets-api"');
      if (err.httpStatus >= 500) deps.logger.warn({ requestId: res.locals.requestId, code: err.code, err: err.message }, 'request_failed');
      res.status(err.httpStatus).json(errorBody(res, err.code, err.message, err.details));
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(errorBody(res, 'BAD_REQUEST', 'the request could not be read'));
      return;
    }
    deps.logger.error({ requestId: res.locals.requestId, method: req.method, err: errorMessage(err) }, 'request_crashed');
    res.status(500).json(errorBody(res, 'INTERNAL', 'internal error; quote the requestId when reporting it'));
  });
  return app;
}
