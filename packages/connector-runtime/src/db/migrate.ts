import type { Db } from './connection.js';

/** Bump with every change below, and add the change as a new step: steps only ever append. */
export const SCHEMA_VERSION = 1;

const STEPS: ReadonlyArray<readonly string[]> = [
  [
    `create table if not exists connector_schema_versions (version int primary key, applied_at timestamptz not null default now())`,
    `create table if not exists connector_cursors (
       connector_id text constraint connector_cursors_pkey primary key,
       cursor text,
       updated_at timestamptz not null default now(),
       updated_by text not null default 'connector'
     )`,
    `create table if not exists connector_known_keys (
       connector_id text not null,
       record_id text not null,
       version_token text,
       identity jsonb,
       constraint connector_known_keys_pkey primary key (connector_id, record_id)
     )`,
    `create table if not exists file_ledger (
       connector_id text not null,
       content_sha256 text not null,
       file_name text not null,
       status text not null,
       lines_done int not null default 0,
       rows_published int not null default 0,
       rows_dead_lettered int not null default 0,
       error text,
       started_at timestamptz not null default now(),
       finished_at timestamptz,
       constraint file_ledger_pkey primary key (connector_id, content_sha256),
       constraint file_ledger_status_check check (status in ('processing', 'done', 'failed'))
     )`,
    `create table if not exists ingest_idempotency (
       source_system text not null,
       idempotency_key text not null,
       request_sha256 text not null,
       state text not null,
       status_code int,
       response jsonb,
       created_at timestamptz not null default now(),
       constraint ingest_idempotency_pkey primary key (source_system, idempotency_key),
       constraint ingest_idempotency_state_check check (state in ('in_progress', 'done'))
     )`,
    `create index if not exists ingest_idempotency_created_at_idx on ingest_idempotency (created_at)`,
  ],
];

/** Apply the connectors' schema (idempotent). Run by the `migrate` command, and by tests. */
export async function migrateConnectorDb(db: Db): Promise<number> {
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(740051)'); // one migrator at a time
    await trx.raw(STEPS[0]?.[0] ?? '');
    const done = await trx('connector_schema_versions').max<{ max: number | null }[]>('version as max');
    const current = done[0]?.max ?? 0;
    for (let v = current + 1; v <= STEPS.length; v++) {
      for (const sql of STEPS[v - 1] ?? []) await trx.raw(sql);
      await trx('connector_schema_versions').insert({ version: v });
    }
  });
  return SCHEMA_VERSION;
}

/** Refuse to run against a database that is not migrated to this version (STYLE.md "Migrations"). */
export async function assertSchemaVersion(db: Db): Promise<void> {
  let version = 0;
  try {
    const rows = await db('connector_schema_versions').max<{ max: number | null }[]>('version as max');
    version = rows[0]?.max ?? 0;
  } catch {
    version = 0;
  }
  if (version !== SCHEMA_VERSION) {
    throw new Error(
      `connector database is at schema version ${version}, this build needs ${SCHEMA_VERSION}: run the "migrate" command first`,
    );
  }
}
