/**
 * `npx tsx bench/read-model.bench.ts` (datasets-api): the read-model writer alone — golden citizen
 * records applied in batches of BENCH_BATCH (500) into a fresh database, the statement-per-message
 * reference path against the set-based path, alternating, BENCH_RUNS (2) runs each of BENCH_RECORDS
 * (20,000) new records. Prints records/s (wall clock) and this process's CPU µs per record. No Kafka.
 */
import { loadavg } from 'node:os';
import { createDb, migrateLatest } from '../src/db/migrations.js';
import { ReadModelWriter, type OffsetChange } from '../src/db/read-model.writer.js';
import type { GoldenValue } from '../src/domain/records.js';

const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const N = Number(process.env.BENCH_RECORDS ?? 20_000);
const B = Number(process.env.BENCH_BATCH ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);

function citizen(n: number): OffsetChange {
  const masterId = `bench-${n}`;
  const value = {
    eventId: `${masterId}:1`,
    occurredAt: Date.UTC(2025, 7, 1),
    masterId,
    version: 1,
    change: 'CREATED',
    personalId: `008185${String(n).padStart(6, '0')}`,
    aliases: [],
    fullName: 'Nguyễn Thị Thuỷ',
    dateOfBirth: { year: 1985, month: 3, day: 12, precision: 'DAY' },
    sex: 'FEMALE',
    ethnicity: 'Tày',
    nationality: 'VN',
    permanentAddress: { provinceCode: '08', districtCode: null, communeCode: '02215', validOn: null, currentCommuneCodes: ['02215'], detail: 'Tổ 5', text: null },
    currentAddress: null,
    deceased: false,
    sources: [],
    mergedFrom: [],
  } as unknown as GoldenValue;
  return { dataset: 'citizen', masterId, version: 1, value, offset: String(n) };
}

async function run(mode: 'per-record' | 'set'): Promise<void> {
  const name = `read_model_bench_test_${Math.random().toString(36).slice(2, 8)}`;
  const admin = createDb(base.toString(), { max: 1 });
  await admin.raw(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 4 });
  try {
    await migrateLatest(db);
    const writer = new ReadModelWriter(db);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i += B) {
      const changes = Array.from({ length: Math.min(B, N - i) }, (_, j) => citizen(i + j));
      await writer.applyBatch({ groupId: 'bench', topic: 'master.citizen', partition: 0, nextOffset: String(i + changes.length) }, changes, mode);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    process.stdout.write(
      `${mode.padEnd(10)} ${Math.round(N / seconds)} records/s, ${Math.round((cpu.user + cpu.system) / N)} µs CPU/record (this process), load ${loadavg()[0]?.toFixed(1)}\n`,
    );
  } finally {
    await db.destroy();
    await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  }
}

for (let r = 0; r < RUNS; r++) {
  await run('per-record');
  await run('set');
}
