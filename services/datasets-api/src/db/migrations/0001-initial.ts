import type { Knex } from 'knex';

/**
 * The datasets API's own read model (ARCHITECTURE §2: it never reads the consolidation's tables),
 * its change feed, its consumed offsets, and access governance (applications, keys, access log).
 */
const RECORD_COLUMNS = `
  master_id text primary key,
  version bigint not null,
  state text not null check (state in ('LIVE','DELETED','MERGED')),
  merged_into text,
  change text not null,
  record jsonb,
  name_tokens text[] not null default '{}',
  commune_codes text[] not null default '{}',
  merged_from text[] not null default '{}',
  occurred_at timestamptz,
  updated_at timestamptz not null default now()`;

const APPEND_ONLY = (table: string) => `
  create trigger ${table}_append_only before update or delete on ${table}
    for each row execute function refuse_change();
  create trigger ${table}_no_truncate before truncate on ${table}
    for each statement execute function refuse_change();`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
    end $$;

    create table citizens (${RECORD_COLUMNS},
      personal_id text,
      birth_year int, birth_month int, birth_day int);
    create index citizens_name_tokens_idx on citizens using gin (name_tokens) where state = 'LIVE';
    create index citizens_commune_codes_idx on citizens using gin (commune_codes) where state = 'LIVE';
    create index citizens_merged_from_idx on citizens using gin (merged_from);
    create index citizens_birth_idx on citizens (birth_year, birth_month, birth_day) where state = 'LIVE';

    create table businesses (${RECORD_COLUMNS},
      enterprise_code text, kind text, status text,
      industry_codes text[] not null default '{}',
      representative_master_id text);
    create index businesses_name_tokens_idx on businesses using gin (name_tokens) where state = 'LIVE';
    create index businesses_commune_codes_idx on businesses using gin (commune_codes) where state = 'LIVE';
    create index businesses_industry_codes_idx on businesses using gin (industry_codes) where state = 'LIVE';
    create index businesses_merged_from_idx on businesses using gin (merged_from);
    create index businesses_status_idx on businesses (status, master_id) where state = 'LIVE';
    create index businesses_representative_idx on businesses (representative_master_id, master_id) where state = 'LIVE';

    create table dossiers (${RECORD_COLUMNS},
      dossier_code text, procedure_code text, agency_code text,
      applicant_master_id text, status text, received_at timestamptz);
    create index dossiers_merged_from_idx on dossiers using gin (merged_from);
    create index dossiers_applicant_idx on dossiers (applicant_master_id, master_id) where state = 'LIVE';
    create index dossiers_agency_idx on dossiers (agency_code, master_id) where state = 'LIVE';
    create index dossiers_procedure_idx on dossiers (procedure_code, master_id) where state = 'LIVE';
    create index dossiers_status_idx on dossiers (status, master_id) where state = 'LIVE';
    create index dossiers_received_at_idx on dossiers (received_at) where state = 'LIVE';

    create table identifier_aliases (
      dataset text not null,
      alias_key text not null,
      master_id text not null,
      constraint identifier_aliases_pkey primary key (dataset, alias_key, master_id));
    create index identifier_aliases_master_idx on identifier_aliases (dataset, master_id);

    create table changes (
      seq bigserial primary key,
      dataset text not null,
      master_id text not null,
      version bigint not null,
      change text not null,
      merged_into text,
      occurred_at timestamptz,
      applied_at timestamptz not null default now());
    create index changes_dataset_seq_idx on changes (dataset, seq);
    ${APPEND_ONLY('changes')}

    create table consumer_offsets (
      group_id text not null, topic text not null, partition int not null,
      next_offset bigint not null,
      updated_at timestamptz not null default now(),
      constraint consumer_offsets_pkey primary key (group_id, topic, partition));

    create table applications (
      app_id text primary key,
      name text not null,
      purpose text not null,
      scopes text[] not null,
      rate_limit_per_minute int not null check (rate_limit_per_minute > 0),
      status text not null default 'ACTIVE' check (status in ('ACTIVE','REVOKED')),
      created_at timestamptz not null default now(),
      revoked_at timestamptz);

    create table api_keys (
      key_id text primary key,
      app_id text not null references applications (app_id),
      secret_hash text not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz);
    create index api_keys_app_idx on api_keys (app_id);

    create table access_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      request_id text not null,
      app_id text not null,
      purpose text not null,
      dataset text not null,
      endpoint text not null,
      record_ids text[] not null,
      fields text[] not null);
    create index access_log_app_at_idx on access_log (app_id, at);
    create index access_log_at_idx on access_log (at);
    create index access_log_record_ids_idx on access_log using gin (record_ids);
    ${APPEND_ONLY('access_log')}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists access_log, api_keys, applications, consumer_offsets, changes, identifier_aliases, dossiers, businesses, citizens;
    drop function if exists refuse_change();
  `);
}
