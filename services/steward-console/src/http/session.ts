import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError, ForbiddenError, UnauthorizedError } from '@hub/errors';
import { can, type Permission } from '../domain/access.js';
import type { Lang } from '../domain/format.js';
import type { Session } from '../db/access.repository.js';
import type { PageContext } from './views/html.js';

export const SESSION_COOKIE = 'hub_console_session';
export const LOGIN_CSRF_COOKIE = 'hub_console_login_csrf';
export const LANG_COOKIE = 'hub_console_lang';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try {
      const v = decodeURIComponent(part.slice(i + 1).trim());
      // U+0000 cannot reach PostgreSQL (a session lookup would fail): such a cookie is ignored.
      if (!v.includes('\0')) out[k] = v;
    } catch {
      /* a malformed cookie is ignored, never fatal */
    }
  }
  return out;
}

export interface CookieOptions {
  readonly secure: boolean;
}

export function setCookie(res: Response, name: string, value: string, opts: CookieOptions & { maxAgeSeconds?: number; httpOnly?: boolean }): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'SameSite=Lax'];
  if (opts.httpOnly ?? true) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.floor(opts.maxAgeSeconds)}`);
  res.append('Set-Cookie', parts.join('; '));
}

/** Per-request state kept in res.locals, typed. */
export interface RequestState {
  requestId: string;
  lang: Lang;
  cookies: Record<string, string>;
  session: Session | undefined;
  /** Set when the request authenticated with `Authorization: Bearer <api token>` (no cookie, no CSRF). */
  tokenId: number | undefined;
}

export const state = (res: Response): RequestState => res.locals as RequestState;

export function isApi(req: Request): boolean {
  return req.path.startsWith('/api/');
}

export function pageContext(req: Request, res: Response): PageContext {
  const s = state(res);
  const user = s.session?.user;
  return {
    lang: s.lang,
    user,
    csrfToken: s.session?.csrfToken ?? '',
    path: req.originalUrl.replace(/([?&])lang=(vi|en)&?/, '$1').replace(/[?&]$/, ''),
    can: (p) => (user ? can(user.role, p as Permission) : false),
  };
}

/** `?lang=en` switches and remembers the language in a cookie; Vietnamese otherwise. */
export function languageMiddleware(cookie: CookieOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const s = state(res);
    s.cookies = parseCookies(req.header('cookie'));
    const q = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    if (q === 'en' || q === 'vi') {
      s.lang = q;
      setCookie(res, LANG_COOKIE, q, { ...cookie, maxAgeSeconds: 365 * 86_400, httpOnly: false });
    } else s.lang = s.cookies[LANG_COOKIE] === 'en' ? 'en' : 'vi';
    next();
  };
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CsrfError extends AppError {
  override readonly httpStatus = 403;
  constructor() {
    super('CSRF_FAILED', 'Thiếu hoặc sai mã chống giả mạo (CSRF) / missing or invalid CSRF token');
  }
}

/**
 * Every state-changing request must carry the session's CSRF token (form field `_csrf` or header
 * `x-csrf-token`). The login form, which has no session yet, uses a double-submit cookie instead.
 */
export function csrfMiddleware(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
  const s = state(_res);
  // A bearer token is never attached by a browser on its own, so it cannot be forged cross-site.
  if (s.tokenId !== undefined) return next();
  // Trading a password for a token: authenticated by the password itself, answered as JSON only.
  if (req.path === '/api/tokens') return next();
  const sent = req.header('x-csrf-token') ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
  const token = typeof sent === 'string' ? sent : undefined;
  if (req.path === '/login') {
    if (!sameToken(token, s.cookies[LOGIN_CSRF_COOKIE])) return next(new CsrfError());
    return next();
  }
  if (!s.session) return next(new UnauthorizedError('Cần đăng nhập / login required'));
  if (!sameToken(token, s.session.csrfToken)) return next(new CsrfError());
  next();
}

/**
 * The login form's token. An existing one is kept: a second GET /login (another tab, or the
 * browser's favicon request bouncing through the login redirect) must not invalidate the first form.
 */
export function newLoginCsrf(res: Response, cookie: CookieOptions): string {
  const existing = state(res).cookies[LOGIN_CSRF_COOKIE];
  const token = existing && /^[A-Za-z0-9_-]{32}$/.test(existing) ? existing : randomBytes(24).toString('base64url');
  setCookie(res, LOGIN_CSRF_COOKIE, token, { ...cookie, maxAgeSeconds: 3600 });
  return token;
}

/** Pages redirect to the login form; the JSON API answers 401. */
export function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (state(res).session) return next();
  if (isApi(req)) return next(new UnauthorizedError('Cần đăng nhập / login required'));
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

export function currentUser(res: Response): Session['user'] {
  const u = state(res).session?.user;
  if (!u) throw new UnauthorizedError('Cần đăng nhập / login required');
  return u;
}

export function authorize(res: Response, permission: Permission): Session['user'] {
  const u = currentUser(res);
  if (!can(u.role, permission)) throw new ForbiddenError(`Vai trò ${u.role} không được phép thực hiện thao tác này / role ${u.role} may not ${permission.replace('_', ' ')}`);
  return u;
}

/** Only same-site relative paths: `next=` must never send a steward to another site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
