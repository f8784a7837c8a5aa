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
