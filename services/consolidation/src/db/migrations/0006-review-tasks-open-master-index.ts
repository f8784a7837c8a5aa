import type { Knex } from 'knex';

/**
 * Every batch closes the conflict tasks its masters' sources no longer disagree on, and every merge
 * re-points the absorbed masters' open tasks: both look up open review tasks by master. Only
 * `(status, kind)` and the open dedupe key were indexed, so each of those statements read every
 * open task of the kind, thousands at 100 000 people (services/consolidation/BENCHMARK.md,
 * session 9). A partial index on the open ones' masters serves both, and stays as small as the
 * steward queue.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index if not exists review_tasks_open_master_idx on review_tasks (entity_type, master_id) where status = 'OPEN'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists review_tasks_open_master_idx');
}
