import { describe, expect, it } from 'vitest';
import { parsePersonalId, checkPersonalIdConsistency } from '@hub/vn';
import { WARMUP_BASE, citizenRecord, distribution, percentile, personalNumber } from './freshness.js';

describe('freshness records', () => {
  it('gives every record a valid personal number of its own, consistent with its birth date and sex', () => {
    // The first 2,000 (all birth years and both sexes), then a sample up to the warm-up serials.
    const sample = Array.from({ length: 450 }, (_, k) => 2_000 + k * 1_997);
    const serials = [...Array.from({ length: 2_000 }, (_, i) => i), ...sample, WARMUP_BASE, WARMUP_BASE + 11];
    const seen = new Set<string>();
    for (const i of serials) {
      const r = citizenRecord(i, 't', '2026-11-27T00:00:00Z');
      const id = personalNumber(i);
      expect(r.personalId).toBe(id);
      expect(parsePersonalId(id).ok).toBe(true);
      const [d, m, y] = String(r.dateOfBirth).split('/');
      expect(
        checkPersonalIdConsistency(id, { dateOfBirth: `${y}-${m}-${d}`, sex: r.sex as 'MALE' | 'FEMALE' }),
      ).toEqual([]);
      seen.add(id);
    }
    expect(seen.size).toBe(serials.length);
  }, 60_000);
});

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('sorts, drops non-finite values and reports the maximum', () => {
    expect(distribution([5, NaN, 1, 3, Infinity, 2, 4])).toEqual({ n: 5, p50: 3, p95: 5, p99: 5, max: 5 });
  });
});
