import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoop, openLoopInWorker, summarise } from './open-loop.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A loopback server answering after `delay(i)` ms; records when each request arrived. */
async function start(delay: (n: number) => number): Promise<{ url: string; arrivals: number[]; paths: string[] }> {
  const arrivals: number[] = [];
  const paths: string[] = [];
  server = createServer((req, res) => {
    const n = arrivals.push(performance.now()) - 1;
    paths.push(req.url ?? '');
    setTimeout(() => res.end(req.url === '/missing' ? undefined : 'ok'), delay(n));
    if (req.url === '/missing') res.statusCode = 404;
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, paths };
}

describe('summarise', () => {
  it('gives nearest-rank percentiles', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
    expect(summarise(xs)).toEqual({ p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 500.5 });
    expect(summarise([7])).toMatchObject({ p50: 7, p99: 7, max: 7 });
    expect(summarise([]).p99).toBeNaN();
  });
});

describe('openLoop', () => {
  it('spreads arrivals evenly over each second instead of sending them in a burst', async () => {
    const { url, arrivals, paths } = await start(() => 2);
    const r = await openLoop({ url, rate: 200, seconds: 1, request: (i) => ({ path: `/x/${i}` }) });
    expect(r.sent).toBe(200);
    expect(r.answered).toBe(200);
    expect(r.status).toEqual({ '200': 200 });
    expect(new Set(paths).size).toBe(200);
    // 200/s means one arrival every 5 ms: no 100 ms window may hold more than ~20 (+ timer slack).
    // A per-second budget sent back-to-back (autocannon's overallRate) puts all 200 in the first ~50 ms.
    let densest = 0;
    for (let a = 0, b = 0; b < arrivals.length; b++) {
      while (arrivals[b]! - arrivals[a]! > 100) a++;
      densest = Math.max(densest, b - a + 1);
    }
    expect(densest).toBeLessThanOrEqual(40);
    expect(arrivals[199]! - arrivals[0]!).toBeGreaterThan(800);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(2);
  });

  it('counts latency from the scheduled send, so a server stall shows in every request it delayed', async () => {
    // The server holds its 50th..59th answers for 300 ms; with a keep-alive pool of one socket the
    // requests scheduled behind them wait too — their latency must include that wait.
    const { url } = await start((n) => (n >= 50 && n < 60 ? 300 : 1));
    const r = await openLoop({ url, rate: 200, seconds: 1, maxSockets: 1, request: () => ({ path: '/' }) });
    expect(r.answered).toBe(200);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(2900);
    // Measured from the actual send only (closed-loop view) the worst request waits ~300 ms.
    expect(r.serviceTimeMs.max).toBeLessThan(r.latencyMs.max);
    expect(r.latencyMs.p90).toBeGreaterThan(300);
  });

  it('reports non-2xx answers and transport errors', async () => {
    const { url } = await start(() => 0);
    const r = await openLoop({ url, rate: 100, seconds: 0.2, request: (i) => ({ path: i % 2 ? '/missing' : '/' }) });
    expect(r.status).toEqual({ '200': 10, '404': 10 });
    expect(r.non2xx).toBe(10);
    const refused = await openLoop({ url: 'http://127.0.0.1:9', rate: 50, seconds: 0.1, request: () => ({ path: '/' }) });
    expect(refused.answered).toBe(5);
    expect(refused.errorCount).toBe(5);
    expect(refused.latencyMs.p50).toBeNaN();
  });

  it('runs in a worker thread with a fixed request, unaffected by a busy main thread', async () => {
    const { url, paths } = await start(() => 0);
    const running = openLoopInWorker({ url, rate: 100, seconds: 0.5, request: { path: '/w', method: 'POST', body: '{"a":1}' } });
    // Block this thread's event loop for 200 ms: the server answers late, but the worker sends on time.
    const until = performance.now() + 200;
    while (performance.now() < until);
    const r = await running;
    expect(r.sent).toBe(50);
    expect(r.status).toEqual({ '200': 50 });
    expect(new Set(paths)).toEqual(new Set(['/w']));
    expect(r.maxScheduleLagMs).toBeLessThan(100);
  });
});
