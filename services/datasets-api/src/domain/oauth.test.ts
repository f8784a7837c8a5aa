import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifySecret } from './api-keys.js';
import { Authenticator } from './app-registry.js';
import {
  clientIdOf,
  issueClient,
  JwtAuthenticator,
  looksLikeJwt,
  parseScopeClaim,
  SigningKey,
  TokenIssuer,
  type ClientRecord,
} from './oauth.js';

const ISS = 'urn:test';
const AUD = 'datasets-api';

function client(over: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: 'dsc_0123456789abcdef',
    secretHash: null,
    appId: 'app_1',
    name: 'portal',
    purpose: 'portal lookups',
    scopes: ['citizen.address', 'citizen.identity'],
    rateLimitPerMinute: 60,
    ...over,
  };
}

describe('OAuth2 client credentials', () => {
  it('issues client secrets stored only as scrypt hashes', async () => {
    const c = await issueClient();
    expect(c.clientId).toMatch(/^dsc_[0-9a-f]{16}$/);
    expect(c.secretHash).not.toContain(c.clientSecret);
    expect(await verifySecret(c.clientSecret, c.secretHash)).toBe(true);
    expect(await verifySecret(`${c.clientSecret}x`, c.secretHash)).toBe(false);
  });

  it('tells JWTs from API keys, reads scope claims and client ids', () => {
    expect(looksLikeJwt('dsk_0123456789abcdef_abc')).toBe(false);
    expect(looksLikeJwt('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig')).toBe(true);
    expect(parseScopeClaim('a  b a')).toEqual(['a', 'b']);
    expect(parseScopeClaim(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(parseScopeClaim(undefined)).toEqual([]);
    expect(clientIdOf({ azp: 'x', client_id: 'y', sub: 'z' })).toBe('x');
    expect(clientIdOf({ client_id: 'y', sub: 'z' })).toBe('y');
    expect(clientIdOf({ sub: 'z' })).toBe('z');
    expect(clientIdOf({})).toBeUndefined();
  });

  it('accepts its own tokens, intersects scopes with the registration, caches until expiry at most', async () => {
    const key = SigningKey.generate();
    let now = 1_000_000_000_000;
    const issuer = new TokenIssuer({ key, issuer: ISS, audience: AUD, ttlSeconds: 60, now: () => now });
    let lookups = 0;
    let record: ClientRecord | undefined = client();
    const jwt = new JwtAuthenticator(
      { findActiveClient: () => (lookups++, Promise.resolve(record)) },
      { issuer: ISS, audience: AUD, localKey: key, cacheTtlMs: 600_000, now: () => now },
    );
    const auth = new Authenticator({ findActiveKey: () => Promise.resolve(undefined) }, 1000, () => now, jwt);
    const { accessToken } = await issuer.issue('dsc_0123456789abcdef', ['citizen.identity', 'steward']);
    const caller = await auth.authenticate(accessToken);
    expect(caller.appId).toBe('app_1');
    expect([...caller.scopes]).toEqual(['citizen.identity']);
    await auth.authenticate(accessToken);
    expect(lookups).toBe(1);
    // Expired after 60 s (+5 s tolerance) even though the cache TTL is longer.
    now += 70_000;
    await expect(auth.authenticate(accessToken)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/expired/) as unknown,
    });
    record = undefined;
    const fresh = await issuer.issue('dsc_0123456789abcdef', ['citizen.identity']);
    now += 700_000;
    await expect(auth.authenticate(fresh.accessToken)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses HMAC and unsigned tokens even when the payload is right', async () => {
    const key = SigningKey.generate();
    const jwt = new JwtAuthenticator(
      { findActiveClient: () => Promise.resolve(client()) },
      { issuer: ISS, audience: AUD, localKey: key, cacheTtlMs: 0 },
    );
    const hs = await new SignJWT({ sub: 'dsc_0123456789abcdef', scope: 'citizen.identity' })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!'));
    await expect(jwt.authenticate(hs)).rejects.toMatchObject({
      message: expect.stringMatching(/algorithm/) as unknown,
    });
    const [h, p] = hs.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p ?? ''}.`;
    expect(h).toBeDefined();
    await expect(jwt.authenticate(none)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('without any key source, a JWT is refused with a clear message', async () => {
    const auth = new Authenticator({ findActiveKey: () => Promise.resolve(undefined) }, 1000);
    await expect(auth.authenticate('a.b.c')).rejects.toMatchObject({
      message: expect.stringMatching(/JWTs are not accepted/) as unknown,
    });
  });
});
