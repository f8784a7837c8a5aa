import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  exportJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { UnauthorizedError } from '@hub/errors';
import { hashSecret } from './api-keys.js';
import type { Caller } from './app-registry.js';

/**
 * OAuth2 client credentials (RFC 6749 §4.4) for registered applications, the second way to
 * authenticate besides API keys. A client is `dsc_<16 hex>` with a 43-character secret stored as an
 * scrypt hash (like API keys); a client registered without a secret is an external IdP's client id
 * linked to an application (it can present that IdP's tokens, not use our token endpoint).
 *
 * Bearer JWTs are verified for signature (our own key, a JWKS URL or a configured public key),
 * issuer, audience, expiry and not-before; the client id (`azp`, `client_id`, then `sub`) must map
 * to an active registered application, and the token's `scope` claim is intersected with the
 * application's registered scopes: a token never widens what the application may read.
 */

export interface ClientRecord {
  readonly clientId: string;
  /** null: an external IdP's client (no secret here, no token from our endpoint). */
  readonly secretHash: string | null;
  readonly appId: string;
  readonly name: string;
  readonly purpose: string;
  readonly scopes: readonly string[];
  readonly rateLimitPerMinute: number;
}

/** What OAuth needs from storage: an active client of an active application. */
export interface ClientStore {
  findActiveClient(clientId: string): Promise<ClientRecord | undefined>;
}

export interface IssuedClient {
  readonly clientId: string;
  /** Shown once to the operator; never stored. */
  readonly clientSecret: string;
  readonly secretHash: string;
}

const CLIENT_ID = /^dsc_[0-9a-f]{16}$/;
/** Client ids accepted in tokens and registrations (ours or an external IdP's). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:@/-]{1,200}$/;

export async function issueClient(): Promise<IssuedClient> {
  const clientId = `dsc_${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(32).toString('base64url');
  return { clientId, clientSecret, secretHash: await hashSecret(clientSecret) };
}

export function isLocalClientId(clientId: string): boolean {
  return CLIENT_ID.test(clientId);
}

/** Three base64url segments: a compact JWS. API keys (`dsk_…`) never contain a dot. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Space-delimited scope string (RFC 6749 §3.3) → distinct scope tokens. */
export function parseScopeClaim(value: unknown): string[] {
  if (typeof value === 'string') return [...new Set(value.split(' ').filter((s) => s !== ''))];
  // Some IdPs send an array (`scp`/`scope`): accept that shape too.
  if (Array.isArray(value))
    return [...new Set(value.filter((s): s is string => typeof s === 'string' && s !== ''))];
  return [];
}

/** Asymmetric algorithms only: no HMAC with a public key, no `none`. */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export function algorithmOf(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
      if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
      if (curve === 'secp521r1' || curve === 'P-521') return 'ES512';
      throw new Error(`unsupported EC curve ${String(curve)}`);
    }
    case 'dsa':
    case 'ed448':
    case 'x25519':
    case 'x448':
    case undefined:
      throw new Error(
        `unsupported key type ${String(key.asymmetricKeyType)}: use RSA, EC (P-256/384/521) or Ed25519`,
      );
  }
}

/** The service's own signing key: from configuration (PEM) or generated at start (ES256). */
export class SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly publicJwk: Promise<JWK>;

  private constructor(
    readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
  ) {
    this.alg = algorithmOf(privateKey);
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    this.kid = createHash('sha256').update(spki).digest('base64url').slice(0, 16);
    this.publicJwk = exportJWK(publicKey).then((jwk) => ({
      ...jwk,
      kid: this.kid,
      alg: this.alg,
      use: 'sig',
    }));
  }

  static fromPem(pem: string): SigningKey {
    const privateKey = createPrivateKey(pem.replace(/\\n/g, '\n'));
    return new SigningKey(privateKey, createPublicKey(privateKey));
  }

  static generate(): SigningKey {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new SigningKey(privateKey, publicKey);
  }
}

export interface TokenIssuerOptions {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly now?: () => number;
}

/** Issues the short-lived access tokens of `POST /oauth/token`. */
export class TokenIssuer {
  constructor(private readonly o: TokenIssuerOptions) {}

  async issue(
    clientId: string,
    scopes: readonly string[],
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const nowS = Math.floor((this.o.now ?? Date.now)() / 1000);
    const accessToken = await new SignJWT({ scope: scopes.join(' '), client_id: clientId })
      .setProtectedHeader({ alg: this.o.key.alg, kid: this.o.key.kid, typ: 'at+jwt' })
      .setIssuer(this.o.issuer)
      .setAudience(this.o.audience)
      .setSubject(clientId)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(nowS + this.o.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.o.key.privateKey);
    return { accessToken, expiresIn: this.o.ttlSeconds };
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [await this.o.key.publicJwk] };
  }
}

