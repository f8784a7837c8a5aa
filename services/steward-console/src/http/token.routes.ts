import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, UnauthorizedError, ValidationError } from '@hub/errors';
import type { AccessRepository } from '../db/access.repository.js';
import { verifyPassword } from '../domain/access.js';
import { parse } from './deps.js';
import type { LoginThrottle } from './login-throttle.js';
import { currentUser, state } from './session.js';

export interface TokenDeps {
  readonly access: AccessRepository;
  readonly now: () => number;
  /** Per username, shared with the login form. */
  readonly throttle: LoginThrottle;
  /** Per client address, so one machine cannot walk through usernames. */
  readonly ipThrottle: LoginThrottle;
  /** Lifetime of a token issued here; null = until revoked. */
  readonly tokenTtlMs: number | null;
}

class TooManyAttemptsError extends AppError {
  override readonly httpStatus = 429;
  constructor() {
    super(
      'TOO_MANY_ATTEMPTS',
      'Quá nhiều lần đăng nhập sai, hãy thử lại sau 15 phút / too many failed logins, try again in 15 minutes',
    );
  }
}

const TokenBody = z.object({
  username: z.string().trim().min(1).max(200),
  password: z.string().min(1).max(1000),
  name: z.string().trim().min(1).max(200).optional(),
});

/**
 * API tokens for the `hub` command line and scripts. `POST /api/tokens` trades a username and
 * password for a token (shown once); the token then goes in `Authorization: Bearer …` and acts as
 * that user with its role. Bearer requests need no CSRF token: a browser never attaches one on its
 * own, which is what CSRF abuses.
 */
export function tokenRoutes(d: TokenDeps): Router {
  const r = Router();

  r.post('/api/tokens', async (req: Request, res: Response) => {
    if (!req.is('application/json')) throw new ValidationError('gửi JSON / send application/json');
    const body = parse(TokenBody, req.body);
    const ipKey = `ip:${req.ip ?? 'unknown'}`;
    const refuse = async (why: string): Promise<never> => {
      await d.access.audit({
        username: body.username,
        action: 'api_token_created',
        outcome: 'refused',
        reason: why,
        details: { ip: req.ip ?? null },
      });
      if (why === 'too many failed attempts') throw new TooManyAttemptsError();
      throw new UnauthorizedError(
        'Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản bị khóa / wrong username or password, or the account is locked',
      );
    };
    if (d.throttle.blocked(body.username) || d.ipThrottle.blocked(ipKey))
      return refuse('too many failed attempts');
    const found = await d.access.findCredentials(body.username);
    const valid =
      found !== undefined &&
      !found.user.disabled &&
      (await verifyPassword(body.password, found.passwordHash));
    if (!found || !valid) {
      d.throttle.fail(body.username);
      d.ipThrottle.fail(ipKey);
      return refuse(found?.user.disabled ? 'account disabled' : 'wrong credentials');
    }
    d.throttle.clear(body.username);
    const name = body.name ?? `hub cli ${new Date(d.now()).toISOString().slice(0, 10)}`;
    const expiresAt = d.tokenTtlMs === null ? null : d.now() + d.tokenTtlMs;
    const { id, token } = await d.access.createApiToken(found.user.id, name, expiresAt);
    await d.access.audit({
      username: found.user.username,
      action: 'api_token_created',
      target: String(id),
      outcome: 'ok',
      details: { name, via: 'api' },
    });
    res.status(201).json({
      token,
      id,
      name,
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      user: { username: found.user.username, displayName: found.user.displayName, role: found.user.role },
    });
  });

  /** `hub logout`: the token used for this request stops working. */
  r.delete('/api/tokens/current', async (_req: Request, res: Response) => {
    const user = currentUser(res);
    const tokenId = state(res).tokenId;
    if (tokenId === undefined)
      throw new ValidationError('yêu cầu này không dùng mã truy cập / this request did not use an API token');
    await d.access.revokeApiToken(tokenId, d.now());
    await d.access.audit({
      username: user.username,
      action: 'api_token_revoked',
      target: String(tokenId),
      outcome: 'ok',
    });
    res.json({ revoked: tokenId });
  });
  return r;
}
