import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderWorld } from '../departments/render.js';
import type { SourceRecord } from '../departments/types.js';
import { OneStopApi } from './one-stop-api.js';

const records: SourceRecord[] = [];
for (const { records: r } of renderWorld({ seed: 8, people: 2000 })) records.push(...r['one-stop']);
const KEY = 'test-key';

interface Page {
  data: Array<{ id: number; maHoSo: string; ngayCapNhat: string; daXoa: boolean }>;
  page: number;
  totalItems: number;
  totalPages: number;
}

describe('one-stop dossier REST API', () => {
  const api = new OneStopApi({ apiKeys: [KEY] });
  const get = (path: string, key: string | null = KEY) =>
    fetch(`${api.url}${path}`, { headers: key === null ? {} : { 'x-api-key': key } });
  beforeAll(async () => {
    await api.start();
    await api.load(records);
  });
  afterAll(async () => {
    await api.stop();
  });

  it('refuses requests without a valid API key', async () => {
    expect((await get('/api/v1/dossiers', null)).status).toBe(401);
    expect((await get('/api/v1/dossiers', 'wrong')).status).toBe(401);
  });

  it('serves every dossier exactly once across pages, ordered by ngayCapNhat', async () => {
    const seen: Page['data'] = [];
    let page = 1;
    let totalPages = 1;
    do {
      const body = (await (await get(`/api/v1/dossiers?page=${page}&pageSize=97`)).json()) as Page;
      seen.push(...body.data);
      totalPages = body.totalPages;
      page++;
    } while (page <= totalPages);
    expect(seen.map((d) => d.id).sort((a, b) => a - b)).toEqual(
      records.map((r) => Number(r.id)).sort((a, b) => a - b),
    );
    const times = seen.map((d) => Date.parse(d.ngayCapNhat));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect((await get('/api/v1/dossiers?pageSize=100000')).status).toBe(400);
  });

  it('filters by updatedSince and shows live changes (inserts, status changes, deletions) through it', async () => {
    const since = new Date().toISOString();
    const all = (await (
      await get(
        `/api/v1/dossiers?updatedSince=${encodeURIComponent('2025-12-01T00:00:00+07:00')}&pageSize=500`,
      )
    ).json()) as Page;
    expect(all.data.every((d) => Date.parse(d.ngayCapNhat) >= Date.parse('2025-12-01T00:00:00+07:00'))).toBe(
      true,
    );
    const tick = await api.tick(20);
    const changed = (await (
      await get(`/api/v1/dossiers?updatedSince=${encodeURIComponent(since)}&pageSize=500`)
    ).json()) as Page;
    expect(changed.totalItems).toBeGreaterThan(0);
    expect(changed.totalItems).toBeLessThanOrEqual(tick.inserted + tick.updated + tick.deleted);
    expect(changed.totalItems).toBeGreaterThanOrEqual(tick.inserted);
    const counts = await api.counts();
    expect(counts.dossiers?.total).toBe(records.length + tick.inserted);
  });

  it('answers 429 with Retry-After above the rate limit', async () => {
    const limited = new OneStopApi({ apiKeys: [KEY], rateLimit: { perSecond: 1, burst: 3 } });
    await limited.start();
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${limited.url}/api/v1/dossiers`, { headers: { 'x-api-key': KEY } });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.stop();
    }
  });

  it('injects faults: a burst of 503s, random 500s and slow responses', async () => {
    api.setFaults({ burst5xx: 2 });
    expect([
      (await get('/api/v1/dossiers')).status,
      (await get('/api/v1/dossiers')).status,
      (await get('/api/v1/dossiers')).status,
    ]).toEqual([503, 503, 200]);
    api.setFaults({ errorRate: 1 });
    expect((await get('/api/v1/dossiers')).status).toBe(500);
    api.setFaults({ slowMs: 300 });
    const started = Date.now();
    expect((await get('/api/v1/dossiers?pageSize=1')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    api.setFaults({});
  });
});
