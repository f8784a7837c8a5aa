#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
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
  users list                                list accounts
  tokens create <username> [--name N] [--days D]
                                            an API token for \`hub\` and scripts (Authorization: Bearer);
                                            printed once, only its hash is kept; --days 0 = until revoked (default 90)
  tokens list [username]                    tokens with owner, name, created, expires, last used, revoked
  tokens revoke <id>                        the token stops working at once`;

async function readPassword(env: z.infer<typeof Env>): Promise<string> {
  if (env.CONSOLE_PASSWORD) return env.CONSOLE_PASSWORD;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question('password (≥ 10 characters): ');
  } finally {
    rl.close();
  }
}

const iso = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString());

async function tokensCommand(access: AccessRepository, sub: string | undefined, args: string[]): Promise<number> {
  if (sub === 'list') {
    for (const t of await access.listApiTokens(args[0])) {
      process.stdout.write(`${t.id}\t${t.username}\t${t.name}\tcreated ${iso(t.createdAt)}\texpires ${iso(t.expiresAt)}\tlast used ${iso(t.lastUsedAt)}\t${t.revokedAt === null ? 'active' : `revoked ${iso(t.revokedAt)}`}\n`);
    }
    return 0;
  }
  if (sub === 'revoke') {
    const id = Number(args[0]);
    if (!Number.isInteger(id) || id < 1) throw new Error('usage: tokens revoke <id> (see tokens list)');
    const revoked = await access.revokeApiToken(id, Date.now());
    await access.audit({ username: 'cli', action: 'api_token_revoked', target: String(id), outcome: revoked ? 'ok' : 'refused', ...(revoked ? {} : { reason: 'unknown or already revoked' }) });
    process.stdout.write(revoked ? `revoked token ${id}\n` : `token ${id} is unknown or already revoked\n`);
    return revoked ? 0 : 1;
  }
  if (sub !== 'create') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parseArgs({ args, options: { name: { type: 'string' }, days: { type: 'string', default: '90' } }, allowPositionals: true, strict: true });
  const [username] = positionals;
  const days = Number(values.days);
  if (!username || !Number.isInteger(days) || days < 0) throw new Error('usage: tokens create <username> [--name N] [--days D]');
  const found = await access.findCredentials(username);
  if (!found) throw new Error(`no user ${username} (see users list)`);
  if (found.user.disabled) throw new Error(`user ${username} is disabled`);
  const name = values.name ?? `cli ${new Date().toISOString().slice(0, 10)}`;
  const { id, token } = await access.createApiToken(found.user.id, name, days === 0 ? null : Date.now() + days * 86_400_000);
  await access.audit({ username: 'cli', action: 'api_token_created', target: String(id), outcome: 'ok', details: { for: username, name, via: 'cli' } });
  process.stderr.write(`token ${id} for ${username} (${found.user.role}); store it now: it is shown once and only its hash is kept\n`);
  process.stdout.write(`${token}\n`);
  return 0;
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command !== 'migrate' && command !== 'status' && command !== 'users' && command !== 'tokens') {
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
    if (command === 'tokens') return await tokensCommand(access, sub, rest);
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
