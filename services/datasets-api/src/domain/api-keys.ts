import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * API keys: `dsk_<key id>_<secret>`. The key id (public, 16 hex) finds the row; the secret (32
 * random bytes) is stored only as an scrypt hash with a per-key salt, and compared in constant time.
 */
export interface IssuedKey {
  readonly keyId: string;
  /** The full key, shown once to the operator; never stored. */
  readonly apiKey: string;
  readonly secretHash: string;
}

const KEY_PATTERN = /^dsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const PARAMS = { N: 16_384, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, PARAMS.keylen, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [algo, n, r, p, saltB64, hashB64] = stored.split('$');
  if (algo !== 'scrypt' || !n || !r || !p || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scryptAsync(secret, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export async function issueKey(): Promise<IssuedKey> {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, apiKey: `dsk_${keyId}_${secret}`, secretHash: await hashSecret(secret) };
}

export function parseKey(apiKey: string): { keyId: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(apiKey);
  return m?.[1] && m[2] ? { keyId: m[1], secret: m[2] } : undefined;
}
