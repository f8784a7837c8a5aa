import type { Knex } from 'knex';

/** The console's own tables (DATABASE.md). Never edit a released migration: add the next one. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('username').notNullable().unique({ indexName: 'users_username_key' });
    t.text('display_name').notNullable();
    t.text('role').notNullable();
    t.text('password_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("role in ('viewer','steward','admin')", [], 'users_role_check');
  });
  await knex.schema.createTable('sessions', (t) => {
    t.text('token_hash').primary({ constraintName: 'sessions_pkey' });
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE').withKeyName('sessions_user_id_fkey');
    t.text('csrf_token').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at'], 'sessions_expires_at_idx');
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('username').notNullable();
    t.text('action').notNullable();
    t.text('target');
    t.text('outcome').notNullable();
    t.text('reason');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['at'], 'audit_log_at_idx');
  });
  await knex.schema.createTable('connectors', (t) => {
    t.text('connector_id').primary({ constraintName: 'connectors_pkey' });
    t.text('connector_kind').notNullable();
    t.text('source_system').notNullable();
    t.text('instance_id').notNullable();
    t.text('state').notNullable();
    t.text('cursor');
    t.bigInteger('records_read').notNullable();
    t.bigInteger('records_published').notNullable();
    t.bigInteger('records_dead_lettered').notNullable();
    t.bigInteger('records_rejected').notNullable();
    t.bigInteger('source_record_count');
    t.timestamp('newest_source_update_at', { useTz: true });
    t.text('last_error');
    t.timestamp('last_error_at', { useTz: true });
    t.jsonb('schema_ids').notNullable().defaultTo('[]');
    t.timestamp('last_heartbeat_at', { useTz: true }).notNullable();
    t.text('event_id').notNullable();
  });
  await knex.schema.createTable('heartbeats', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('event_id').notNullable().unique({ indexName: 'heartbeats_event_id_key' });
    t.text('connector_id').notNullable();
    t.text('instance_id').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('state').notNullable();
    t.bigInteger('records_read').notNullable();
    t.bigInteger('records_published').notNullable();
    t.bigInteger('records_dead_lettered').notNullable();
    t.bigInteger('records_rejected').notNullable();
    t.index(['connector_id', 'occurred_at'], 'heartbeats_connector_time_idx');
  });
  await knex.schema.createTable('dead_letters', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('dlq_topic').notNullable();
    t.integer('dlq_partition').notNullable();
    t.bigInteger('dlq_offset').notNullable();
    t.text('connector_id').notNullable();
    t.text('reason').notNullable();
    t.text('error');
    t.text('source_topic');
    t.integer('source_partition');
    t.bigInteger('source_offset');
    t.timestamp('dead_lettered_at', { useTz: true }).notNullable();
    t.text('consumer');
    t.text('replay_of');
    t.binary('key');
    t.binary('value');
    t.jsonb('headers').notNullable();
    t.timestamp('indexed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dlq_topic', 'dlq_partition', 'dlq_offset'], { indexName: 'dead_letters_coordinates_key' });
    t.index(['connector_id', 'reason'], 'dead_letters_connector_reason_idx');
    t.index(['dead_lettered_at'], 'dead_letters_at_idx');
  });
  await knex.schema.createTable('replays', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.bigInteger('dead_letter_id').notNullable().references('id').inTable('dead_letters').withKeyName('replays_dead_letter_id_fkey');
    t.integer('attempt').notNullable();
    t.text('replayed_by').notNullable();
    t.text('reason');
    t.timestamp('replayed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('target_topic').notNullable();
    t.integer('target_partition');
    t.bigInteger('target_offset');
    t.unique(['dead_letter_id', 'attempt'], { indexName: 'replays_dead_letter_attempt_key' });
  });
  await knex.schema.createTable('lag_samples', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('group_id').notNullable();
    t.text('topic').notNullable();
    t.bigInteger('lag').notNullable();
    t.index(['group_id', 'topic', 'at'], 'lag_samples_group_topic_at_idx');
  });
  await knex.schema.createTable('alerts', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.text('rule').notNullable();
    t.text('subject').notNullable();
    t.text('severity').notNullable();
    t.text('message_vi').notNullable();
    t.text('message_en').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    t.timestamp('notified_firing_at', { useTz: true });
    t.timestamp('notified_resolved_at', { useTz: true });
  });
  await knex.raw('create unique index alerts_firing_key on alerts (rule, subject) where resolved_at is null');
  await knex.schema.createTable('dossiers', (t) => {
    t.text('master_id').primary({ constraintName: 'dossiers_pkey' });
    t.bigInteger('version').notNullable();
    t.text('dossier_code').notNullable();
    t.text('procedure_code');
    t.text('receiving_agency_code');
    t.text('channel');
    t.text('status').notNullable();
    t.timestamp('received_at', { useTz: true });
    t.timestamp('due_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.boolean('on_time');
    t.boolean('deleted').notNullable().defaultTo(false);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['receiving_agency_code', 'procedure_code'], 'dossiers_agency_procedure_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['dossiers', 'alerts', 'lag_samples', 'replays', 'dead_letters', 'heartbeats', 'connectors', 'audit_log', 'sessions', 'users']) {
    await knex.schema.dropTableIfExists(t);
  }
}
