import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, errorMessage, UnauthorizedError } from '@hub/errors';
import { apiRoutes } from './api.routes.js';
import { authRoutes } from './auth.routes.js';
import { LoginThrottle } from './login-throttle.js';
import { rejectNulInBody, rejectNulInPathAndQuery } from './nul-guard.js';
import type { ConsoleDeps } from './deps.js';
import { pageRoutes } from './pages.routes.js';
import { reviewRoutes } from './review.routes.js';
import { SESSION_COOKIE, csrfMiddleware, isApi, languageMiddleware, pageContext, requireLogin, state } from './session.js';
import { tokenRoutes } from './token.routes.js';
import { errorPage } from './views/html.js';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');
/** uPlot is served from node_modules: no CDN, the console works on an isolated network. */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Messages (Vietnamese first) for the body parser's refusals; they carry a 4xx `status` and a `type`. */
const BODY_PARSER_MESSAGES: Record<string, (e: BodyParserError) => string> = {
  'entity.too.large': (e) => `Nội dung yêu cầu quá lớn / request body too large${typeof e.limit === 'number' ? ` (limit ${e.limit} bytes)` : ''}`,
  'charset.unsupported': (e) => `Bảng mã không được hỗ trợ, chỉ nhận UTF-8 / unsupported charset${e.charset ? ` "${e.charset}"` : ''}, only UTF-8 is accepted`,
  'encoding.unsupported': (e) => `Kiểu mã hoá nội dung không được hỗ trợ / unsupported content encoding${e.encoding ? ` "${e.encoding}"` : ''}`,
  'entity.parse.failed': () => 'Nội dung JSON không hợp lệ / malformed JSON body',
  'parameters.too.many': () => 'Quá nhiều tham số biểu mẫu / too many form parameters',
};
const BODY_PARSER_CODES: Record<number, string> = { 400: 'BAD_REQUEST', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

interface BodyParserError {
  readonly status: number;
  readonly type: string;
  readonly limit?: unknown;
  readonly charset?: string;
  readonly encoding?: string;
}

/** A client error raised by the body parser (or another http-errors 4xx), never an AppError. */
function bodyParserError(err: unknown): BodyParserError | undefined {
  if (err === null || typeof err !== 'object' || err instanceof AppError) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; limit?: unknown; charset?: unknown; encoding?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return {
    status,
    type: typeof e.type === 'string' ? e.type : '',
    limit: e.limit,
    ...(typeof e.charset === 'string' ? { charset: e.charset } : {}),
    ...(typeof e.encoding === 'string' ? { encoding: e.encoding } : {}),
  };
}

export function createHttpApp(d: ConsoleDeps): express.Express {
  const app = express();
  const cookie = { secure: d.cookieSecure };
  app.disable('x-powered-by');
  app.set('query parser', 'extended');

  app.use((req, res, next) => {
    const s = state(res);
    s.requestId = req.header('x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', s.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? (res.statusCode === 404 ? 'unmatched' : req.path.split('/').slice(0, 2).join('/'));
      d.metrics.httpDuration.observe({ method: req.method, route: String(route), status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await d.ready();
    res.status(r.ok ? 200 : 503).json(r);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.use('/assets/uplot', express.static(UPLOT_DIR, { index: false, maxAge: '1h' }));
  app.use('/assets', express.static(PUBLIC_DIR, { index: false, maxAge: '1h' }));

  app.use((_req, res, next) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    next();
  });
  app.use(rejectNulInPathAndQuery);
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(express.json({ limit: '256kb' }));
  app.use(rejectNulInBody);
  app.use(languageMiddleware(cookie));
  app.use(async (req, res, next) => {
    const s = state(res);
    const token = s.cookies[SESSION_COOKIE];
    try {
      // A bearer token, when sent, decides alone: a bad one is refused, never replaced by a cookie.
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '')?.[1];
      if (bearer !== undefined) {
        const found = await d.access.findApiToken(bearer, d.now());
        if (!found) return next(new UnauthorizedError('Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi / API token invalid, expired or revoked'));
        s.tokenId = found.tokenId;
        s.session = { user: found.user, csrfToken: '', expiresAt: Number.POSITIVE_INFINITY };
        return next();
      }
      s.session = token ? await d.access.findSession(token, d.now()) : undefined;
      next();
    } catch (e) {
      next(e);
    }
  });
  app.use(csrfMiddleware);
  const throttle = new LoginThrottle(d.now);
  app.use(authRoutes({ access: d.access, sessionTtlMs: d.sessionTtlMs, cookie, now: d.now, throttle }));
  app.use(tokenRoutes({ access: d.access, now: d.now, throttle, ipThrottle: new LoginThrottle(d.now, 20), tokenTtlMs: d.apiTokenTtlMs }));
  app.use(requireLogin);
  app.use(apiRoutes(d));
  app.use(pageRoutes(d));
  app.use(reviewRoutes(d));

  app.use((req, res) => {
    if (isApi(req)) res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.path}`, requestId: state(res).requestId } });
    else res.status(404).type('html').send(errorPage(pageContext(req, res), 404, req.path));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = state(res).requestId;
    const client = bodyParserError(err);
    if (client) {
      // 413 body too large, 415 charset/encoding, 400 malformed: the client's fault, said plainly.
      const message = BODY_PARSER_MESSAGES[client.type]?.(client) ?? (client.status === 400 ? 'bad request' : `HTTP ${client.status}`);
      const code = BODY_PARSER_CODES[client.status] ?? 'BAD_REQUEST';
      d.logger.warn({ code, type: client.type, requestId, path: req.path, status: client.status }, 'http_request_refused');
      if (isApi(req) || req.header('accept')?.includes('application/json')) {
        res.status(client.status).json({ error: { code, message, requestId } });
        return;
      }
      res.status(client.status).type('html').send(errorPage(pageContext(req, res), client.status, `${message} (${requestId})`));
      return;
    }
    const known = err instanceof AppError && err.httpStatus < 500;
    const status = err instanceof AppError ? err.httpStatus : 500;
    if (!known && status >= 500) d.logger.error({ err: errorMessage(err), requestId, path: req.path }, 'http_request_failed');
    else d.logger.warn({ code: err instanceof AppError ? err.code : 'BAD_REQUEST', requestId, path: req.path, status }, 'http_request_refused');
    // A dependency that is down is worth saying plainly; anything else unexpected hides its internals.
    const message = known || (err instanceof AppError && err.code === 'DEPENDENCY_UNAVAILABLE') ? errorMessage(err) : status === 400 ? 'bad request' : 'internal error';
    const code = err instanceof AppError ? err.code : status === 400 ? 'BAD_REQUEST' : 'INTERNAL';
    if (isApi(req) || req.header('accept')?.includes('application/json')) {
      res.status(status).json({ error: { code, message, requestId, ...(known && err.details.length ? { details: err.details } : {}) } });
      return;
    }
    res.status(status).type('html').send(errorPage(pageContext(req, res), status, `${message}${known && err.details.length ? ` — ${err.details.map((x) => `${x.field ?? ''} ${x.problem}`).join('; ')}` : ''} (${requestId})`));
  });
  return app;
}
