#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import { loadConfig as load } from '@hub/config';
import { AccessRepository } from './db/access.repository.js';
import { checkSchemaVersion, createDb, migrateLatest, MIGRATIONS } from './db/migrations.js';
import { hashPassword, ROLES, type Role } from './domain/access.js';

const Env = z.object({ DATABASE_URL: z.string().url(), MIGRATION_DATABASE_URL: z.string().url().optional(), CONSOLE_PASSWORD: z.string().optional() });

const USAGE = `hub-steward-console <command>
  migrate                                   apply pending migrations (MIGRATION_DATABASE_URL, else DATABASE_URL)
  status                                    say whether the database has exactly the migrations this build expects
  users create <username> <role> [name]     create a local account; role: ${ROLES.join(' | ')}
                                            password from CONSOLE_PASSWORD, else asked on the terminal
  users list                                list accounts`;

async function readPassword(env: z.infer<typeof Env>): Promise<string> {
  if (env.CONSOLE_PASSWORD) return env.CONSOLE_PASSWORD;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question('password (≥ 10 characters): ');
  } finally {
    rl.close();
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command !== 'migrate' && command !== 'status' && command !== 'users') {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const env = load(Env, process.env);
  const db = createDb(command === 'migrate' ? (env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL) : env.DATABASE_URL, { max: 2 });
  try {
    if (command === 'migrate') {
      const applied = await migrateLatest(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
      return 0;
    }
    if (command === 'status') {
      const version = await checkSchemaVersion(db);
      process.stdout.write(`schema at ${version} (${MIGRATIONS.length} migrations)\n`);
      return 0;
    }
    const access = new AccessRepository(db);
    if (sub === 'list') {
      for (const u of await access.listUsers()) process.stdout.write(`${u.username}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\t${u.displayName}\n`);
      return 0;
    }
    const [username, role, ...name] = rest;
    if (sub !== 'create' || !username || !ROLES.includes(role as Role)) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const user = await access.createUser({ username, role: role as Role, displayName: name.join(' ') || username, passwordHash: await hashPassword(await readPassword(env)) });
    await access.audit({ username: 'cli', action: 'user_created', target: user.username, outcome: 'ok', details: { role: user.role } });
    process.stdout.write(`created ${user.username} (${user.role})\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
