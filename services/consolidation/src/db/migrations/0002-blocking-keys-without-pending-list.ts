import type { Knex } from 'knex';

/**
 * The GIN index on source_records.blocking_keys without the "fast update" pending list. With it,
 * new entries wait in an unsorted list until a vacuum, and every candidate lookup scans that whole
 * list: a batch's `blocking_keys && $keys` took over a second after a few thousand inserts (42 ms
 * once vacuumed). Consolidation reads candidates right after writing, so the index must be current.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter index source_records_blocking_keys_idx set (fastupdate = off)');
  // Move whatever is already pending into the index proper.
  await knex.raw(`select gin_clean_pending_list('source_records_blocking_keys_idx'::regclass)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter index source_records_blocking_keys_idx reset (fastupdate)');
}
