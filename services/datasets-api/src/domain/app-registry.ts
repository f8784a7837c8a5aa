import { createHash } from 'node:crypto';
import { UnauthorizedError } from '@hub/errors';
import { parseKey, verifySecret } from './api-keys.js';
import { looksLikeJwt, type JwtAuthenticator } from './oauth.js';

/** A registered application as the request pipeline sees it. */
export interface Caller {
  readonly appId: string;
  readonly name: string;
  readonly purpose: string;
  readonly scopes: ReadonlySet<string>;
  readonly rateLimitPerMinute: number;
}

export interface KeyRecord {
  readonly keyId: string;
  readonly secretHash: string;
  readonly appId: string;
  readonly name: string;
  readonly purpose: string;
  readonly scopes: readonly string[];
  readonly rateLimitPerMinute: number;
}

/** What authentication needs from storage: an active key of an active application. */
export interface KeyStore {
  findActiveKey(keyId: string): Promise<KeyRecord | undefined>;
}

/**
 * Authenticates API keys (and hands bearer JWTs to the JwtAuthenticator). scrypt is deliberately slow, so a verified key is cached for a short
 * time under the SHA-256 of the full key (never the key itself): revocation and scope changes take
 * effect within `ttlMs`.
 */
export class Authenticator {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly store: KeyStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** Bearer JWTs (OAuth2 client credentials); absent: API keys only. */
    private readonly jwt?: JwtAuthenticator,
  ) {}

  async authenticate(apiKey: string | undefined): Promise<Caller> {
    if (apiKey === undefined || apiKey === '') {
      throw new UnauthorizedError('credentials required: send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>", or an OAuth2 access token as "Authorization: Bearer <jwt>"');
    }
    if (looksLikeJwt(apiKey)) {
      if (!this.jwt) throw new UnauthorizedError('bearer JWTs are not accepted by this deployment: use an API key');
      return this.jwt.authenticate(apiKey);
    }
    const digest = createHash('sha256').update(apiKey).digest('base64');
    const hit = this.cache.get(digest);
    if (hit && hit.until > this.now()) return hit.caller;
    this.cache.delete(digest);
    const parsed = parseKey(apiKey);
    if (!parsed) throw new UnauthorizedError('the API key is malformed');
    const record = await this.store.findActiveKey(parsed.keyId);
    if (!record || !(await verifySecret(parsed.secret, record.secretHash))) throw new UnauthorizedError('the API key is unknown or revoked');
    const caller: Caller = {
      appId: record.appId,
      name: record.name,
      purpose: record.purpose,
      scopes: new Set(record.scopes),
      rateLimitPerMinute: record.rateLimitPerMinute,
    };
    if (this.ttlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(digest, { caller, until: this.now() + this.ttlMs });
    }
    return caller;
  }
}
