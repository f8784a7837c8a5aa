import type { Knex } from 'knex';

const MASTER_TABLES = [
  {
    table: 'citizens',
    columns: [
      ['personal_id', "golden->>'personalId'"],
      ['full_name', "golden->>'fullName'"],
    ],
  },
  {
    table: 'businesses',
    columns: [
      ['enterprise_code', "golden->>'enterpriseCode'"],
      ['name', "golden->>'name'"],
    ],
  },
  {
    table: 'dossiers',
    columns: [
      ['dossier_code', "golden->>'dossierCode'"],
      ['dossier_status', "golden->>'status'"],
    ],
  },
] as const;

/** The consolidation schema: master tables, resolution state, lineage, history, offsets, outbox, review queue. */
export async function up(knex: Knex): Promise<void> {
  for (const { table, columns } of MASTER_TABLES) {
    await knex.schema.createTable(table, (t) => {
      t.text('master_id').primary({ constraintName: `${table}_pkey` });
      t.bigIncrements('seq', { primaryKey: false });
      t.text('status').notNullable().defaultTo('ACTIVE');
      t.bigInteger('version').notNullable().defaultTo(0);
      t.text('merged_into').nullable();
      t.specificType('merged_from', 'text[]').notNullable().defaultTo('{}');
      t.jsonb('golden').nullable();
      t.text('lineage_hash').nullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.check("status in ('ACTIVE','MERGED','DELETED')", [], `${table}_status_check`);
      t.index(['merged_into'], `${table}_merged_into_idx`);
    });
    for (const [column, expr] of columns) {
      await knex.raw(`alter table ?? add column ?? text generated always as (${expr}) stored`, [
        table,
        column,
      ]);
      await knex.raw(`create index ?? on ?? (??)`, [`${table}_${column}_idx`, table, column]);
    }
  }

  await knex.schema.createTable('identifier_aliases', (t) => {
    t.text('entity_type').notNullable();
    t.text('scheme').notNullable();
    t.text('value').notNullable();
    t.text('master_id').notNullable();
    t.boolean('is_primary').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['entity_type', 'scheme', 'value'], { constraintName: 'identifier_aliases_pkey' });
    t.index(['entity_type', 'master_id'], 'identifier_aliases_master_idx');
  });

  await knex.schema.createTable('source_records', (t) => {
    t.text('entity_type').notNullable();
    t.text('source_system').notNullable();
    t.text('source_record_id').notNullable();
    t.text('master_id').notNullable();
    t.text('event_id').notNullable();
    t.bigInteger('observed_at').notNullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    t.jsonb('observation').notNullable();
    t.specificType('blocking_keys', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['entity_type', 'source_system', 'source_record_id'], {
      constraintName: 'source_records_pkey',
    });
    t.index(['entity_type', 'master_id'], 'source_records_master_idx');
  });
  await knex.raw('create index source_records_blocking_keys_idx on source_records using gin (blocking_keys)');

  await knex.schema.createTable('attribute_lineage', (t) => {
    t.text('entity_type').notNullable();
    t.text('master_id').notNullable();
    t.text('attribute').notNullable();
    t.jsonb('value');
    t.text('rule').notNullable();
    t.text('source_system');
    t.text('source_record_id');
    t.text('event_id');
    t.boolean('pinned').notNullable().defaultTo(false);
    t.timestamp('decided_at', { useTz: true }).notNullable();
    t.primary(['entity_type', 'master_id', 'attribute'], { constraintName: 'attribute_lineage_pkey' });
  });

  await knex.schema.createTable('master_history', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('entity_type').notNullable();
    t.text('master_id').notNullable();
    t.bigInteger('version').notNullable();
    t.text('change').notNullable();
    t.jsonb('snapshot');
    t.specificType('changed_attributes', 'text[]').notNullable().defaultTo('{}');
    t.text('event_id');
    t.text('actor').notNullable();
    t.text('reason');
    t.text('related_master_id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['entity_type', 'master_id', 'version'], { indexName: 'master_history_version_key' });
  });

  await knex.schema.createTable('links', (t) => {
    t.text('from_type').notNullable();
    t.text('from_master_id').notNullable();
    t.text('relation').notNullable();
    t.text('target_type').notNullable();
    t.text('target_scheme').notNullable();
    t.text('target_value').notNullable();
    t.text('target_master_id');
    t.primary(['from_type', 'from_master_id', 'relation'], { constraintName: 'links_pkey' });
    t.index(['target_type', 'target_scheme', 'target_value'], 'links_target_identifier_idx');
    t.index(['target_master_id'], 'links_target_master_idx');
  });

  await knex.schema.createTable('dossier_status_events', (t) => {
    t.text('master_id').notNullable();
    t.text('status').notNullable();
    t.bigInteger('at').notNullable();
    t.text('source_system').notNullable();
    t.text('source_record_id').notNullable();
    t.text('event_id').notNullable();
    t.primary(['master_id', 'status', 'at'], { constraintName: 'dossier_status_events_pkey' });
  });

  await knex.schema.createTable('processed_events', (t) => {
    t.text('event_id').primary({ constraintName: 'processed_events_pkey' });
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('offset').notNullable();
    t.timestamp('processed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('consumer_offsets', (t) => {
    t.text('group_id').notNullable();
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('next_offset').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['group_id', 'topic', 'partition'], { constraintName: 'consumer_offsets_pkey' });
  });

  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('entity_type').notNullable();
    t.text('topic').notNullable();
    t.text('message_key').notNullable();
    t.bigInteger('version').notNullable();
    t.text('change').notNullable();
    t.jsonb('payload');
    t.bigInteger('occurred_at').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
  });
  await knex.raw('create index outbox_unsent_idx on outbox (id) where sent_at is null');

  await knex.schema.createTable('review_tasks', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('entity_type').notNullable();
    t.text('kind').notNullable();
    t.text('status').notNullable().defaultTo('OPEN');
    t.text('master_id').notNullable();
    t.text('other_master_id');
    t.text('attribute');
    t.text('dedupe_key').notNullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.text('resolved_by');
    t.text('resolution');
    t.text('reason');
    t.check("status in ('OPEN','RESOLVED')", [], 'review_tasks_status_check');
    t.index(['status', 'kind'], 'review_tasks_status_idx');
  });
  await knex.raw(
    "create unique index review_tasks_open_dedupe_key on review_tasks (dedupe_key) where status = 'OPEN'",
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const t of [
    'review_tasks',
    'outbox',
    'consumer_offsets',
    'processed_events',
    'dossier_status_events',
    'links',
    'master_history',
    'attribute_lineage',
    'source_records',
    'identifier_aliases',
    'dossiers',
    'businesses',
    'citizens',
  ]) {
    await knex.schema.dropTableIfExists(t);
  }
}
