import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('blocks a key after max failures within the window, and forgets them after it', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(() => now, 3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(t.blocked('lan')).toBe(false);
      t.fail('lan');
    }
    expect(t.blocked('lan')).toBe(true);
    expect(t.blocked('ip:127.0.0.1')).toBe(false);
    now += 60_001;
    expect(t.blocked('lan')).toBe(false);
  });

  it('a success clears the failures', () => {
    const t = new LoginThrottle(() => 0, 2);
    t.fail('lan');
    t.clear('lan');
    t.fail('lan');
    expect(t.blocked('lan')).toBe(false);
  });
});
