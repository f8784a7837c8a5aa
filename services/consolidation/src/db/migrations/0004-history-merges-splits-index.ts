import type { Knex } from 'knex';

/**
 * `GET /stats` counts merges and splits of the last hour (`change in ('ABSORBED','SPLIT_OFF')` and
 * `recorded_at` within the hour). Without an index it read every history row: 1.1 s at 2M
 * citizens (services/steward-console/BENCHMARK.md). A partial index holds only those two kinds of
 * row, so it stays small.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index if not exists master_history_merges_splits_idx on master_history (recorded_at) where change in ('ABSORBED', 'SPLIT_OFF')`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists master_history_merges_splits_idx');
}
