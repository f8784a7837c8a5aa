import type { Knex } from 'knex';

/**
 * API tokens for command-line and script clients (`Authorization: Bearer …`). Only a SHA-256 of
 * the token is stored: tokens are 256 random bits, so a fast hash is enough, and a copy of the
 * table does not let anyone call the API.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('token_hash').notNullable().unique({ indexName: 'api_tokens_token_hash_key' });
    t.bigInteger('user_id')
      .notNullable()
      .references('id')
      .inTable('users')
      .onDelete('CASCADE')
      .withKeyName('api_tokens_user_id_fkey');
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['user_id'], 'api_tokens_user_id_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_tokens');
}
