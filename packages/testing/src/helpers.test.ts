import { describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './helpers.js';

describe('test helpers', () => {
  it('unique names contain "test" and differ', () => {
    const a = uniqueName('bus');
    const b = uniqueName('bus');
    expect(a).toMatch(/^test\.bus\./);
    expect(a).not.toBe(b);
  });

  it('eventually returns the first defined value and times out otherwise', async () => {
    let n = 0;
    await expect(eventually(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
    await expect(
      eventually(() => undefined, { timeoutMs: 20, intervalMs: 5, what: 'never' }),
    ).rejects.toThrow('timed out waiting for never');
  });
});
