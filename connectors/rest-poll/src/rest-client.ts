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

/** What a network error's `cause` says (fetch only says "fetch failed"): `connect ECONNREFUSED 10.0.0.5:443`. */
function causeText(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0)
    return [...new Set(cause.errors.map(causeText))].join('; ');
  if (!(cause instanceof Error)) return '';
  const code = (cause as { code?: unknown }).code;
  const message = cause.message;
  if (typeof code !== 'string') return message;
  return message.includes(code) ? message : `${code} ${message}`.trim();
}

/**
 * Why a request got no answer, in words an operator can act on: the timeout with its length, or
 * the network error with its cause (refused, reset, unknown host, certificate) rather than fetch's
 * bare "fetch failed".
 */
export function describeRequestFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${timeoutMs} ms (timeoutMs)`;
  const message = errorMessage(error);
  const cause = causeText(error instanceof Error ? error.cause : undefined);
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}

/** A JSON answer, and whether its bytes were UTF-8 (if not, they were decoded with U+FFFD for each bad sequence). */
export interface JsonAnswer {
  readonly body: unknown;
  readonly invalidUtf8: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Why a 200 answer is not JSON, in one line: its content type and size, where the parser stopped,
 * and — only when it does not even start like JSON (an HTML error page, a proxy's text) — how it
 * begins. The body of a broken JSON answer is not quoted: it holds records, maybe personal data.
 */
export function describeNotJson(text: string, contentType: string | null, error: unknown): string {
  const type = contentType ? `content-type ${contentType}` : 'no content-type';
  if (text.trim() === '') return `an empty body (${type}) where JSON was expected`;
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message)?.[1];
  const why =
    /end of JSON input|Unterminated/.test(message) ||
    (at !== undefined && Number(at) >= text.trimEnd().length)
      ? 'JSON that ends early (a truncated answer?)'
      : `text that is not JSON${at === undefined ? '' : ` (invalid at character ${at})`}`;
  const start = text.trimStart();
  return `${text.length} characters of ${why}, ${type}${/^[[{"]/.test(start) ? '' : `: ${excerpt(start)}`}`;
}

/** The first 80 characters in quotes, control characters as \uXXXX (a log line stays one line). */
function excerpt(text: string): string {
  const shown = text
    .slice(0, 80)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${shown}${text.length > 80 ? '…' : ''}"`;
}

/**
 * GET JSON from a department API, politely: a token bucket spaces requests; 5xx, 408, timeouts and
 * network errors are retried with exponential backoff and jitter; a 429 waits what its Retry-After
 * says (and pauses every request of this client meanwhile). After `retry.attempts` the poll fails
 * with DependencyUnavailableError and the connector retries later from its committed cursor. A 200
 * whose body is not JSON (empty, truncated, an HTML error page) counts as a failed attempt too, and
 * the error says what came instead; every message names the request (`what`, e.g. `/api/x page 3`).
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
    what: string = path,
  ): Promise<unknown> {
    return (await this.getJsonAnswer(path, query, what)).body;
  }

  async getJsonAnswer(
    path: string,
    query: Readonly<Record<string, string | number | undefined>> = {},
    what: string = path,
  ): Promise<JsonAnswer> {
    const url = this.url(path, query);
    const { attempts, baseMs, maxMs } = this.opts.retry;
    let last = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      await this.bucket.take();
      this.opts.logger?.debug({ path, what, attempt }, 'rest_request');
      this.stats.requests++;
      let wait: number;
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/json', ...this.opts.headers },
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        if (res.ok) {
          const bytes = new Uint8Array(await res.arrayBuffer());
          let text: string;
          let invalidUtf8 = false;
          try {
            text = utf8.decode(bytes);
          } catch {
            text = lenientUtf8.decode(bytes);
            invalidUtf8 = true;
          }
          try {
            return { body: JSON.parse(text) as unknown, invalidUtf8 };
          } catch (e) {
            throw new NotJsonError(
              `HTTP ${res.status} from ${what} with ${describeNotJson(text, res.headers.get('content-type'), e)}`,
            );
          }
        }
        const body = (await res.text().catch(() => '')).slice(0, 300);
        last = `HTTP ${res.status} from ${what}: ${body}`;
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
        // Timeouts, refused connections, resets, a body that is not JSON: all worth another try.
        last =
          e instanceof NotJsonError
            ? e.message
            : `${what}: ${describeRequestFailure(e, this.opts.timeoutMs)}`;
        wait = backoffDelay(attempt, { baseMs, maxMs, jitter: 0.3 });
      }
      if (attempt + 1 >= attempts) break;
      this.stats.retries++;
      this.opts.logger?.warn(
        { path, what, attempt: attempt + 1, delayMs: wait, err: last },
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

/** A 200 whose body is not JSON (an attempt that failed; retried like a 5xx). */
class NotJsonError extends Error {}