export interface JwtAuthOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The service's own key (tokens of its token endpoint). */
  readonly localKey?: SigningKey | undefined;
  /** An external IdP's JWKS (fetched on demand, cached by jose). */
  readonly jwksUrl?: string | undefined;
  /** An external IdP's public key (PEM). */
  readonly publicKeyPem?: string | undefined;
  /** Allowed clock skew for exp/nbf. */
  readonly clockToleranceSeconds?: number;
  /** How long a client → application lookup and a verified token stay cached. */
  readonly cacheTtlMs: number;
  readonly now?: () => number;
}

function keyResolver(o: JwtAuthOptions): JWTVerifyGetKey | undefined {
  const local = o.localKey;
  const remote = o.jwksUrl
    ? createRemoteJWKSet(new URL(o.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : undefined;
  const configured = o.publicKeyPem ? createPublicKey(o.publicKeyPem.replace(/\\n/g, '\n')) : undefined;
  if (!local && !remote && !configured) return undefined;
  return async (header, token) => {
    if (local && (header.kid === local.kid || (!remote && !configured))) return local.publicKey;
    if (configured && (!remote || header.kid === undefined)) return configured;
    if (remote) return remote(header, token);
    throw new joseErrors.JWKSNoMatchingKey();
  };
}

/** Why a token was refused, in words a client developer can act on (never the token itself). */
function reason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'the token was not issued for this API (audience mismatch)';
    if (e.claim === 'iss') return 'the token was not issued by the accepted issuer';
    if (e.claim === 'nbf') return 'the token is not valid yet (nbf)';
    return `the token's "${e.claim}" claim is not acceptable: ${e.reason}`;
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no known key matches the token (kid)';
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return 'the token algorithm is not accepted (asymmetric algorithms only)';
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid)
    return 'the issuer keys (JWKS) could not be fetched';
  if (e instanceof joseErrors.JOSEError) return 'the token is malformed';
  return 'the token could not be verified';
}

export function clientIdOf(payload: JWTPayload): string | undefined {
  for (const claim of ['azp', 'client_id', 'sub'] as const) {
    const v = payload[claim];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** Verifies bearer JWTs and maps them to a registered application with intersected scopes. */
export class JwtAuthenticator {
  private readonly getKey: JWTVerifyGetKey | undefined;
  private readonly clients = new Map<string, { record: ClientRecord; until: number }>();
  private readonly tokens = new Map<string, { caller: Caller; until: number }>();
  private readonly now: () => number;

  constructor(
    private readonly store: ClientStore,
    private readonly o: JwtAuthOptions,
  ) {
    this.getKey = keyResolver(o);
    this.now = o.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.getKey !== undefined;
  }

  async authenticate(token: string): Promise<Caller> {
    if (!this.getKey)
      throw new UnauthorizedError('bearer JWTs are not accepted by this deployment: use an API key');
    const digest = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const hit = this.tokens.get(digest);
    if (hit && hit.until > now) return hit.caller;
    this.tokens.delete(digest);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.o.issuer,
        audience: this.o.audience,
        algorithms: [...ACCEPTED_ALGORITHMS],
        clockTolerance: this.o.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp'],
        currentDate: new Date(now),
      }));
    } catch (e) {
      throw new UnauthorizedError(`invalid bearer token: ${reason(e)}`, {
        details: [{ field: 'authorization', problem: reason(e) }],
      });
    }
    const clientId = clientIdOf(payload);
    if (clientId === undefined)
      throw new UnauthorizedError('invalid bearer token: it names no client (azp, client_id or sub)');
    const record = await this.client(clientId);
    if (!record)
      throw new UnauthorizedError(
        'invalid bearer token: its client is not registered with an active application',
      );
    const registered = new Set(record.scopes);
    // Intersection: a token grants at most what the application is registered for.
    const scopes = new Set(parseScopeClaim(payload.scope ?? payload.scp).filter((s) => registered.has(s)));
    const caller: Caller = {
      appId: record.appId,
      name: record.name,
      purpose: record.purpose,
      scopes,
      rateLimitPerMinute: record.rateLimitPerMinute,
    };
    const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : now;
    const until = Math.min(now + this.o.cacheTtlMs, exp);
    if (this.o.cacheTtlMs > 0 && until > now) {
      if (this.tokens.size > 10_000) this.tokens.clear();
      this.tokens.set(digest, { caller, until });
    }
    return caller;
  }

  private async client(clientId: string): Promise<ClientRecord | undefined> {
    const now = this.now();
    const hit = this.clients.get(clientId);
    if (hit && hit.until > now) return hit.record;
    const record = CLIENT_ID_PATTERN.test(clientId) ? await this.store.findActiveClient(clientId) : undefined;
    // Only found clients are cached: a client registered a moment ago works at once.
    if (record && this.o.cacheTtlMs > 0) {
      if (this.clients.size > 10_000) this.clients.clear();
      this.clients.set(clientId, { record, until: now + this.o.cacheTtlMs });
    }
    return record;
  }
}
