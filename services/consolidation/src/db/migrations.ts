import knexFactory, { type Knex } from 'knex';
import { ConfigError } from '@hub/errors';
import * as initial from './migrations/0001-initial.js';
import * as ginWithoutPendingList from './migrations/0002-blocking-keys-without-pending-list.js';
import * as matchExclusions from './migrations/0003-match-exclusions.js';
import * as historyMergesSplits from './migrations/0004-history-merges-splits-index.js';
import * as lineagePins from './migrations/0005-lineage-pins-index.js';
import * as reviewTasksOpenMaster from './migrations/0006-review-tasks-open-master-index.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations in order. Add a file under migrations/ and a line here; never edit a released one. */
export const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['0001-initial', initial],
  ['0002-blocking-keys-without-pending-list', ginWithoutPendingList],
  ['0003-match-exclusions', matchExclusions],
  ['0004-history-merges-splits-index', historyMergesSplits],
  ['0005-lineage-pins-index', lineagePins],
  ['0006-review-tasks-open-master-index', reviewTasksOpenMaster],
];

export const MIGRATIONS_TABLE = 'knex_migrations';

/** Migrations compiled into the service (no directory scanning: works the same from src/ and dist/). */
const source: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(MIGRATIONS.map(([name]) => name)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const found = MIGRATIONS.find(([n]) => n === name);
    if (!found) throw new Error(`unknown migration ${name}`);
    return Promise.resolve(found[1]);
  },
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource: source, tableName: MIGRATIONS_TABLE };

export function createDb(url: string, pool: { min?: number; max?: number } = {}): Knex {
  return knexFactory({ client: 'pg', connection: url, pool: { min: pool.min ?? 0, max: pool.max ?? 10 } });
}

/** Apply pending migrations (the `migrate` command, under the migrator role). */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

/** The service refuses to start unless the database has exactly the migrations it was built with. */
export async function checkSchemaVersion(db: Knex): Promise<string> {
  const exists = await db.schema.hasTable(MIGRATIONS_TABLE);
  const applied = exists
    ? (await db(MIGRATIONS_TABLE).select('name').orderBy('id')).map((r: { name: string }) => r.name)
    : [];
  const expected = MIGRATIONS.map(([n]) => n);
  const same = applied.length === expected.length && applied.every((n, i) => n === expected[i]);
  if (!same) {
    throw new ConfigError(
      `database schema version mismatch: the database has [${applied.join(', ') || 'nothing'}], this build expects [${expected.join(', ')}]; run \`hub-consolidation migrate\` (or deploy the matching build)`,
    );
  }
  return expected[expected.length - 1] ?? '';
}
