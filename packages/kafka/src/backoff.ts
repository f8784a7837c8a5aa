export interface BackoffOptions {
  /** First delay. */
  readonly baseMs: number;
  /** Upper bound of any single delay. */
  readonly maxMs: number;
  /** 0 = no jitter; 1 = "full jitter" (uniform in [0, delay]). */
  readonly jitter?: number;
}

/**
 * Exponential backoff with jitter: attempt 0 waits about baseMs, each next attempt doubles, capped
 * at maxMs. Jitter spreads retries of many consumers so they do not hammer a recovering dependency
 * in lock-step.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const low = exp * (1 - jitter);
  return Math.round(low + (exp - low) * random());
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first. */
  readonly attempts: number;
  /** Only errors for which this returns true are retried; others are thrown at once. `attempt` is 0 for the first failure. */
  readonly retryIf: (error: unknown, attempt: number) => boolean;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run `fn`, retrying retriable failures with backoff, at most `attempts` times in all. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt + 1 >= opts.attempts || !opts.retryIf(error, attempt)) throw error;
      const delay = backoffDelay(attempt, opts, opts.random);
      await opts.onRetry?.(error, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
