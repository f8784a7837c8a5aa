import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderWorld } from '../departments/render.js';
import type { SourceRecord } from '../departments/types.js';
import { PolicePushClient, type PushResponse } from './police-push.js';

/** A tiny stand-in for the hub's http-ingest endpoint (which does not exist yet). */
function stub() {
  const received: Array<Record<string, unknown>> = [];
  let failNext = 0;
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  app.post('/ingest', (req, res) => {
    if (req.header('x-api-key') !== 'secret') {
      res.status(401).json({ error: 'bad key' });
      return;
    }
    if (failNext > 0) {
      failNext--;
      res.status(503).json({ error: 'busy' });
      return;
    }
    const events = (req.body as { records: Array<Record<string, unknown>> }).records;
    if (!req.header('idempotency-key')) {
      res.status(400).json({ error: 'no idempotency key' });
      return;
    }
    received.push(...events);
    res.status(202).json({ accepted: events.length });
  });
  return { app, received, failOnce: (n: number) => (failNext = n) };
}

describe('police residence push client', () => {
  const target = stub();
  let server: Server;
  let url = '';
  const events: SourceRecord[] = [];
  for (const { records } of renderWorld({ seed: 9, people: 500 }))
    events.push(...records['police-residence']);
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = target.app.listen(0, '127.0.0.1', () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('pushes every event in order with its API key and reports each response', async () => {
    const reported: PushResponse[] = [];
    const client = new PolicePushClient({
      targetUrl: url,
      apiKey: 'secret',
      batchSize: 50,
      onResponse: (r) => reported.push(r),
    });
    await client.load(events);
    target.failOnce(1);
    const first = await client.flush();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 503, ok: false });
    expect(client.pending).toBe(events.length);
    await client.flush();
    expect(client.pending).toBe(0);
    expect(target.received.map((e) => e.eventId)).toEqual(events.map((e) => e.id));
    expect(reported.filter((r) => r.ok).every((r) => r.status === 202)).toBe(true);
    expect((await client.counts()).delivered?.total).toBe(events.length);
    const tick = await client.tick(3);
    expect(tick.inserted).toBe(3);
    expect(target.received.length).toBe(events.length + 3);
  });

  it('reports a wrong key and an unreachable target without losing events', async () => {
    const wrong = new PolicePushClient({ targetUrl: url, apiKey: 'nope' });
    await wrong.load(events.slice(0, 5));
    expect((await wrong.flush())[0]).toMatchObject({ status: 401, ok: false });
    expect(wrong.pending).toBe(5);
    const down = new PolicePushClient({
      targetUrl: 'http://127.0.0.1:9/ingest',
      apiKey: 'secret',
      timeoutMs: 2000,
    });
    await down.load(events.slice(0, 5));
    const [r] = await down.flush();
    expect(r?.status).toBe(0);
    expect(r?.error).toBeTruthy();
    expect(down.pending).toBe(5);
  });
});
