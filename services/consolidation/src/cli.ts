#!/usr/bin/env node
import { z } from 'zod';
import { loadConfig as load } from '@hub/config';
import { checkSchemaVersion, createDb, migrateLatest, MIGRATIONS } from './db/migrations.js';

const Env = z.object({ DATABASE_URL: z.string().url(), MIGRATION_DATABASE_URL: z.string().url().optional() });

const USAGE = `hub-consolidation <command>
  migrate   apply pending migrations (uses MIGRATION_DATABASE_URL, else DATABASE_URL)
  status    say whether the database has exactly the migrations this build expects`;

async function run(command: string | undefined): Promise<number> {
  if (command !== 'migrate' && command !== 'status') {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const env = load(Env, process.env);
  const db = createDb(env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL, { max: 2 });
  try {
    if (command === 'migrate') {
      const applied = await migrateLatest(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
      return 0;
    }
    const version = await checkSchemaVersion(db).catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      return undefined;
    });
    if (version === undefined) return 1;
    process.stdout.write(`schema at ${version} (${MIGRATIONS.length} migrations)\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

run(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
