import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient, SchemaRegistry } from '@hub/kafka';
import { eventually } from '@hub/testing';
import {
  aCitizen,
  createTestDatabase,
  createTopics,
  dropTopics,
  get,
  goldenPublisher,
  kafkaClient,
  startApi,
  testConfig,
  type Json,
  type TestTopics,
} from './int-harness.test-support.js';

const ISSUER = 'https://hub.test/datasets-api';
const AUDIENCE = 'datasets-api.test';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let kafka: KafkaClient;
let registry: SchemaRegistry;
let topics: TestTopics;
let api: Awaited<ReturnType<typeof startApi>>;
let external: Awaited<ReturnType<typeof startApi>> | undefined;
let pub: Awaited<ReturnType<typeof goldenPublisher>>;
let db: Knex;
let jwksServer: Server;
let jwksUrl: string;
const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const apps: Record<string, { appId: string; clientId: string; clientSecret: string }> = {};

async function register(name: string, scopes: string[]) {
  const { appId } = await api.governance.createApp({
    name,
    purpose: `integration test: ${name}`,
    scopes,
    rateLimitPerMinute: 10_000,
  });
  return (apps[name] = await api.governance.createClient(appId));
}

async function token(
  form: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const res = await fetch(`${api.url}/oauth/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

/** A JWT signed by a key of the test's choosing (the service's own key is configured from `signing`). */
async function mint(
  claims: Record<string, unknown>,
  o: { key?: KeyObject; kid?: string; aud?: string; iss?: string; exp?: number; nbf?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', ...(o.kid ? { kid: o.kid } : {}) })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(o.exp ?? now + 120);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? signing.privateKey);
}

const lastAccess = async () =>
  (await db('access_log').orderBy('id', 'desc').first()) as
    { app_id: string; request_id: string; record_ids: string[]; fields: string[] } | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  ({ kafka, registry } = kafkaClient('datasets-api-oauth-int'));
  topics = await createTopics(kafka, 1);
  pub = await goldenPublisher(kafka, registry, topics);
  const pem = signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  api = await startApi(
    testConfig(database.url, topics, {
      OAUTH_ISSUER: ISSUER,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_SIGNING_KEY: pem,
      OAUTH_TOKEN_TTL_SECONDS: '120',
    }),
    db,
    kafka,
    registry,
  );
  await register('portal', ['citizen.identity', 'citizen.address']);
  await register('address-only', ['citizen.address']);
  await pub.citizen(aCitizen({ masterId: 'c-1' }));
  const { apiKey } = await api.governance.createApp({
    name: 'probe',
    purpose: 'integration test: readiness probe',
    scopes: ['citizen.identity'],
    rateLimitPerMinute: 10_000,
  });
  await eventually(
    async () => ((await get(`${api.url}/citizens/c-1`, apiKey)).status === 200 ? true : undefined),
    { what: 'citizen c-1 in the read model' },
  );

  // An external IdP: its JWKS served over HTTP, a second instance that accepts only its tokens.
  const jwk = { ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  await pub?.stop();
  await external?.stop();
  await api?.stop();
  await new Promise((r) => (jwksServer ? jwksServer.close(r) : r(undefined)));
  if (kafka && topics) await dropTopics(kafka, topics);
  await database?.drop();
});

describe('OAuth2 client credentials', () => {
  it('issues a token (HTTP Basic) that the API accepts, and the access log records the application', async () => {
    const portal = apps.portal!;
    const t = await token(
      { grant_type: 'client_credentials' },
      { id: portal.clientId, secret: portal.clientSecret },
    );
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    expect(t.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 120,
      scope: 'citizen.identity citizen.address',
    });
    const read = await get(`${api.url}/citizens/c-1`, t.body.access_token as string, {
      'x-request-id': 'oauth-read-1',
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ masterId: 'c-1', fullName: 'Nguyễn Thị Thuỷ' });
    expect(await lastAccess()).toMatchObject({
      app_id: portal.appId,
      request_id: 'oauth-read-1',
      record_ids: ['c-1'],
    });

    const jwks = await get(`${api.url}/.well-known/jwks.json`);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.body.keys[0].d).toBeUndefined();
  });

  it('accepts body credentials and a narrower scope; the token grants only that scope', async () => {
    const portal = apps.portal!;
    const t = await token({
      grant_type: 'client_credentials',
      client_id: portal.clientId,
      client_secret: portal.clientSecret,
      scope: 'citizen.address',
    });
    expect(t.status).toBe(200);
    expect(t.body.scope).toBe('citizen.address');
    const read = await get(`${api.url}/citizens/c-1`, t.body.access_token as string);
    expect(read.status).toBe(200);
    expect(read.body.fullName).toBeUndefined();
    expect(read.body.withheldFields).toContain('fullName');
    expect(
      (await get(`${api.url}/citizens/by-identifier/008185000123`, t.body.access_token as string)).status,
    ).toBe(403);
  });

  it('answers RFC 6749 §5.2 errors: invalid_client, unsupported_grant_type, invalid_scope, invalid_request', async () => {
    const portal = apps.portal!;
    const wrong = await token(
      { grant_type: 'client_credentials' },
      { id: portal.clientId, secret: `${portal.clientSecret}x` },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(
      (
        await token({
          grant_type: 'client_credentials',
          client_id: 'dsc_0000000000000000',
          client_secret: 'nope',
        })
      ).body.error,
    ).toBe('invalid_client');
    expect((await token({ grant_type: 'client_credentials' })).body.error).toBe('invalid_client');
    const grant = await token({
      grant_type: 'password',
      client_id: portal.clientId,
      client_secret: portal.clientSecret,
    });
    expect(grant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const scope = await token({
      grant_type: 'client_credentials',
      client_id: portal.clientId,
      client_secret: portal.clientSecret,
      scope: 'citizen.identity steward',
    });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(scope.body.error_description).toContain('steward');
    expect((await token({ client_id: portal.clientId, client_secret: portal.clientSecret })).body.error).toBe(
      'invalid_request',
    );
  });

  it('refuses expired, not-yet-valid, wrong-audience, wrong-issuer, wrong-signature and unknown-client tokens with 401 and a clear reason', async () => {
    const portal = apps.portal!;
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, RegExp][] = [
      [
        'expired',
        await mint({ sub: portal.clientId, scope: 'citizen.identity' }, { exp: now - 120 }),
        /expired/,
      ],
      [
        'not yet valid',
        await mint({ sub: portal.clientId, scope: 'citizen.identity' }, { nbf: now + 600, exp: now + 900 }),
        /not valid yet/,
      ],
      [
        'wrong audience',
        await mint({ sub: portal.clientId, scope: 'citizen.identity' }, { aud: 'another-api' }),
        /audience/,
      ],
      [
        'wrong issuer',
        await mint({ sub: portal.clientId, scope: 'citizen.identity' }, { iss: 'https://evil.test' }),
        /issuer/,
      ],
      [
        'wrong signature',
        await mint({ sub: portal.clientId, scope: 'citizen.identity' }, { key: stranger.privateKey }),
        /signature/,
      ],
      [
        'unknown client',
        await mint({ sub: 'dsc_00000000000000ff', scope: 'citizen.identity' }),
        /not registered/,
      ],
      ['no client', await mint({ scope: 'citizen.identity' }), /names no client/],
    ];
    for (const [what, jwt, reason] of cases) {
      const r = await get(`${api.url}/citizens/c-1`, jwt);
      expect(r.status, what).toBe(401);
      expect(r.body.error.code, what).toBe('UNAUTHORIZED');
      expect(r.body.error.message, what).toMatch(reason);
      expect(r.headers.get('www-authenticate'), what).toContain('invalid_token');
      expect(JSON.stringify(r.body), what).not.toContain('Nguy');
    }
  });

  it('never widens an application: token scopes are intersected with the registered ones', async () => {
    const narrow = apps['address-only']!;
    // Signed by the right key, but claims more than the application is registered for.
    const jwt = await mint({ azp: narrow.clientId, scope: 'citizen.identity citizen.address steward' });
    const read = await get(`${api.url}/citizens/c-1`, jwt);
    expect(read.status).toBe(200);
    expect(read.body.fullName).toBeUndefined();
    expect(read.body.personalId).toBeUndefined();
    expect(read.body.withheldFields).toEqual(expect.arrayContaining(['fullName', 'personalId']));
    expect(await lastAccess()).toMatchObject({ app_id: narrow.appId, record_ids: ['c-1'] });
    expect((await get(`${api.url}/citizens/by-identifier/008185000123`, jwt)).status).toBe(403);
    expect((await get(`${api.url}/access-log`, jwt)).status).toBe(403);
    // No scope claim at all grants nothing.
    expect((await get(`${api.url}/citizens/c-1`, await mint({ client_id: narrow.clientId }))).status).toBe(
      403,
    );
  });

  it('refuses a revoked client at the token endpoint and its tokens at the API', async () => {
    const c = await register('short-lived', ['citizen.address']);
    await api.governance.revokeClient(c.clientId);
    expect(
      (await token({ grant_type: 'client_credentials' }, { id: c.clientId, secret: c.clientSecret })).body
        .error,
    ).toBe('invalid_client');
    expect(
      (await get(`${api.url}/citizens/c-1`, await mint({ sub: c.clientId, scope: 'citizen.address' })))
        .status,
    ).toBe(401);
  });

  it('verifies an external IdP token through its JWKS URL (client id linked to an application)', async () => {
    const { appId } = await api.governance.createApp({
      name: 'reporting',
      purpose: 'integration test: external IdP client',
      scopes: ['citizen.address'],
      rateLimitPerMinute: 10_000,
    });
    await api.governance.linkClient(appId, 'reporting-svc');
    external = await startApi(
      testConfig(database.url, topics, {
        CONSUMER_ENABLED: 'false',
        OAUTH_ISSUER: 'https://idp.test/realms/hub',
        OAUTH_AUDIENCE: AUDIENCE,
        OAUTH_JWKS_URL: jwksUrl,
        OAUTH_TOKEN_ENDPOINT_ENABLED: 'false',
      }),
      db,
      kafka,
      registry,
    );
    const idpToken = await mint(
      { azp: 'reporting-svc', sub: 'service-account-uuid', scope: 'citizen.address profile' },
      { key: idp.privateKey, kid: 'idp-1', iss: 'https://idp.test/realms/hub' },
    );
    const read = await get(`${external.url}/citizens/c-1`, idpToken);
    expect(read.status).toBe(200);
    expect(read.body.permanentAddress).toBeDefined();
    expect(await lastAccess()).toMatchObject({ app_id: appId });
    // The local issuer's key is not accepted there, and the token endpoint is off.
    const local = await mint(
      { sub: apps.portal!.clientId, scope: 'citizen.identity' },
      { iss: 'https://idp.test/realms/hub' },
    );
    expect((await get(`${external.url}/citizens/c-1`, local)).status).toBe(401);
    expect((await fetch(`${external.url}/oauth/token`, { method: 'POST' })).status).toBe(401);
  });
});
