import { backoffDelay } from '@hub/kafka';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { Logger } from '@hub/log';
import { TokenBucket } from './rate-limiter.js';

export interface RestClientOptions {
  readonly baseUrl: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retry: { attempts: number; baseMs: number; maxMs: number };
  readonly rateLimit: { perSecond: number; burst: number };
  readonly maxRetryAfterMs: number;
  readonly logger?: Logger;
  /** Name of the system in errors and logs. */
  readonly system: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An answer that will not get better by asking again (401, 403, 404, 400): a configuration problem. */
export class RestRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestRequestError';
  }
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const RETRIABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * GET JSON from a department API, politely: a token bucket spaces requests; 5xx, 408, timeouts and
 * network errors are retried with exponential backoff and jitter; a 429 waits what its Retry-After
 * says (and pauses every request of this client meanwhile). After `retry.attempts` the poll fails
 * with DependencyUnavailableError and the connector retries later from its committed cursor.
 */
export class RestClient {
  private readonly bucket: TokenBucket;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Requests sent, retries made, 429s received (for the benchmark and logs). */
  readonly stats = { requests: 0, retries: 0, rateLimited: 0 };

  constructor(private readonly opts: RestClientOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.bucket = new TokenBucket(opts.rateLimit.perSecond, opts.rateLimit.burst);
  }

  url(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): string {
    const u = new URL(path, this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    // A path starting with "/" replaces the base path; keep a base path such as /gateway/.
    const base = new URL(this.opts.baseUrl);
    if (base.pathname !== '/' && !u.pathname.startsWith(base.pathname))
      u.pathname = `${base.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async getJson(
    path: string,
    query: Readonly<Record<string, string | number | undefined>> = {},
  ): Promise<unknown> {
    const url = this.url(path, query);
    const { attempts, baseMs, maxMs } = this.opts.retry;
    let last = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      await this.bucket.take();
      this.opts.logger?.debug({ path, attempt }, 'rest_request');
      this.stats.requests++;
      let wait: number;
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/json', ...this.opts.headers },
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        if (res.ok) return await res.json();
        const body = (await res.text().catch(() => '')).slice(0, 300);
        last = `HTTP ${res.status} from ${path}: ${body}`;
        if (!RETRIABLE.has(res.status))
          throw new RestRequestError(res.status, `${this.opts.system} answered ${last}`);
        wait = backoffDelay(attempt, { baseMs, maxMs, jitter: 0.3 });
        if (res.status === 429) {
          this.stats.rateLimited++;
          const after = parseRetryAfter(res.headers.get('retry-after'));
          if (after !== undefined) {
            if (after > this.opts.maxRetryAfterMs) break;
            wait = after;
          }
          this.bucket.pauseUntil(Date.now() + wait);
        }
      } catch (e) {
        if (e instanceof RestRequestError) throw e;
        // Timeouts, refused connections, resets, unreadable JSON: all worth another try.
        last = `${path}: ${errorMessage(e)}`;
        wait = backoffDelay(attempt, { baseMs, maxMs, jitter: 0.3 });
      }
      if (attempt + 1 >= attempts) break;
      this.stats.retries++;
      this.opts.logger?.warn(
        { path, attempt: attempt + 1, delayMs: wait, err: last },
        'rest_request_retried',
      );
      await this.sleep(wait);
    }
    throw new DependencyUnavailableError(
      `rest:${this.opts.system}`,
      `${this.opts.system} did not answer usefully after ${attempts} attempt(s): ${last}`,
    );
  }
}
