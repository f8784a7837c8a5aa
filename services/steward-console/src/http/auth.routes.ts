import { Router, type Request, type Response } from 'express';
import type { AccessRepository } from '../db/access.repository.js';
import { verifyPassword } from '../domain/access.js';
import type { LoginThrottle } from './login-throttle.js';
import { html, layout, tr, type PageContext } from './views/html.js';
import { SESSION_COOKIE, newLoginCsrf, pageContext, safeNext, setCookie, state, type CookieOptions } from './session.js';

export interface AuthDeps {
  readonly access: AccessRepository;
  readonly sessionTtlMs: number;
  readonly cookie: CookieOptions;
  readonly now: () => number;
  /** Shared with POST /api/tokens (token.routes.ts). */
  readonly throttle: LoginThrottle;
}

function loginPage(ctx: PageContext, csrf: string, next: string, error?: string): string {
  return layout(
    ctx,
    tr(ctx, 'Đăng nhập', 'Log in'),
    html`<form method="post" action="/login" class="card login">
  <input type="hidden" name="_csrf" value="${csrf}">
  <input type="hidden" name="next" value="${next}">
  ${error ? html`<p class="notice notice-red" role="alert">${error}</p>` : ''}
  <label>${tr(ctx, 'Tên đăng nhập', 'Username')} <input name="username" autocomplete="username" required autofocus></label>
  <label>${tr(ctx, 'Mật khẩu', 'Password')} <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">${tr(ctx, 'Đăng nhập', 'Log in')}</button>
</form>`,
  );
}

export function authRoutes(d: AuthDeps): Router {
  const r = Router();
  const throttle = d.throttle;

  r.get('/login', (req: Request, res: Response) => {
    const csrf = newLoginCsrf(res, d.cookie);
    res.type('html').send(loginPage(pageContext(req, res), csrf, safeNext(req.query.next)));
  });

  r.post('/login', async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown; next?: unknown }; // no body when the form came in another content type
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const ctx = pageContext(req, res);
    const refuse = async (why: string, status: number): Promise<void> => {
      await d.access.audit({ username: username || '(empty)', action: 'login', outcome: 'refused', reason: why });
      const csrf = newLoginCsrf(res, d.cookie);
      res.status(status).type('html').send(loginPage(ctx, csrf, safeNext(body.next), tr(ctx, 'Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản bị tạm khóa.', 'Wrong username or password, or the account is locked.')));
    };
    if (throttle.blocked(username)) return refuse('too many failed attempts', 429);
    const found = username ? await d.access.findCredentials(username) : undefined;
    const valid = found !== undefined && !found.user.disabled && (await verifyPassword(password, found.passwordHash));
    if (!found || !valid) {
      throttle.fail(username);
      return refuse(found?.user.disabled ? 'account disabled' : 'wrong credentials', 401);
    }
    throttle.clear(username);
    const { token } = await d.access.createSession(found.user.id, d.sessionTtlMs, d.now());
    setCookie(res, SESSION_COOKIE, token, { ...d.cookie, maxAgeSeconds: d.sessionTtlMs / 1000 });
    await d.access.audit({ username, action: 'login', outcome: 'ok' });
    res.redirect(303, safeNext(body.next));
  });

  r.post('/logout', async (_req: Request, res: Response) => {
    const s = state(res);
    const token = s.cookies[SESSION_COOKIE];
    if (token) await d.access.deleteSession(token);
    if (s.session) await d.access.audit({ username: s.session.user.username, action: 'logout', outcome: 'ok' });
    setCookie(res, SESSION_COOKIE, '', { ...d.cookie, maxAgeSeconds: 0 });
    res.redirect(303, '/login');
  });
  return r;
}
