import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@hub/log';
import { loadConfig } from '../config.js';
import type { StewardService } from '../domain/steward.js';
import { createMetrics } from '../metrics.js';
import { createHttpApp } from './app.js';

// The read side is the database's; here only who may reach it matters.
vi.mock('../db/read.repository.js', () => ({
  ReadRepository: class {
    stats() {
      return Promise.resolve({ openReviewTasks: 3, mergesLastHour: 0, splitsLastHour: 0 });
    }
    openTaskCounts() {
      return Promise.resolve(new Map<string, number>());
    }
  },
}));

const TOKEN = 'a-long-internal-token-0123456789';
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createHttpApp({
    db: {} as Knex,
    steward: {} as StewardService,
    metrics: createMetrics(),
    logger: silentLogger(),
    ready: () => Promise.resolve({ ok: true, checks: {} }),
    apiToken: TOKEN,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const get = (path: string, authorization?: string) =>
  fetch(`${base}${path}`, authorization === undefined ? {} : { headers: { authorization } });

describe('internal steward API with INTERNAL_API_TOKEN', () => {
  it('refuses a request without a token, or with a wrong one, with 401 and the standard error body', async () => {
    for (const auth of [undefined, `Bearer ${TOKEN}x`, 'Bearer nope', `Basic ${TOKEN}`]) {
      const res = await get('/stats', auth);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(typeof body.error.requestId).toBe('string');
    }
    const split = await fetch(`${base}/masters/citizen/C-1/split`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(split.status).toBe(401);
    expect((await get('/masters/citizen/C-1')).status).toBe(401);
  });

  it('serves a request carrying the token', async () => {
    const res = await get('/stats', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ openReviewTasks: 3, mergesLastHour: 0, splitsLastHour: 0 });
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await get(path)).status).toBe(200);
  });
});

describe('HTTP_HOST and INTERNAL_API_TOKEN config', () => {
  const env = {
    DATABASE_URL: 'postgres://app@localhost/hub',
    KAFKA_BROKERS: 'a:9092',
    SCHEMA_REGISTRY_URL: 'http://localhost:8081/apis/ccompat/v7',
    SURVIVORSHIP_AUTHORITIES: '{"identity":["population"]}',
  };
  it('listens on loopback without a token by default; an empty token means none', () => {
    const c = loadConfig({ ...env, INTERNAL_API_TOKEN: '' });
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.INTERNAL_API_TOKEN).toBeUndefined();
  });
  it('takes a host and a token, and refuses a token too short to be a secret', () => {
    const c = loadConfig({ ...env, HTTP_HOST: '0.0.0.0', INTERNAL_API_TOKEN: TOKEN });
    expect(c.HTTP_HOST).toBe('0.0.0.0');
    expect(c.INTERNAL_API_TOKEN).toBe(TOKEN);
    expect(() => loadConfig({ ...env, INTERNAL_API_TOKEN: 'short' })).toThrow(/INTERNAL_API_TOKEN/);
  });
});
