import { describe, expect, it } from 'vitest';
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
