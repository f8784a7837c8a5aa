import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, ForbiddenError, UnauthorizedError } from '@hub/errors';
import type { IngestSource } from './config.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * API keys per department. Keys are compared as SHA-256 digests in constant time; a key opens only
 * its own source: a wrong key is 401, a right key on another department's source is 403.
 */
export class ApiKeys {
  private readonly keys: Array<{ digest: Buffer; system: string }>;

  constructor(sources: readonly IngestSource[], env: Readonly<Record<string, string | undefined>>) {
    const problems: string[] = [];
    this.keys = sources.map((s) => {
      const key = env[s.apiKeyEnv];
      if (!key || key.length < 32)
        problems.push(`${s.apiKeyEnv} (API key of ${s.system}) must be set to at least 32 characters`);
      return { digest: digest(key ?? ''), system: s.system };
    });
    if (problems.length > 0) {
      throw new ConfigError(`API keys missing or too short:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
        details: problems.map((p) => ({ field: p.split(' ')[0] ?? '', problem: p })),
      });
    }
  }

  /** The department a key belongs to; throws 401/403 errors for the middleware. */
  authorise(presented: string | undefined, system: string): string {
    if (!presented) throw new UnauthorizedError('missing API key: send it in the X-Api-Key header');
    const d = digest(presented);
    const owner = this.keys.find((k) => timingSafeEqual(k.digest, d))?.system;
    if (!owner) throw new UnauthorizedError('unknown API key');
    if (owner !== system)
      throw new ForbiddenError(`this API key belongs to source "${owner}", not "${system}"`);
    return owner;
  }
}
