/**
 * Open-loop HTTP load at a fixed arrival rate, for benchmarks (never for timed assertions).
 *
 * Request i is sent at `start + i / rate` whatever happened to the earlier ones, and its latency is
 * counted from that **scheduled** time: a stall of the server (or of this driver) shows up in the
 * latency of every request that should have been sent meanwhile, as wrk2 does ("coordinated
 * omission" corrected). This is what "p99 at 1,000 requests/s" means.
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a budget of requests per
 * second and sends the whole budget back-to-back at the start of every second, then idles. At
 * "1,000 req/s" over 50 connections the server sees bursts of 50 concurrent requests until the
 * second's 1,000 are spent — a closed-loop test at concurrency 50, not a steady arrival rate — and
 * the measured latency is mostly time queued behind the burst.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface OpenLoopRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoopOptions {
  /** Base URL (`http://host:port`); each request's `path` is resolved against it. */
  url: string;
  /** Arrivals per second. */
  rate: number;
  seconds: number;
  /** The i-th request (0-based). */
  request: (i: number) => OpenLoopRequest;
  /** Headers sent with every request (before the request's own). */
  headers?: Record<string, string>;
  /** Keep-alive sockets at most (requests beyond wait in the agent's queue; default 256). */
  maxSockets?: number;
  /** A request without an answer after this long counts as an error (default 30 s). */
  timeoutMs?: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface OpenLoopResult {
  sent: number;
  answered: number;
  /** Answers by status code. */
  status: Record<string, number>;
  non2xx: number;
  /** Transport errors by message (refused, reset, timeout). */
  errors: Record<string, number>;
  errorCount: number;
  /** Sent requests per second between the first and the last send. */
  achievedRate: number;
  /** Answers per second between the first send and the last answer. */
  answeredRate: number;
  /** Milliseconds from each request's scheduled send time to the end of its answer. */
  latencyMs: LatencySummary;
  /** Milliseconds from the actual send to the answer (what a closed-loop tool reports). */
  serviceTimeMs: LatencySummary;
  /** How far behind schedule this driver sent its most delayed request (ms). */
  maxScheduleLagMs: number;
  /** The slowest requests: when each was scheduled (ms after the first) and its latency — stalls show as clusters. */
  slowest: { atMs: number; latencyMs: number }[];
}

/** Nearest-rank percentiles of a sample (sorted in place). NaN for an empty sample. */
export function summarise(sample: Float64Array | number[]): LatencySummary {
  const xs = Float64Array.from(sample).sort();
  const at = (q: number): number => (xs.length === 0 ? NaN : (xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? NaN));
  const round = (x: number): number => Math.round(x * 100) / 100;
  let sum = 0;
  for (const x of xs) sum += x;
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(xs.length === 0 ? NaN : (xs[xs.length - 1] ?? NaN)),
    mean: round(xs.length === 0 ? NaN : sum / xs.length),
  };
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(opts.rate > 0) || !(opts.seconds > 0)) throw new Error('openLoop: rate and seconds must be positive');
  const base = new URL(opts.url);
  const n = Math.max(1, Math.round(opts.rate * opts.seconds));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256 });
  const latency = new Float64Array(n).fill(NaN);
  const service = new Float64Array(n).fill(NaN);
  const status: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let answered = 0;
  let maxLag = 0;
  let firstSend = NaN;
  let lastSend = NaN;
  let lastAnswer = NaN;
  let allAnswered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const finish = (): void => {
    answered++;
    lastAnswer = performance.now();
    if (answered === n) allAnswered();
  };

  const t0 = performance.now() + 10;
  const scheduled = (i: number): number => t0 + (i * 1000) / opts.rate;

  const send = (i: number, retry: boolean, sentAt: number): void => {
    const r = opts.request(i);
    const headers: Record<string, string | number> = { ...opts.headers, ...r.headers };
    if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
    const req = httpRequest(new URL(r.path, base), { method: r.method ?? 'GET', agent, headers }, (res) => {
      res.resume();
      res.once('end', () => {
        const end = performance.now();
        latency[i] = end - scheduled(i);
        service[i] = end - sentAt;
        const code = String(res.statusCode ?? 0);
        status[code] = (status[code] ?? 0) + 1;
        finish();
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (e: NodeJS.ErrnoException) => {
      // A keep-alive socket the server closed as idle just as it was reused fails before the request
      // was read (Node's `reusedSocket` race): sent once more, its schedule unchanged.
      if (retry && req.reusedSocket && e.code === 'ECONNRESET') {
        send(i, false, sentAt);
        return;
      }
      errors[e.message] = (errors[e.message] ?? 0) + 1;
      finish();
    });
    req.end(r.body);
  };

  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(n, Math.floor(((now - t0) * opts.rate) / 1000) + 1);
      for (; next < due; next++) {
        const at = performance.now();
        maxLag = Math.max(maxLag, at - scheduled(next));
        if (next === 0) firstSend = at;
        lastSend = at;
        send(next, true, at);
      }
      if (next >= n) resolve();
      else setTimeout(tick, Math.max(0, scheduled(next) - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  await done;
  agent.destroy();
  const count = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
  const non2xx = Object.entries(status)
    .filter(([code]) => !code.startsWith('2'))
    .reduce((a, [, c]) => a + c, 0);
  const answeredLatency = latency.filter((x) => !Number.isNaN(x));
  const slowest = [...latency.keys()]
    .filter((i) => !Number.isNaN(latency[i] ?? NaN))
    .sort((a, b) => (latency[b] ?? 0) - (latency[a] ?? 0))
    .slice(0, 10)
    .map((i) => ({ atMs: Math.round((i * 1000) / opts.rate), latencyMs: Math.round(latency[i] ?? NaN) }));
  return {
    sent: n,
    answered,
    status,
    non2xx,
    errors,
    errorCount: count(errors),
    achievedRate: n > 1 ? ((n - 1) * 1000) / (lastSend - firstSend) : NaN,
    answeredRate: (count(status) * 1000) / (lastAnswer - firstSend),
    latencyMs: summarise(answeredLatency),
    serviceTimeMs: summarise(service.filter((x) => !Number.isNaN(x))),
    maxScheduleLagMs: Math.round(maxLag * 100) / 100,
    slowest,
  };
}

export type FixedOpenLoopOptions = Omit<OpenLoopOptions, 'request'> & { readonly request: OpenLoopRequest };

/**
 * `openLoop` with the same request every time, run in a worker thread: for a server in this same
 * process, the driver must not queue behind the server's own event loop (nor delay it).
 */
export function openLoopInWorker(opts: FixedOpenLoopOptions): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    const self = new URL(import.meta.url);
    // Run from TypeScript sources (vitest, tsx): the worker registers tsx before loading this file.
    const worker = self.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); });`, {
          eval: true,
          workerData: { openLoop: opts },
        })
      : new Worker(self, { workerData: { openLoop: opts } });
    worker.once('message', (result: OpenLoopResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`open-loop worker exited with code ${code}`));
    });
  });
}

const job = isMainThread ? undefined : (workerData as { openLoop?: FixedOpenLoopOptions } | undefined)?.openLoop;
if (job && parentPort) {
  const port = parentPort;
  void openLoop({ ...job, request: () => job.request }).then((r) => port.postMessage(r));
}
