#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isAppError, errorMessage } from '@hub/errors';
import { CLIENT_ID_PATTERN } from './domain/oauth.js';
import { parseScopes } from './domain/scopes.js';
import { GovernanceRepository } from './db/governance.repository.js';
import { createDb, migrateLatest } from './db/migrations.js';

const USAGE = `hub-datasets-api <command>

  migrate                                   apply database migrations (MIGRATION_DATABASE_URL or DATABASE_URL)
  apps create --name N --purpose P --scopes a,b [--rate-limit 600]
                                            register an application; prints its API key once
  apps list                                 applications, scopes, purposes, active keys
  apps revoke <appId>                       revoke an application and all its keys
  apps rotate <appId>                       issue a new key and revoke the old ones; prints the key once
  apps client create <appId>                issue OAuth2 client credentials (client_id + client_secret, printed once)
  apps client link <appId> <clientId>       accept an external IdP's tokens for this client id as the application
  apps client revoke <clientId>             revoke a client (its tokens are refused within AUTH_CACHE_TTL_MS)
`;

const Env = z.object({ DATABASE_URL: z.string().url(), MIGRATION_DATABASE_URL: z.string().url().optional() });

async function run(argv: string[]): Promise<string> {
  const env = Env.parse(process.env);
  const [command, sub, ...rest] = argv;
  if (command === 'migrate') {
    const db = createDb(env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL, { max: 1 });
    try {
      const applied = await migrateLatest(db);
      return applied.length ? `applied: ${applied.join(', ')}` : 'already up to date';
    } finally {
      await db.destroy();
    }
  }
  if (command !== 'apps') return USAGE;
  const db = createDb(env.DATABASE_URL, { max: 1 });
  const apps = new GovernanceRepository(db);
  try {
    switch (sub ?? '') {
      case 'create': {
        const { values } = parseArgs({
          args: rest,
          options: { name: { type: 'string' }, purpose: { type: 'string' }, scopes: { type: 'string' }, 'rate-limit': { type: 'string', default: '600' } },
          strict: true,
        });
        const input = z
          .object({
            name: z.string().trim().min(1, '--name is required'),
            purpose: z.string().trim().min(10, '--purpose must say what the data is for (Decree 13/2023: declared purpose)'),
            scopes: z.string().min(1, '--scopes is required'),
            rateLimit: z.coerce.number().int().min(1).max(1_000_000),
          })
          .parse({ name: values.name, purpose: values.purpose, scopes: values.scopes, rateLimit: values['rate-limit'] });
        const created = await apps.createApp({ name: input.name, purpose: input.purpose, scopes: parseScopes(input.scopes.split(',')), rateLimitPerMinute: input.rateLimit });
        return JSON.stringify({ ...created, note: 'store the apiKey now: it is shown once and only its hash is kept' }, null, 2);
      }
      case 'list':
        return JSON.stringify(await apps.listApps(), null, 2);
      case 'revoke':
        await apps.revokeApp(z.string().min(1, 'give the appId').parse(rest[0]));
        return `revoked ${rest[0] ?? ''}`;
      case 'rotate':
        return JSON.stringify(await apps.rotateKey(z.string().min(1, 'give the appId').parse(rest[0])), null, 2);
      case 'client': {
        const [action, a, b] = rest;
        const appId = z.string().min(1, 'give the appId');
        const clientId = z.string().regex(CLIENT_ID_PATTERN, 'a client id is 1–200 letters, digits or ._:@/-');
        if (action === 'create') {
          const created = await apps.createClient(appId.parse(a));
          return JSON.stringify({ ...created, tokenEndpoint: 'POST /oauth/token (grant_type=client_credentials)', note: 'store the clientSecret now: it is shown once and only its hash is kept' }, null, 2);
        }
        if (action === 'link') return JSON.stringify(await apps.linkClient(appId.parse(a), clientId.parse(b)), null, 2);
        if (action === 'revoke') {
          await apps.revokeClient(clientId.parse(a));
          return `revoked ${a ?? ''}`;
        }
        return USAGE;
      }
      default:
        return USAGE;
    }
  } finally {
    await db.destroy();
  }
}

run(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(`${out}\n`);
  },
  (e: unknown) => {
    const msg = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') : isAppError(e) ? `${e.code}: ${e.message}` : errorMessage(e);
    process.stderr.write(`${msg}\n`);
    process.exitCode = 1;
  },
);
