import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay, retry } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles without jitter and caps at maxMs', () => {
    const o = { baseMs: 100, maxMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('stays within [delay*(1-jitter), delay] for any random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const o = { baseMs: 50, maxMs: 5000, jitter: 0.5 };
          const full = Math.min(5000, 50 * 2 ** attempt);
          const d = backoffDelay(attempt, o, () => r);
          return d >= Math.floor(full * 0.5) && d <= full;
        },
      ),
    );
  });
});

describe('retry', () => {
  const noSleep = () => Promise.resolve();

  it('retries retriable errors up to the attempt budget, then throws the last one', async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(new Error(`fail ${calls}`));
        },
        { attempts: 3, baseMs: 1, maxMs: 1, retryIf: () => true, sleep: noSleep },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('does not retry errors the predicate rejects', async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(new Error('poison'));
        },
        { attempts: 5, baseMs: 1, maxMs: 1, retryIf: () => false, sleep: noSleep },
      ),
    ).rejects.toThrow('poison');
    expect(calls).toBe(1);
  });

  it('returns the first success and reports each retry', async () => {
    const seen: number[] = [];
    const result = await retry((a) => (a < 2 ? Promise.reject(new Error('x')) : Promise.resolve('done')), {
      attempts: 5,
      baseMs: 10,
      maxMs: 100,
      jitter: 0,
      retryIf: () => true,
      sleep: noSleep,
      onRetry: (_e, attempt, delay) => {
        seen.push(attempt, delay);
      },
    });
    expect(result).toBe('done');
    expect(seen).toEqual([1, 10, 2, 20]);
  });
});
