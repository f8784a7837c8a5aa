import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startHarness, type Harness } from './int-harness.test-support.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ consolidation: false });
});

afterAll(async () => {
  await h?.stop();
});

const issue = (username: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  fetch(`${h.base}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password, name: 'test cli' }),
  });

const bearer = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${h.base}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });

async function tokenFor(username: string): Promise<string> {
  const res = await issue(username);
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('API tokens: bearer auth for the hub command line', () => {
  it('trades a password for a token that acts as the user, stores only a hash, and audits it', async () => {
    const res = await issue('steward');
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      token: string;
      id: number;
      expiresAt: string;
      user: { role: string };
    };
    expect(body.token).toMatch(/^hubc_[A-Za-z0-9_-]{43}$/);
    expect(body.user.role).toBe('steward');
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    const stored = (await h.db('api_tokens').where('id', body.id).first()) as { token_hash: string };
    expect(stored.token_hash).not.toContain(body.token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const me = (await (await bearer(body.token, '/api/session')).json()) as {
      user: { username: string };
      auth: string;
      csrfToken: unknown;
    };
    expect(me).toMatchObject({ user: { username: 'steward' }, auth: 'token', csrfToken: null });
    expect((await bearer(body.token, '/api/health')).status).toBe(200);
    const audit = (await h.db('audit_log').where({ action: 'api_token_created', username: 'steward' })) as {
      outcome: string;
    }[];
    expect(audit.map((a) => a.outcome)).toEqual(['ok']);
  });

  it('needs no CSRF token with a bearer token, and keeps the role: a viewer may not replay', async () => {
    const viewer = await tokenFor('viewer');
    const replay = await bearer(viewer, '/api/dead-letters/replay', {
      method: 'POST',
      body: JSON.stringify({ ids: [1] }),
    });
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const steward = await tokenFor('steward');
    const asSteward = await bearer(steward, '/api/dead-letters/replay', {
      method: 'POST',
      body: JSON.stringify({ ids: [999_999], reason: 'test' }),
    });
    expect(asSteward.status).toBe(200);
    expect(((await asSteward.json()) as { refused: number }).refused).toBe(1);
  });

  it('refuses a wrong, unknown or revoked token with 401 and never falls back to a cookie', async () => {
    expect((await bearer('hubc_not-a-real-token', '/api/health')).status).toBe(401);
    const token = await tokenFor('admin');
    const revoke = await bearer(token, '/api/tokens/current', { method: 'DELETE' });
    expect(revoke.status).toBe(200);
    const after = await bearer(token, '/api/health');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain('revoked');
    expect((await fetch(`${h.base}/api/health`)).status).toBe(401);
  });

  it('refuses wrong passwords with 401 and locks the username after 5 failures (429)', async () => {
    for (let i = 0; i < 5; i++) expect((await issue('admin', 'sai-mật-khẩu-test')).status).toBe(401);
    const locked = await issue('admin');
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_ATTEMPTS');
    expect((await issue('nobody-test', 'x')).status).toBe(401);
    const form = await fetch(`${h.base}/api/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=viewer&password=${encodeURIComponent(PASSWORD)}`,
    });
    expect(form.status).toBe(400);
    const refused = (await h
      .db('audit_log')
      .where({ action: 'api_token_created', outcome: 'refused' })) as unknown[];
    expect(refused.length).toBe(7);
  });
});
