import type { Knex } from 'knex';

/**
 * OAuth2 client credentials of registered applications. `secret_hash` is an scrypt hash (like
 * api_keys); null marks an external IdP's client id linked to an application (no secret here).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table oauth_clients (
      client_id text primary key,
      app_id text not null references applications (app_id),
      secret_hash text,
      created_at timestamptz not null default now(),
      revoked_at timestamptz);
    create index oauth_clients_app_idx on oauth_clients (app_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists oauth_clients');
}
