import { describe, expect, it, vi } from 'vitest';
import { issueKey, parseKey, verifySecret } from './api-keys.js';
import { Authenticator, type KeyRecord } from './app-registry.js';
import { feedCursor, pageCursor } from './cursor.js';
import { businessLookupKey, dossierLookupKey, personLookupKey } from './identifiers.js';

describe('API keys', () => {
  it('stores only an scrypt hash that verifies the secret and nothing else', async () => {
    const key = await issueKey();
    expect(key.secretHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(key.secretHash).not.toContain(key.apiKey.split('_').slice(2).join('_'));
    const parsed = parseKey(key.apiKey);
    expect(parsed?.keyId).toBe(key.keyId);
    expect(await verifySecret(parsed?.secret ?? '', key.secretHash)).toBe(true);
    expect(await verifySecret(`${parsed?.secret.slice(0, -1) ?? ''}x`, key.secretHash)).toBe(false);
    expect(parseKey('dsk_short_key')).toBeUndefined();
  });

  it('authenticates, caches for the TTL, then asks the store again (revocation takes effect)', async () => {
    const key = await issueKey();
    let record: KeyRecord | undefined = { keyId: key.keyId, secretHash: key.secretHash, appId: 'app_1', name: 'portal', purpose: 'portal lookups', scopes: ['citizen.identity'], rateLimitPerMinute: 60 };
    let lookups = 0;
    let now = 0;
    const auth = new Authenticator({ findActiveKey: () => (lookups++, Promise.resolve(record)) }, 1000, () => now);
    expect((await auth.authenticate(key.apiKey)).scopes.has('citizen.identity')).toBe(true);
    await auth.authenticate(key.apiKey);
    expect(lookups).toBe(1);
    record = undefined;
    now = 2000;
    await expect(auth.authenticate(key.apiKey)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ httpStatus: 401 });
  });

  it('concurrent requests with an uncached key share one verification (no scrypt stampede when the cache expires)', async () => {
    const key = await issueKey();
    const record: KeyRecord = { keyId: key.keyId, secretHash: key.secretHash, appId: 'app_1', name: 'portal', purpose: 'portal lookups', scopes: ['citizen.identity'], rateLimitPerMinute: 60 };
    let lookups = 0;
    let now = 0;
    const auth = new Authenticator({ findActiveKey: () => (lookups++, Promise.resolve(record)) }, 1000, () => now);
    const callers = await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(key.apiKey)));
    expect(lookups).toBe(1);
    expect(new Set(callers.map((c) => c.appId))).toEqual(new Set(['app_1']));
    now = 1500; // expired for everyone at once
    await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(key.apiKey)));
    expect(lookups).toBe(2);
    // A wrong secret, many times at once, costs one verification too, and fails every caller.
    const forged = `${key.apiKey.slice(0, -1)}${key.apiKey.endsWith('a') ? 'b' : 'a'}`;
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => auth.authenticate(forged)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(lookups).toBe(3);
  });

  it('verifies a key in use again before it expires, answering from the cache meanwhile; a key revoked then is refused at once', async () => {
    const key = await issueKey();
    let record: KeyRecord | undefined = { keyId: key.keyId, secretHash: key.secretHash, appId: 'app_1', name: 'portal', purpose: 'portal lookups', scopes: ['citizen.identity'], rateLimitPerMinute: 60 };
    let lookups = 0;
    let now = 0;
    const auth = new Authenticator({ findActiveKey: () => (lookups++, Promise.resolve(record)) }, 1000, () => now);
    await auth.authenticate(key.apiKey);
    now = 700; // not yet in the last fifth: cached, no refresh
    await auth.authenticate(key.apiKey);
    expect(lookups).toBe(1);
    now = 900; // last fifth: answered from the cache at once, one background verification for all
    const answered = await Promise.all([auth.authenticate(key.apiKey), auth.authenticate(key.apiKey)]);
    expect(answered.map((c) => c.appId)).toEqual(['app_1', 'app_1']);
    await vi.waitFor(() => expect(lookups).toBe(2));
    // Past the first expiry, the refreshed entry answers without a new verification.
    await vi.waitFor(async () => {
      now = 1050;
      await auth.authenticate(key.apiKey);
      expect(lookups).toBe(2);
    });
    record = undefined; // revoked: the next background verification drops the key
    now = 1950;
    await auth.authenticate(key.apiKey).catch(() => undefined);
    await vi.waitFor(() => expect(lookups).toBe(3));
    await vi.waitFor(() => expect(auth.authenticate(key.apiKey)).rejects.toMatchObject({ code: 'UNAUTHORIZED' }));
  });
});

describe('cursors and identifiers', () => {
  it('round-trips cursors and refuses foreign or forged ones', () => {
    expect(pageCursor.decode(pageCursor.encode('c-1'))).toBe('c-1');
    expect(feedCursor.decode(feedCursor.encode('42'))).toBe('42');
    expect(() => feedCursor.decode(pageCursor.encode('42'))).toThrow(/cursor is not valid/);
    expect(() => feedCursor.decode(Buffer.from('{"k":"seq","v":"1 or 1=1"}').toString('base64url'))).toThrow(/cursor is not valid/);
    expect(() => pageCursor.decode('%%%')).toThrow(/cursor is not valid/);
  });

  it('normalises identifiers to alias keys and explains bad ones', () => {
    expect(personLookupKey('008 185 000 123')).toBe('PID:008185000123');
    expect(personLookupKey('012345678')).toBe('CMND9:012345678');
    expect(() => personLookupKey('12345')).toThrow(/identifier is not valid/);
    expect(businessLookupKey('0314409058-002')).toBe('TAX:0314409058-002');
    expect(() => businessLookupKey('0100233480')).toThrow(/enterpriseCode is not valid/);
    expect(dossierLookupKey(' 000.00.01.h60-250715-0001 ')).toBe('DOSSIER:000.00.01.H60-250715-0001');
    expect(() => dossierLookupKey("x' or 1=1")).toThrow(/dossierCode is not valid/);
  });
});
