import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, RestClient, RestRequestError } from './rest-client.js';
import { TokenBucket } from './rate-limiter.js';

let server: Server;
let base: string;
const script: Array<{ status: number; delayMs?: number; headers?: Record<string, string> }> = [];
const seen: Array<{ key: string | undefined; at: number }> = [];

beforeAll(async () => {
  const app = express();
  app.get('/api/items', (req, res) => {
    seen.push({ key: req.header('x-api-key'), at: Date.now() });
    const step = script.shift() ?? { status: 200 };
    setTimeout(() => {
      if (res.writableEnded) return;
      for (const [k, v] of Object.entries(step.headers ?? {})) res.setHeader(k, v);
      res.status(step.status).json(step.status === 200 ? { data: [1, 2] } : { error: 'no' });
    }, step.delayMs ?? 0);
  });
  await new Promise<void>((r) => (server = app.listen(0, '127.0.0.1', () => r())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(over: Partial<ConstructorParameters<typeof RestClient>[0]> = {}) {
  return new RestClient({
    baseUrl: base,
    headers: { 'X-API-Key': 'k1' },
    timeoutMs: 200,
    retry: { attempts: 4, baseMs: 5, maxMs: 20 },
    rateLimit: { perSecond: 1000, burst: 10 },
    maxRetryAfterMs: 5_000,
    system: 'test',
    ...over,
  });
}

describe('RestClient (real HTTP server)', () => {
  it('retries 503s, 500s and timeouts, then returns the body', async () => {
    script.length = 0;
    seen.length = 0;
    script.push({ status: 503 }, { status: 500 }, { status: 200, delayMs: 400 }, { status: 200 });
    const c = client();
    expect(await c.getJson('/api/items', { page: 1 })).toEqual({ data: [1, 2] });
    expect(c.stats).toMatchObject({ requests: 4, retries: 3 });
    expect(seen.every((s) => s.key === 'k1')).toBe(true);
  });

  it('gives up after the attempts with a retriable error', async () => {
    script.length = 0;
    script.push({ status: 502 }, { status: 502 }, { status: 502 }, { status: 502 });
    await expect(client().getJson('/api/items')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retriable: true,
    });
  });

  it('waits what a 429 Retry-After says', async () => {
    script.length = 0;
    seen.length = 0;
    script.push({ status: 429, headers: { 'Retry-After': '1' } }, { status: 200 });
    const waits: number[] = [];
    const c = client({ sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    expect(await c.getJson('/api/items')).toEqual({ data: [1, 2] });
    expect(waits).toContain(1000);
    expect(c.stats.rateLimited).toBe(1);
  });

  it('does not retry a 401 (configuration problem)', async () => {
    script.length = 0;
    seen.length = 0;
    script.push({ status: 401 });
    await expect(client().getJson('/api/items')).rejects.toBeInstanceOf(RestRequestError);
    expect(seen).toHaveLength(1);
  });

  it('says why a request got no answer: the timeout with its length, a refused connection with its address', async () => {
    script.length = 0;
    script.push({ status: 200, delayMs: 400 }, { status: 200, delayMs: 400 });
    await expect(
      client({ retry: { attempts: 2, baseMs: 1, maxMs: 1 } }).getJson('/api/items'),
    ).rejects.toThrow(
      'test did not answer usefully after 2 attempt(s): /api/items: no answer within 200 ms (timeoutMs)',
    );
    // A port nothing listens on: fetch itself only says "fetch failed".
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(
      client({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }).getJson(
        '/api/items',
      ),
    ).rejects.toThrow(`/api/items: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('keeps a base path and adds query parameters', () => {
    const c = client({ baseUrl: 'http://h:1/gateway' });
    expect(c.url('/api/v1/x', { a: 1, b: undefined, s: '2025-01-01T00:00:00+07:00' })).toBe(
      'http://h:1/gateway/api/v1/x?a=1&s=2025-01-01T00%3A00%3A00%2B07%3A00',
    );
  });
});

describe('helpers', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('the token bucket allows the burst, then spaces requests at the rate', () => {
    let now = 0;
    const b = new TokenBucket(2, 3, () => now);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 0]);
    expect(b.tryTake()).toBe(500);
    now += 500;
    expect(b.tryTake()).toBe(0);
    b.pauseUntil(now + 1000);
    expect(b.tryTake()).toBe(1000);
  });
});
