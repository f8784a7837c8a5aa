import type { Knex } from 'knex';

/**
 * Search by name + year of birth (the common portal query) without intersecting the posting lists of
 * common name words (`nguyen`, `van`, `thi` each match 1/8–1/3 of all citizens): an expression GIN
 * index over `<birth year>:<name word>` keys, whose lists are ~1/80 as long. Same semantics as
 * `name_tokens @> … and birth_year = …` (every word given is a word of the name). An expression index
 * (an immutable function of existing columns) needs no new column and no change to the consumer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function citizen_name_year_keys(tokens text[], year int) returns text[]
      language plpgsql immutable parallel safe strict as $$
    begin
      return array(select year::text || ':' || t from unnest(tokens) as t);
    end $$;
    create index citizens_name_year_keys_idx on citizens using gin (citizen_name_year_keys(name_tokens, birth_year)) where state = 'LIVE';
    analyze citizens;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists citizens_name_year_keys_idx;
    drop function if exists citizen_name_year_keys(text[], int);
  `);
}
