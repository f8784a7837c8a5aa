import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, permute } from './random.js';

describe('Rng', () => {
  it('gives the same stream for the same (seed, label, index) and another for another index', () => {
    const a = Rng.for(7, 'household', 3);
    const b = Rng.for(7, 'household', 3);
    const c = Rng.for(7, 'household', 4);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('int stays within bounds', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (seed, min, span) => {
          const v = new Rng(seed).int(min, min + span);
          return v >= min && v <= min + span;
        },
      ),
    );
  });
});

describe('permute', () => {
  it('is a bijection on [0, size)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer(), (size, key) => {
        const seen = new Set<number>();
        for (let i = 0; i < size; i++) {
          const v = permute(i, size, key);
          if (v < 0 || v >= size || seen.has(v)) return false;
          seen.add(v);
        }
        return true;
      }),
      { numRuns: 30 },
    );
  });
});
