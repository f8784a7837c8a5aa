import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@hub/log';
import type { StewardService } from '../domain/steward.js';
import { createMetrics } from '../metrics.js';
import { createHttpApp } from './app.js';

// Found by test/src/hostile-input.int.test.ts (issue 11): hostile input reached the database or fell
// through to the catch-all and was answered 500. The read side is a stand-in: whatever reaches it is
// recorded, and nothing hostile may.
const reached = vi.hoisted(() => [] as string[]);
vi.mock('../db/read.repository.js', () => ({
  ReadRepository: class {
    getMaster(_type: string, id: string) {
      reached.push(id);
      return Promise.resolve({ masterId: id });
    }
    history(_type: string, id: string) {
      reached.push(id);
      return Promise.resolve([]);
    }
    getReviewTaskView(id: number) {
      reached.push(String(id));
      return Promise.resolve({ id });
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

async function call(
  method: string,
  path: string,
  body?: string | Buffer,
  type = 'application/json',
): Promise<{ status: number; code: unknown; fields: unknown[] }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body }),
  });
  const json = (await res.json()) as { error?: { code?: unknown; details?: { field?: unknown }[] } };
  return {
    status: res.status,
    code: json.error?.code,
    fields: [...new Set((json.error?.details ?? []).map((d) => d.field))],
  };
}

const split = JSON.stringify({
  sourceRecords: [{ system: 's', recordId: 'R-1' }],
  steward: 'an',
  reason: 'r',
});

describe('internal steward API: hostile input → a clean 4xx naming the problem, never a 500', () => {
  it('refuses a master id with NUL, markup or SQL, or over 100 characters, before the database', async () => {
    for (const id of ['%00', 'a%00b', "'%20OR%20'1'%3D'1", '%3Cscript%3E', 'A'.repeat(101)]) {
      expect(await call('GET', `/masters/citizen/${id}`), id).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: ['/id'],
      });
      expect((await call('GET', `/masters/citizen/${id}/history`)).status).toBe(400);
      expect((await call('POST', `/masters/citizen/${id}/split`, split)).status).toBe(400);
    }
    expect(reached).toEqual([]);
    expect((await call('GET', '/masters/citizen/3f1b2c4d-0000-4000-8000-000000000001')).status).toBe(200);
  });

  it('refuses a review task id beyond the safe integer range (PostgreSQL bigint) with a 400', async () => {
    for (const id of ['99999999999999999999', '1e309', '0', '-1'])
      expect(await call('GET', `/review-tasks/${id}`), id).toMatchObject({ status: 400, fields: ['/id'] });
    expect(await call('GET', '/review-tasks?after=99999999999999999999')).toMatchObject({
      status: 400,
      fields: ['/after'],
    });
  });

  it('refuses NUL in steward text (PostgreSQL refuses it in text columns)', async () => {
    const body = split.replace('R-1', 'R\\u00001');
    expect(await call('POST', '/masters/citizen/C-1/split', body)).toMatchObject({
      status: 400,
      fields: ['/sourceRecords/0/recordId'],
    });
  });

  it('answers the body parser and the router refusals with their own 4xx and an error body', async () => {
    expect(await call('GET', '/masters/citizen/%ZZ')).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await call('GET', '/review-tasks/%ED%A0%80')).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await call('POST', '/review-tasks/1/resolve', '{"decision":')).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
    });
    expect(
      await call('POST', '/review-tasks/1/resolve', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])),
    ).toMatchObject({
      status: 400,
    });
    expect(
      await call('POST', '/masters/citizen/C-1/split', JSON.stringify({ reason: 'A'.repeat(300_000) })),
    ).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(
      await call('POST', '/masters/citizen/C-1/split', split, 'application/json; charset=latin1'),
    ).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await call('GET', '/no/such/route')).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
