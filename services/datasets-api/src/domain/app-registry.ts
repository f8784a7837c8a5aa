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
 *
 * Under load the cache must not expire for everyone at once: when it did, every request arriving
 * during the one scrypt started its own (≈ 100 at 1,000 req/s, queued on libuv's four threads),
 * and the API stalled for over a second every `ttlMs`. So concurrent verifications of one key share
 * a single one, and a key still in use is verified again in the background during the last fifth
 * of its time (answers keep coming from the cache meanwhile; a key found revoked then is dropped at once).
 */
export class Authenticator {
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  private readonly inFlight = new Map<string, Promise<Caller>>();

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
    const now = this.now();
    if (hit && hit.until > now) {
      if (hit.until - now < this.ttlMs / 5) this.verifyShared(digest, apiKey).catch(() => undefined);
      return hit.caller;
    }
    this.cache.delete(digest);
    return this.verifyShared(digest, apiKey);
  }

  /** One verification per key at a time; whoever asks meanwhile waits for that one. */
  private verifyShared(digest: string, apiKey: string): Promise<Caller> {
    const pending = this.inFlight.get(digest);
    if (pending) return pending;
    const verification = this.verify(digest, apiKey).finally(() => this.inFlight.delete(digest));
    this.inFlight.set(digest, verification);
    return verification;
  }

  private async verify(digest: string, apiKey: string): Promise<Caller> {
    const parsed = parseKey(apiKey);
    if (!parsed) throw new UnauthorizedError('the API key is malformed');
    const record = await this.store.findActiveKey(parsed.keyId);
    if (!record || !(await verifySecret(parsed.secret, record.secretHash))) {
      this.cache.delete(digest);
      throw new UnauthorizedError('the API key is unknown or revoked');
    }
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
