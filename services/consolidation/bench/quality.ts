/**
 * Matching quality against the generator's truth file (see src/quality.test-support.ts and
 * docs/benchmarks/quality.md): seeded population → connector mappings → consolidation (the
 * consumer's batch handler, PostgreSQL) → pairwise precision / recall / F1 per dataset.
 *
 *   npm run quality -w @hub/consolidation
 *   QUALITY_PEOPLE=10000 QUALITY_SEED=7   population size and seed (defaults 10000, 7)
 *   MATCH_CITIZEN_UPPER / _LOWER, MATCH_BUSINESS_UPPER / _LOWER   thresholds to try (defaults as deployed)
 *   DATABASE_URL=postgres://…   server to create the scratch database on (default: the launcher's)
 *   QUALITY_CONFIG_DIR=…   connector configurations to map with (default connectors/config/departments;
 *                          e.g. a copy of an older revision, to compare mappings on the same population)
 *   QUALITY_KEEP_DB=1   keep the consolidated database afterwards (its name is printed) to inspect plans
 *   QUALITY_PARTITIONS=2   partitions consolidated concurrently, spread by message key (the service default 2; 1 = one at a time)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EntityType } from '../src/domain/types.js';
import { createDb, migrateLatest } from '../src/db/migrations.js';
import {
  consolidate,
  DEFAULT_MATCHING,
  measure,
  population,
  type DatasetQuality,
  type Figures,
} from '../src/quality.test-support.js';

function adminUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const endpoints = JSON.parse(
    readFileSync(new URL('../../../.infra/endpoints.json', import.meta.url), 'utf8'),
  ) as { DATABASE_URL: string };
  return endpoints.DATABASE_URL;
}

const num = (name: string, fallback: number): number =>
  process.env[name] === undefined ? fallback : Number(process.env[name]);

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const row = (label: string, f: Figures): string =>
  `| ${label} | ${pct(f.precision)} | ${pct(f.recall)} | ${pct(f.f1)} | ${f.tp} | ${f.predicted} | ${f.truth} |`;

/**
 * Consolidation pace of the run: observations/s per dataset, and per tenth of each dataset, so that a
 * rate falling as the masters grow shows (one transaction per 500 observations, as the consumer).
 */
class Pace {
  private readonly slices = new Map<EntityType, { done: number; ms: number }[]>();
  private last = performance.now();
  private current: EntityType | undefined;
  private mark = { done: 0, at: performance.now() };

  batch(type: EntityType, done: number, total: number): void {
    const now = performance.now();
    if (type !== this.current) {
      this.current = type;
      this.mark = { done: 0, at: this.last };
    }
    this.last = now;
    const tenth = Math.max(1, Math.ceil(total / 10));
    if (done - this.mark.done >= tenth || done === total) {
      const list = this.slices.get(type) ?? [];
      list.push({ done: done - this.mark.done, ms: now - this.mark.at });
      this.slices.set(type, list);
      this.mark = { done, at: now };
    }
  }

  report(autovacuum: string): string[] {
    const rate = (n: number, ms: number): string => (ms > 0 ? String(Math.round((n * 1000) / ms)) : '–');
    const lines = [
      '| dataset | observations | seconds | obs/s | obs/s per tenth, first to last |',
      '|---|---:|---:|---:|---|',
    ];
    for (const [type, list] of this.slices) {
      const n = list.reduce((a, x) => a + x.done, 0);
      const ms = list.reduce((a, x) => a + x.ms, 0);
      lines.push(
        `| ${type} | ${n} | ${(ms / 1000).toFixed(1)} | ${rate(n, ms)} | ${list.map((x) => rate(x.done, x.ms)).join(' · ')} |`,
      );
    }
    lines.push(
      '',
      `peak resident memory of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB; PostgreSQL autovacuum ${autovacuum}${autovacuum === 'off' ? ' (dead rows stay and statistics go stale: the pace falls faster as masters grow)' : ''}`,
    );
    return lines;
  }
}

