/**
 * A/B of the access-log write alone, on the bench database (run `npm run bench` once first):
 * `per-row` = one INSERT (one commit) per request, as before group commit; `group` =
 * GovernanceRepository.logAccess (concurrent requests share one multi-row INSERT). CONCURRENCY
 * callers each await their own write, like requests in flight. Same process, same host, interleaved.
 */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { createDb } from '../src/db/migrations.js';
import { GovernanceRepository, type AccessLogEntry } from '../src/db/governance.repository.js';

const endpoints = JSON.parse(
  readFileSync(new URL('../../../.infra/endpoints.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const u = new URL(
  process.env.DATABASE_URL ?? endpoints.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
u.pathname = '/hub_datasets_bench';
const TOTAL = Number(process.env.BENCH_WRITES ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const POOL = Number(process.env.DATABASE_POOL_MAX ?? 20);

async function measure(name: string, write: (e: AccessLogEntry) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const i = next++;
        const s = performance.now();
        await write({
          requestId: `ab-${name}-${i}`,
          appId: 'app_bench',
          purpose: 'access-log A/B',
          dataset: 'citizen',
          endpoint: 'GET /citizens/by-identifier/:identifier',
          recordIds: [`bench-c-${i}`],
          fields: ['fullName', 'personalId'],
        });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  console.log(
    JSON.stringify({
      mode: name,
      writes: TOTAL,
      concurrency: CONCURRENCY,
      pool: POOL,
      perSecond: Math.round(TOTAL / secs),
      p50ms: pct(0.5),
      p99ms: pct(0.99),
      load1: Number(loadavg()[0]?.toFixed(1)),
    }),
  );
}

const db = createDb(u.toString(), { max: POOL });
const repo = new GovernanceRepository(db);
const perRow = async (e: AccessLogEntry) => {
  await db('access_log').insert({
    request_id: e.requestId,
    app_id: e.appId,
    purpose: e.purpose,
    dataset: e.dataset,
    endpoint: e.endpoint,
    record_ids: [...e.recordIds],
    fields: [...e.fields],
  });
};
try {
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 2); round++) {
    await measure('per-row', perRow);
    await measure('group', (e) => repo.logAccess(e));
  }
} finally {
  await db.destroy();
}
