/**
 * Observations/s through consolidation into PostgreSQL (no Kafka in the loop): the same batch
 * handler the consumer runs (one transaction per 500 observations: locks, resolution, survivorship,
 * history, lineage, outbox, processed events, offsets), fed from memory. Also measures the raw
 * batched-upsert speed of the same rows into source_records as a ceiling.
 *
 *   DATABASE_URL=postgres://… npm run bench -w @hub/consolidation   (default: the launcher's PostgreSQL)
 *   BENCH_PERSONS=10000
 *   BENCH_BATCH=500            observations per transaction (small batches show the fixed cost per batch)
 *   BENCH_PARTITIONS=2         partitions consolidated concurrently (the service's default; 1 = one at a time)
 *   BENCH_MODE=per-statement   the reference path (a statement per read and write) instead of the batch path
 *   BENCH_PROFILE=1            the statements that cost the most time
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { silentLogger } from '@hub/log';
import type { CitizenObserved } from '@hub/schemas';
import { createObservationHandler } from '../src/consumers/observations.consumer.js';
import { Consolidator } from '../src/domain/consolidator.js';
import { createDb, migrateLatest } from '../src/db/migrations.js';
import { KINDS } from '../src/kinds.js';
import { createMetrics } from '../src/metrics.js';
import { aCitizenObserved, address, day } from '../src/fixtures.test-support.js';
import { consumePartitioned, TEST_AUTHORITIES, TEST_MATCHING } from '../src/handler.test-support.js';

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Quang', 'Ngọc', 'Hữu'];
const GIVEN = [
  'An',
  'Bình',
  'Cường',
  'Dũng',
  'Giang',
  'Hải',
  'Khánh',
  'Lan',
  'Mai',
  'Nam',
  'Phúc',
  'Quân',
  'Sơn',
  'Tâm',
  'Uyên',
  'Vinh',
  'Xuân',
  'Yến',
  'Hòa',
  'Thảo',
];
const COMMUNES = ['02290', '02287', '02293', '02296', '02299', '02302', '02305', '02308'];

function province(persons: number): CitizenObserved[] {
  const out: CitizenObserved[] = [];
  for (let i = 0; i < persons; i++) {
    const fullName = `${FAMILY[i % 10]} ${MIDDLE[Math.floor(i / 10) % 8]} ${GIVEN[Math.floor(i / 80) % 20]}`;
    const year = 1940 + (i % 80);
    const base = {
      fullName,
      dateOfBirth: day(year, (i % 12) + 1, (i % 28) + 1),
      sex: i % 2 ? ('MALE' as const) : ('FEMALE' as const),
      currentAddress: address(COMMUNES[i % 8] ?? '02290'),
    };
    const pid = `0081${String(year).slice(2)}${String(i).padStart(6, '0')}`;
    // Two thirds carry a personal number in both sources; one third needs probabilistic matching.
    if (i % 3 !== 2) {
      out.push(aCitizenObserved({ system: 'population', recordId: `pop-${i}`, personalId: pid, ...base }));
      out.push(
        aCitizenObserved({
          system: 'civil-status',
          recordId: `cs-${i}`,
          minute: 1,
          personalId: pid,
          ...base,
        }),
      );
    } else {
      out.push(aCitizenObserved({ system: 'civil-status', recordId: `cs-${i}`, ...base }));
      out.push(aCitizenObserved({ system: 'health', recordId: `h-${i}`, minute: 1, ...base }));
    }
  }
  // Sources arrive department by department, not person by person.
  return [...out.filter((_, i) => i % 2 === 0), ...out.filter((_, i) => i % 2 === 1)];
}

function adminUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const endpoints = JSON.parse(
    readFileSync(new URL('../../../.infra/endpoints.json', import.meta.url), 'utf8'),
  ) as { DATABASE_URL: string };
  return endpoints.DATABASE_URL;
}

async function main(): Promise<void> {
  const persons = Number(process.env.BENCH_PERSONS ?? 10_000);
  const name = `consolidation_bench_test_${randomBytes(3).toString('hex')}`;
  const admin = createDb(adminUrl(), { max: 1 });
  await admin.raw(`create database ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 4 });
  try {
    await migrateLatest(db);
    const profile = new Map<string, { n: number; ms: number }>();
    const starts = new Map<string, number>();
    if (process.env.BENCH_PROFILE) {
      db.on('query', (q: { __knexQueryUid: string }) => starts.set(q.__knexQueryUid, performance.now()));
      db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
        const t = performance.now() - (starts.get(q.__knexQueryUid) ?? performance.now());
        const key = q.sql.slice(0, 90);
        const e = profile.get(key) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += t;
        profile.set(key, e);
      });
    }
    const observations = province(persons);
    const handler = createObservationHandler({
      db,
      consolidator: new Consolidator({
        kinds: KINDS,
        authorities: TEST_AUTHORITIES,
        matching: TEST_MATCHING,
      }),
      kinds: KINDS,
      groupId: 'bench',
      topicTypes: new Map([['obs.citizen', 'citizen']]),
      metrics: createMetrics(),
      logger: silentLogger(),
      mode: process.env.BENCH_MODE === 'per-statement' ? 'per-statement' : 'batch',
    });
    const size = Number(process.env.BENCH_BATCH ?? 500);
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    // Partitions consumed concurrently, as the service does (CONSUMER_PARTITIONS_CONCURRENTLY).
    const lanes = Number(process.env.BENCH_PARTITIONS ?? 2);
    const { retries } = await consumePartitioned(handler, 'obs.citizen', observations, {
      partitions: lanes,
      batchSize: size,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    for (const [sql, e] of [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
      process.stderr.write(`${Math.round(e.ms)}ms ${e.n}x ${sql}\n`);
    }
    const masters = Number(
      (await db('citizens').where('status', 'ACTIVE').count<{ n: string }[]>({ n: '*' }))[0]?.n,
    );

    // Ceiling: the same rows as plain batched upserts into source_records.
    await db('source_records').delete();
    const rawStart = process.hrtime.bigint();
    for (let i = 0; i < observations.length; i += size) {
      const rows = observations.slice(i, i + size).map((o) => ({
        entity_type: 'citizen',
        source_system: o.source.system,
        source_record_id: o.source.recordId,
        master_id: o.eventId,
        event_id: o.eventId,
        observed_at: o.occurredAt,
        observation: JSON.stringify(o),
      }));
      await db.transaction(async (trx) => {
        await trx('source_records')
          .insert(rows)
          .onConflict(['entity_type', 'source_system', 'source_record_id'])
          .merge();
      });
    }
    const rawSeconds = Number(process.hrtime.bigint() - rawStart) / 1e9;
    const result = {
      mode: process.env.BENCH_MODE === 'per-statement' ? 'per-statement' : 'batch',
      observations: observations.length,
      persons,
      activeMasters: masters,
      seconds: Math.round(seconds * 100) / 100,
      observationsPerSecond: Math.round(observations.length / seconds),
      // CPU time of this process (resolution in memory, JSON, the driver) while consolidating.
      nodeCpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
      partitionsConcurrently: lanes,
      deadlockRetries: retries,
      rawUpsertPerSecond: Math.round(observations.length / rawSeconds),
      // Without autovacuum dead rows stay and statistics go stale: the rate falls as masters grow.
      postgresAutovacuum: (
        await db.raw<{ rows: { v: string }[] }>(`select current_setting('autovacuum') as v`)
      ).rows[0]?.v,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await db.destroy();
    await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  }
}

await main();
