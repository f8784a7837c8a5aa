import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@hub/log';
import { Metrics } from '../metrics.js';
import { createHttpApp } from './app.js';
import type { ConsoleDeps } from './deps.js';

/*
 * The HTTP layer alone, with repositories that behave like PostgreSQL where it matters: a NUL in a
 * value fails the query. Anything reaching them with a NUL would answer 500.
 */
const TOKEN = 'valid-token';
const pgLike = (v: unknown) => {
  if (JSON.stringify(v ?? null).includes('\\u0000')) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
};
const replayed: unknown[] = [];
const deps = {
  metrics: new Metrics(),
  logger: silentLogger(),
  now: () => Date.now(),
  sessionTtlMs: 60_000,
  apiTokenTtlMs: null,
  cookieSecure: false,
  webhookConfigured: false,
  consolidation: undefined,
  ready: () => Promise.resolve({ ok: true, checks: {} }),
  access: {
    findApiToken: (t: string) => Promise.resolve().then(() => (pgLike(t), t === TOKEN ? { tokenId: 1, user: { id: 1, username: 'steward', displayName: 'Steward', role: 'admin' } } : undefined)),
    findSession: (t: string) => Promise.resolve().then(() => (pgLike(t), undefined)),
  },
  health: {
    findConnector: (id: string) => Promise.resolve().then(() => (pgLike(id), undefined)),
  },
  deadLetters: { openIds: (all: unknown) => Promise.resolve().then(() => (pgLike(all), [])) },
  replays: { replay: (ids: unknown[], _u: unknown, opts: unknown) => Promise.resolve().then(() => (pgLike(opts), replayed.push(ids), [])) },
} as unknown as ConsoleDeps;

let server: Server;
let base: string;
beforeAll(async () => {
  server = await new Promise<Server>((resolve) => {
    const s = createHttpApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (path: string, body: string, contentType = 'application/json') =>
  fetch(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body });
type ErrorBody = { error: { code: string; message: string; requestId: string; details?: { field: string }[] } };

describe('body parser refusals are client errors, not 500', () => {
  it('answers 413 to a 300 kB JSON body', async () => {
    const res = await post('/api/dead-letters/replay', JSON.stringify({ reason: 'x'.repeat(300_000) }));
    expect(res.status).toBe(413);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.error.message).toMatch(/^Nội dung yêu cầu quá lớn \/ request body too large/);
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers 415 to a JSON body in latin1', async () => {
    const res = await post('/api/dead-letters/replay', '{"ids":[1]}', 'application/json; charset=latin1');
    expect(res.status).toBe(415);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(body.error.message).toContain('unsupported charset "latin1"');
  });

  it('answers 400 to malformed JSON, and still replays a good body', async () => {
    const bad = await post('/api/dead-letters/replay', '{"ids":');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('BAD_REQUEST');
    const ok = await post('/api/dead-letters/replay', '{"ids":[7]}');
    expect(ok.status).toBe(200);
    expect(replayed).toContainEqual([7]);
  });
});

describe('NUL characters never reach PostgreSQL', () => {
  it('refuses a NUL in a path parameter with 400', async () => {
    const res = await fetch(`${base}/api/sources/%00/series`, { headers: auth });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toContain('path segment 3');
    // A plain unknown connector is still a 404: only the NUL is refused.
    expect((await fetch(`${base}/api/sources/nope/series`, { headers: auth })).status).toBe(404);
  });

  it('refuses a NUL in a query value with 400 naming the parameter', async () => {
    const res = await fetch(`${base}/api/sources/nope/series?minutes=5&topic=a%00b`, { headers: auth });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain('query parameter topic');
    expect(body.error.details?.[0]?.field).toBe('topic');
  });

  it('refuses a NUL in a JSON body string with 400 naming the field', async () => {
    const res = await post('/api/dead-letters/replay', JSON.stringify({ all: { topic: 'dlq.a\u0000' } }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain('body field /all/topic');
  });

  it('ignores a session cookie carrying a NUL (401, not 500)', async () => {
    const res = await fetch(`${base}/api/health`, { headers: { cookie: 'hub_console_session=a%00b' } });
    expect(res.status).toBe(401);
  });
});
