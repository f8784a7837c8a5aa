import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTcvn3, foldAccents } from '@hub/vn';
import { Rng } from '../random.js';
import { Noiser, emptyStats, toTcvn3 } from './noise.js';

describe('Noiser', () => {
  it('records only kinds that changed the value', () => {
    const stats = emptyStats();
    const noiser = new Noiser(new Rng(1), { NO_DIACRITICS: 1 }, stats);
    expect(noiser.text('Hoang A Pao')).toBe('Hoang A Pao');
    expect(noiser.applied).toEqual([]);
    expect(noiser.text('Hầu A Lềnh')).toBe('Hau A Lenh');
    expect(noiser.applied).toEqual(['NO_DIACRITICS']);
    expect(stats.applied.NO_DIACRITICS).toBe(1);
    expect(stats.eligible.NO_DIACRITICS).toBe(1);
  });

  it('swaps day and month only when the result is still a date and differs', () => {
    const noiser = new Noiser(new Rng(1), { DAY_MONTH_SWAPPED: 1 }, emptyStats());
    const dmy = (y: string, m: string, d: string) => `${d}/${m}/${y}`;
    expect(noiser.date('1985-03-05', dmy)).toBe('03/05/1985');
    noiser.reset();
    expect(noiser.date('1985-03-25', dmy)).toBe('25/03/1985');
    expect(noiser.applied).toEqual([]);
  });

  it('property: the rate applied stays close to the configured rate', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (seed, rate) => {
        const stats = emptyStats();
        const noiser = new Noiser(new Rng(seed), { NO_DIACRITICS: rate }, stats);
        for (let i = 0; i < 2000; i++) noiser.text('Nguyễn Thị Hòa');
        const sigma = Math.sqrt(2000 * rate * (1 - rate));
        return Math.abs(stats.applied.NO_DIACRITICS - 2000 * rate) <= 5 * sigma;
      }),
      { numRuns: 30 },
    );
  });

  it('TCVN3 text decodes back (toned capitals typed in lower case, as legacy typists did)', () => {
    for (const name of ['Nguyễn Thị Hòa', 'Bàn Văn Quẩy', 'Giàng A Lềnh', 'Thôn Nà Khá, Xã Minh Tân']) {
      const encoded = toTcvn3(name);
      expect([...encoded].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
      expect(foldAccents(decodeTcvn3(encoded)).toLowerCase()).toBe(foldAccents(name).toLowerCase());
    }
  });
});
