import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from './auth-failures.js';

describe('AuthFailureLimiter', () => {
  it('blocks an address after `limit` failures within the window, and only that address', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter(2, 1000, () => now);
    limiter.fail('a');
    expect(limiter.blocked('a')).toBe(false);
    limiter.fail('a');
    expect(limiter.blocked('a')).toBe(true);
    expect(limiter.blocked('b')).toBe(false);
    now = 1000;
    expect(limiter.blocked('a')).toBe(false);
  });
});
