/**
 * Failed logins per key (a username, or `ip:<address>`): after `max` failures within 15 minutes the
 * key is refused for the rest of that window. One instance is shared by the login form and
 * `POST /api/tokens`, so switching between them gives an attacker no extra guesses.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly now: () => number,
    private readonly max = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}
  blocked(key: string): boolean {
    const recent = (this.failures.get(key) ?? []).filter((t) => this.now() - t < this.windowMs);
    if (recent.length) this.failures.set(key, recent);
    else this.failures.delete(key);
    return recent.length >= this.max;
  }
  fail(key: string): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), this.now()]);
  }
  clear(key: string): void {
    this.failures.delete(key);
  }
}
