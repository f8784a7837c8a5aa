import type { Knex } from 'knex';

/**
 * Every recompute of a batch reads its masters' pins (`attribute_lineage … and pinned`): a value a
 * steward picked, rare. By the primary key that read visited every lineage row of those masters
 * (about eight per citizen) and filtered them: the second most frequent statement in PostgreSQL at
 * 100 000 people (services/consolidation/BENCHMARK.md, session 8). A partial index holds only pinned
 * rows, so the read touches nothing else and the index stays as small as the steward's work.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index if not exists attribute_lineage_pins_idx on attribute_lineage (entity_type, master_id) where pinned`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists attribute_lineage_pins_idx');
}