async function main(): Promise<void> {
  const people = num('QUALITY_PEOPLE', 10_000);
  const seed = num('QUALITY_SEED', 7);
  const matching = {
    ...DEFAULT_MATCHING,
    thresholds: {
      citizen: {
        upper: num('MATCH_CITIZEN_UPPER', DEFAULT_MATCHING.thresholds.citizen.upper),
        lower: num('MATCH_CITIZEN_LOWER', DEFAULT_MATCHING.thresholds.citizen.lower),
      },
      business: {
        upper: num('MATCH_BUSINESS_UPPER', DEFAULT_MATCHING.thresholds.business.upper),
        lower: num('MATCH_BUSINESS_LOWER', DEFAULT_MATCHING.thresholds.business.lower),
      },
    },
  };
  const name = `consolidation_quality_test_${randomBytes(3).toString('hex')}`;
  const admin = createDb(adminUrl(), { max: 1 });
  await admin.raw(`create database ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 4 });
  try {
    await migrateLatest(db);
    const started = Date.now();
    const configDir = process.env.QUALITY_CONFIG_DIR;
    const pop = population({ seed, people, ...(configDir ? { configDir } : {}) });
    const mappedIn = Date.now() - started;
    const pace = new Pace();
    // As the service consumes: CONSUMER_PARTITIONS_CONCURRENTLY (2) partitions at a time.
    const partitions = num('QUALITY_PARTITIONS', 2);
    const { deadLettered, retries } = await consolidate(db, pop.observations, {
      matching,
      partitions,
      onBatch: (type, done, total) => pace.batch(type, done, total),
    });
    const seconds = (Date.now() - started) / 1000;
    const q = await measure(db, pop.observations);
    const lines = [
      `population: seed ${seed}, ${people} people, default noise; ${pop.observations.length} observations ` +
        `(${pop.rejected} rejected by the mappings, ${pop.unmapped} rendered records no mapping reads, ` +
        `${deadLettered} dead-lettered); thresholds ${JSON.stringify(matching.thresholds)}; ` +
        `${partitions} partition(s) consolidated concurrently (${retries} batch(es) retried after a deadlock); ` +
        `mapped in ${(mappedIn / 1000).toFixed(1)} s, total ${seconds.toFixed(1)} s`,
      '',
      ...pace.report(
        (await db.raw<{ rows: { v: string }[] }>(`select current_setting('autovacuum') as v`)).rows[0]?.v ??
          '?',
      ),
      '',
    ];
    for (const type of ['citizen', 'business', 'dossier'] as const) {
      const d: DatasetQuality = q[type];
      lines.push(
        `### ${type}: ${d.records} records (${d.recordsWithStrongId} with a strong identifier, ${d.recordsWithoutStrongId} without), ${d.entities} true entities, ${d.masters} masters`,
        '',
        '| pairs | precision | recall | F1 | true positive pairs | predicted pairs | true pairs |',
        '|---|---|---|---|---|---|---|',
        row('all', d.overall),
        row('both records with a strong id', d.withStrongId),
        row('at least one without', d.withoutStrongId),
        row(`all, without the ${d.nameOnlyRecords} name-only records`, d.resolvable.overall),
        row('at least one without, without name-only records', d.resolvable.withoutStrongId),
        '',
        `review: ${pct(d.reviewRate)} of records without a strong identifier opened a POSSIBLE_MATCH task; tasks by kind ${JSON.stringify(d.reviewTasks)}`,
        '',
        ...(d.reviewBands.length
          ? [
              'open POSSIBLE_MATCH tasks by score: how many pair two masters of one true person',
              '',
              '| score | tasks | same person | share |',
              '|---|---:|---:|---:|',
              ...d.reviewBands.map(
                (b) =>
                  `| ${b.from} to ${b.from + 2} | ${b.tasks} | ${b.samePerson} | ${pct(b.samePerson / b.tasks)} |`,
              ),
              '',
            ]
          : []),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (process.env.QUALITY_JSON) process.stdout.write(`${JSON.stringify(q)}\n`);
  } finally {
    await db.destroy();
    // QUALITY_KEEP_DB=1 keeps the consolidated database for inspection (plans, table sizes).
    if (process.env.QUALITY_KEEP_DB === '1')
      process.stderr.write(`kept database ${name}; drop it with: drop database ${name} with (force)\n`);
    else await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
