import type { Knex } from 'knex';

/**
 * Pairs of masters a steward declared different entities (KEEP_APART on a review task, or a SPLIT):
 * probabilistic matching never joins them again nor opens a review task for them. A pair is stored
 * once, ordered (`master_a < master_b`); a merge re-points its absorbed ids to the survivor.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('match_exclusions', (t) => {
    t.text('entity_type').notNullable();
    t.text('master_a').notNullable();
    t.text('master_b').notNullable();
    t.text('origin').notNullable();
    t.bigInteger('review_task_id');
    t.text('actor').notNullable();
    t.text('reason');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['entity_type', 'master_a', 'master_b']);
    t.check('master_a < master_b', [], 'match_exclusions_ordered_check');
    t.check("origin in ('KEEP_APART','SPLIT')", [], 'match_exclusions_origin_check');
  });
  await knex.raw('create index match_exclusions_b_idx on match_exclusions (entity_type, master_b)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('match_exclusions');
}
