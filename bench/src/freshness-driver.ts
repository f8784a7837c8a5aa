/**
 * The freshness path's load driver (started by side-by-side.bench.ts as its own process, so its
 * event loop and CPU are its own): POSTs single canonical citizens to http-ingest at a fixed rate,
 * open loop — record i is sent at start + i / rate whatever the answers of earlier ones — and writes
 * when each was sent, its status and its acknowledgement time to a JSON file. Prints counts only.
 *
 *   node --import tsx bench/src/freshness-driver.ts --url U --key K --rate 500 --seconds 30
 *        --tag T --first 0 --out FILE [--warmup 5]
 *
 * `--warmup S`: first S seconds at the same rate with other records (serials from
 * STEADY_WARMUP_BASE), not written to the arrays: the chain is measured in its steady state, after
 * the JIT, the connection pools and the consumers have warmed up to the rate (the first seconds of a
 * cold chain took 2–9 s per record on a 2-core machine, session 6). The schedule does not pause
 * between the two.
 */
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { STEADY_WARMUP_BASE, citizenRecord, epochMs, type DriverResult } from './freshness.js';

function opt(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}
const URL_ = new URL(opt('url'));
const KEY = opt('key');
const RATE = Number(opt('rate'));
const SECONDS = Number(opt('seconds'));
const TAG = opt('tag');
const FIRST = Number(opt('first'));
const OUT = opt('out');
const N = Math.round(RATE * SECONDS);
const WARMUP_S = process.argv.includes('--warmup') ? Number(opt('warmup')) : 0;
const W = Math.round(RATE * WARMUP_S);

const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const sentAt = new Array<number>(N).fill(NaN);
const status = new Array<number>(N).fill(0);
const ackMs = new Array<number>(N).fill(NaN);
const errors: Record<string, number> = {};
let answered = 0;
let maxLag = 0;
const warm = { answered: 0, accepted: 0 };

/** The k-th send of the schedule: warm-up records first, then the measured ones. */
function send(k: number): void {
  const t = epochMs();
  if (k < W) {
    warmUp(JSON.stringify(citizenRecord(STEADY_WARMUP_BASE + k, TAG, new Date(t).toISOString())), true);
    return;
  }
  const i = k - W;
  const body = JSON.stringify(citizenRecord(FIRST + i, TAG, new Date(t).toISOString()));
  sentAt[i] = t;
  post(i, t, body, true);
}

const headersFor = (body: string) => ({
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  'x-api-key': KEY,
});

/** A warm-up record: only whether it was accepted is kept. */
function warmUp(body: string, retry: boolean): void {
  const req = request(URL_, { method: 'POST', agent, headers: headersFor(body) }, (res) => {
    res.resume();
    res.once('end', () => {
      if (res.statusCode === 200) warm.accepted++;
      warm.answered++;
    });
  });
  req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
  req.once('error', (e: NodeJS.ErrnoException) => {
    if (retry && req.reusedSocket && e.code === 'ECONNRESET') {
      warmUp(body, false);
      return;
    }
    warm.answered++;
  });
  req.end(body);
}

/**
 * One POST; `retry`: a keep-alive socket that the server closed as idle just as it was reused fails
 * with ECONNRESET before the request was read (the race Node's docs describe for `reusedSocket`) —
 * it is sent once more, as any department client should do (the record's eventId is the same, so a
 * repeat would be dropped by consolidation). Its send time stays the first attempt's.
 */
function post(i: number, t: number, body: string, retry: boolean): void {
  const req = request(URL_, { method: 'POST', agent, headers: headersFor(body) }, (res) => {
    res.resume();
    res.once('end', () => {
      status[i] = res.statusCode ?? 0;
      ackMs[i] = epochMs() - t;
      if (status[i] !== 200) errors[`HTTP ${status[i]}`] = (errors[`HTTP ${status[i]}`] ?? 0) + 1;
      answered++;
    });
  });
  req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
  req.once('error', (e: NodeJS.ErrnoException) => {
    if (retry && req.reusedSocket && e.code === 'ECONNRESET') {
      post(i, t, body, false);
      return;
    }
    errors[e.message] = (errors[e.message] ?? 0) + 1;
    answered++;
  });
  req.end(body);
}

async function main(): Promise<void> {
  const t0 = performance.now() + 20;
  const total = W + N;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * RATE) / 1000) + 1);
      for (; next < due; next++) {
        if (next >= W) maxLag = Math.max(maxLag, now - (t0 + (next * 1000) / RATE));
        send(next);
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, t0 + (next * 1000) / RATE - performance.now()));
    };
    setTimeout(tick, 20);
  });
  const until = performance.now() + 90_000;
  while ((answered < N || warm.answered < W) && performance.now() < until)
    await new Promise((r) => setTimeout(r, 50));
  const first = sentAt[0] ?? NaN;
  const last = sentAt[N - 1] ?? NaN;
  const result: DriverResult = {
    rate: RATE,
    seconds: SECONDS,
    sentAt,
    status,
    ackMs,
    errors,
    achievedRate: N > 1 ? ((N - 1) / (last - first)) * 1000 : NaN,
    maxScheduleLagMs: maxLag,
    ...(W > 0 ? { warmup: { seconds: WARMUP_S, sent: W, accepted: warm.accepted } } : {}),
  };
  writeFileSync(OUT, JSON.stringify(result));
  const ok = status.filter((s) => s === 200).length;
  process.stdout.write(
    `driver: ${W > 0 ? `${W} warm-up records (${warm.accepted} accepted), then ` : ''}${N} sent at ${result.achievedRate.toFixed(0)}/s, ${ok} accepted, ${N - answered} unanswered, max schedule lag ${maxLag.toFixed(0)} ms\n`,
  );
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
