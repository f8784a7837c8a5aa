import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '@hub/errors';

export const ROLES = ['viewer', 'steward', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a role may do. Viewers look; stewards act on data; admins also manage and force. */
export type Permission = 'view' | 'view_payloads' | 'replay' | 'resolve_review' | 'force_replay' | 'view_audit';

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['view'],
  steward: ['view', 'view_payloads', 'replay', 'resolve_review'],
  admin: ['view', 'view_payloads', 'replay', 'resolve_review', 'force_replay', 'view_audit'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function requirePermission(user: { username: string; role: Role }, permission: Permission): void {
  if (!can(user.role, permission)) {
    throw new ForbiddenError(`vai trò ${user.role} không được phép / role ${user.role} may not: ${permission}`);
  }
}

const N = 16_384;
const KEY_LENGTH = 64;

function scryptAsync(password: string, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$salt$hash` (base64): the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 10) throw new Error('password must have at least 10 characters');
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N);
  return `scrypt$${N}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(n));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
