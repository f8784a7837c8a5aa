import type { NextFunction, Request, Response } from 'express';

/**
 * Slows down key guessing: at most `limit` failed authentications per client address per window.
 * Only failures count (a counter of requests in flight would throttle honest high-rate callers),
 * so it is a small purpose-built counter rather than a generic request limiter.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(address: string): boolean {
    const entry = this.failures.get(address);
    if (!entry) return false;
    if (entry.resetAt <= this.now()) {
      this.failures.delete(address);
      return false;
    }
    return entry.count >= this.limit;
  }

  fail(address: string): void {
    const now = this.now();
    if (this.failures.size > 100_000) this.failures.clear();
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= now) this.failures.set(address, { count: 1, resetAt: now + this.windowMs });
    else entry.count++;
  }

  /** Express middleware: 429 while blocked; counts the request if it ends in 401. */
  middleware(onBlocked: (res: Response) => void) {
    return (req: Request, res: Response, next: NextFunction): void => {
      const address = req.ip ?? 'unknown';
      if (this.blocked(address)) return onBlocked(res);
      res.on('finish', () => {
        if (res.statusCode === 401) this.fail(address);
      });
      next();
    };
  }
}
