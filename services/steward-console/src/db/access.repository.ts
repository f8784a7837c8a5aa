import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError } from '@hub/errors';
import type { Role } from '../domain/access.js';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly disabled: boolean;
}

export interface Session {
  readonly user: User;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled: boolean;
}

const toUser = (r: UserRow): User => ({ id: Number(r.id), username: r.username, displayName: r.display_name, role: r.role, disabled: r.disabled });

/** Session tokens are stored hashed: a copy of the table does not let anyone log in. */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** An API token as listed (never the token itself: only its hash is stored). */
export interface ApiTokenInfo {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

interface ApiTokenRow {
  id: string;
  username: string;
  name: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const time = (d: Date | null): number | null => (d === null ? null : d.getTime());

/** Recognisable in logs, secret scanners and config files; the rest is 256 random bits. */
export const API_TOKEN_PREFIX = 'hubc_';

export interface AuditEntry {
  readonly username: string;
  readonly action: string;
  readonly target?: string | null;
  readonly outcome: 'ok' | 'refused' | 'failed';
  readonly reason?: string | null;
  readonly details?: Record<string, unknown>;
}

export class AccessRepository {
  constructor(private readonly db: Knex) {}

  async createUser(u: { username: string; displayName: string; role: Role; passwordHash: string }): Promise<User> {
    try {
      const [row] = (await this.db('users')
        .insert({ username: u.username, display_name: u.displayName, role: u.role, password_hash: u.passwordHash })
        .returning('*')) as UserRow[];
      if (!row) throw new Error('insert returned nothing');
      return toUser(row);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new ConflictError(`user ${u.username} already exists`, { cause: e });
      throw e;
    }
  }

  async listUsers(): Promise<User[]> {
    return ((await this.db('users').orderBy('username')) as UserRow[]).map(toUser);
  }

  async findCredentials(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row = (await this.db('users').where('username', username).first()) as UserRow | undefined;
    return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
  }

  async createSession(userId: number, ttlMs: number, now: number): Promise<{ token: string; csrfToken: string }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    await this.db('sessions').insert({ token_hash: hashToken(token), user_id: userId, csrf_token: csrfToken, expires_at: new Date(now + ttlMs) });
    return { token, csrfToken };
  }

  async findSession(token: string, now: number): Promise<Session | undefined> {
    const row = (await this.db('sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .select('u.*', 's.csrf_token', 's.expires_at')
      .where('s.token_hash', hashToken(token))
      .where('s.expires_at', '>', new Date(now))
      .where('u.disabled', false)
      .first()) as (UserRow & { csrf_token: string; expires_at: Date }) | undefined;
    return row ? { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at.getTime() } : undefined;
  }

  async deleteSession(token: string): Promise<void> {
    await this.db('sessions').where('token_hash', hashToken(token)).delete();
  }

  async pruneSessions(now: number): Promise<void> {
    await this.db('sessions').where('expires_at', '<=', new Date(now)).delete();
  }

  /** A new API token for a user; the token is returned once and only its hash is kept. */
  async createApiToken(userId: number, name: string, expiresAt: number | null): Promise<{ id: number; token: string }> {
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const rows: { id: string }[] = await this.db('api_tokens')
      .insert({ token_hash: hashToken(token), user_id: userId, name, expires_at: expiresAt === null ? null : new Date(expiresAt) })
      .returning('id');
    const [row] = rows;
    if (!row) throw new Error('insert returned nothing');
    return { id: Number(row.id), token };
  }

  /** The user a bearer token acts as: unknown, revoked, expired tokens and disabled users give undefined. */
  async findApiToken(token: string, now: number): Promise<{ tokenId: number; user: User } | undefined> {
    const row = (await this.db('api_tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .select('u.*', 't.id as token_id', 't.last_used_at')
      .where('t.token_hash', hashToken(token))
      .whereNull('t.revoked_at')
      .where((q) => void q.whereNull('t.expires_at').orWhere('t.expires_at', '>', new Date(now)))
      .where('u.disabled', false)
      .first()) as (UserRow & { token_id: string; last_used_at: Date | null }) | undefined;
    if (!row) return undefined;
    // At most one write a minute per token: "last used" is for spotting stale tokens, not an audit trail.
    if (row.last_used_at === null || now - row.last_used_at.getTime() > 60_000) {
      await this.db('api_tokens').where('id', row.token_id).update({ last_used_at: new Date(now) });
    }
    return { tokenId: Number(row.token_id), user: toUser(row) };
  }

  async listApiTokens(username?: string): Promise<ApiTokenInfo[]> {
    const q = this.db('api_tokens as t').join('users as u', 'u.id', 't.user_id').select('t.*', 'u.username').orderBy('t.id');
    if (username) q.where('u.username', username);
    return ((await q) as ApiTokenRow[]).map((r) => ({
      id: Number(r.id),
      username: r.username,
      name: r.name,
      createdAt: r.created_at.getTime(),
      expiresAt: time(r.expires_at),
      lastUsedAt: time(r.last_used_at),
      revokedAt: time(r.revoked_at),
    }));
  }

  /** True when a token was revoked now (false: unknown or already revoked). */
  async revokeApiToken(id: number, now: number): Promise<boolean> {
    return (await this.db('api_tokens').where('id', id).whereNull('revoked_at').update({ revoked_at: new Date(now) })) > 0;
  }

  async audit(e: AuditEntry, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('audit_log').insert({
      username: e.username,
      action: e.action,
      target: e.target ?? null,
      outcome: e.outcome,
      reason: e.reason ?? null,
      details: JSON.stringify(e.details ?? {}),
    });
  }

  async auditLog(limit: number, username?: string): Promise<{ id: number; at: number; username: string; action: string; target: string | null; outcome: string; reason: string | null; details: unknown }[]> {
    const q = this.db('audit_log').orderBy('id', 'desc').limit(limit);
    if (username) q.where('username', username);
    const rows = (await q) as { id: string; at: Date; username: string; action: string; target: string | null; outcome: string; reason: string | null; details: unknown }[];
    return rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.getTime() }));
  }
}
