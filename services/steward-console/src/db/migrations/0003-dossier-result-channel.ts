import type { Knex } from 'knex';

/**
 * How each dossier's result was returned (master.dossier `resultChannel`), for the indicator "share of
 * results returned electronically". Null for dossiers whose result has not been returned, or whose
 * source does not record the channel: those are left out of that share, never counted as paper.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossiers', (t) => {
    t.text('result_channel');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropColumn('result_channel');
  });
}
