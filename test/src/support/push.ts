/**
 * A department pushing citizens to http-ingest the way a real sender does: a batch goes out with an
 * Idempotency-Key and is sent again until it is acknowledged (200). Shared by the crash loops.
 */

/** One answer of http-ingest, or status 0 when none came (connection reset, refused, timed out). */
export interface PushAnswer {
  readonly status: number;
  /** Seconds of the Retry-After header; NaN without one. */
  readonly retryAfter: number;
  readonly body: { accepted?: number; error?: { code?: string; message?: string } };
}

/** POST `records` to `<url>/v1/sources/<source>/<entities>/batch`; never throws (no answer → status 0). */
export function batchSender(
  url: string,
  apiKey: string,
  path = '/v1/sources/police-residence/citizens/batch',
  timeoutMs = 60_000,
): (records: readonly object[], idempotencyKey: string) => Promise<PushAnswer> {
  return async (records, idempotencyKey) => {
    try {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': apiKey,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ records }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return {
        status: res.status,
        retryAfter: Number(res.headers.get('retry-after') ?? NaN),
        body: (await res.json()) as PushAnswer['body'],
      };
    } catch (e: unknown) {
      return { status: 0, retryAfter: NaN, body: { error: { code: String(e) } } };
    }
  };
}

export interface PushStats {
  /** Requests sent, first sends and retries. */
  attempts: number;
  /** 409 with Retry-After: the key was claimed by a request that never finished; waited for its lease. */
  leaseWaits: number;
  /** 409 without Retry-After: the key would stay blocked; a new key was taken. */
  stuckKeys: number;
}

export const newPushStats = (): PushStats => ({ attempts: 0, leaseWaits: 0, stuckKeys: 0 });

export interface PushUntilAcknowledgedOptions {
  /** Sends one attempt of the batch under `idempotencyKey`. */
  readonly send: (idempotencyKey: string) => Promise<PushAnswer>;
  /** The batch's Idempotency-Key (the same on every retry, unless a 409 says it is stuck). */
  readonly key: string;
  readonly stats: PushStats;
  /** For error messages ("batch 7"). */
  readonly label: string;
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
  /**
   * Called with each attempt while it is in flight. Returning a promise takes over that attempt (a
   * crash loop kills the process here): its result decides — 200 ends, anything else is retried at
   * once. Returning undefined leaves the attempt alone.
   */
  readonly interfere?: (pending: Promise<PushAnswer>, attempt: number) => Promise<PushAnswer> | undefined;
  /** Called with every answer that is not 200 (after `interfere`, if it took the attempt over). */
  readonly onRefused?: (answer: PushAnswer, attempt: number) => void;
}

/**
 * Send a batch until http-ingest acknowledges it (200), as a department's system does: 409 with
 * Retry-After → wait and retry with the same key; 409 without → a new key; 5xx or no answer →
 * retry after `retryDelayMs`; any other 4xx fails the test (the batch is valid).
 */
export async function pushUntilAcknowledged(opts: PushUntilAcknowledgedOptions): Promise<PushAnswer> {
  let key = opts.key;
  const max = opts.maxAttempts ?? 200;
  for (let attempt = 0; ; attempt++) {
    if (attempt > max) throw new Error(`${opts.label} never acknowledged`);
    opts.stats.attempts++;
    const pending = opts.send(key);
    const taken = opts.interfere?.(pending, attempt);
    if (taken) {
      const r = await taken;
      if (r.status === 200) return r;
      opts.onRefused?.(r, attempt);
      continue;
    }
    const r = await pending;
    if (r.status === 200) return r;
    opts.onRefused?.(r, attempt);
    if (r.status === 409 && Number.isFinite(r.retryAfter)) {
      // The key was claimed by a request that never finished: its lease runs out, and the same key
      // is taken over by this retry (as a department's system following Retry-After would do).
      opts.stats.leaseWaits++;
      await new Promise((res) => setTimeout(res, r.retryAfter * 1000 + 100));
      continue;
    }
    if (r.status === 409) {
      // A 409 without Retry-After: the key would stay blocked. Counted (crash-loop asserts none).
      opts.stats.stuckKeys++;
      key = `${key}-retry${attempt}`;
      continue;
    }
    if (r.status !== 0 && r.status < 500)
      throw new Error(`${opts.label} refused: ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, opts.retryDelayMs ?? 200));
  }
}
