import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRealDate } from '../identifiers/dossier-code.js';
import {
  expandTwoDigitYear,
  formatVietnameseDate,
  parseVietnameseDate,
  toIsoPartialDate,
  type PartialDate,
} from './vn-date.js';

describe('parseVietnameseDate', () => {
  it.each([
    ['05/03/1985', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['5-3-1985', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['5.3.1985', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['1985-03-05', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['ngày 5 tháng 3 năm 1985', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['Ngày 05 tháng 03 năm 1985'.normalize('NFD'), { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['ngay 5 thang 3 nam 1985', { year: 1985, month: 3, day: 5, precision: 'DAY' }],
    ['tháng 3/1985', { year: 1985, month: 3, precision: 'MONTH' }],
    ['tháng 3 năm 1985', { year: 1985, month: 3, precision: 'MONTH' }],
    ['03/1985', { year: 1985, month: 3, precision: 'MONTH' }],
    ['1985', { year: 1985, precision: 'YEAR' }],
    ['năm 1985', { year: 1985, precision: 'YEAR' }],
  ])('%s', (input, expected) => {
    expect(parseVietnameseDate(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['31/02/2000', 'DAY_OUT_OF_RANGE'],
    ['29/02/1900', 'DAY_OUT_OF_RANGE'],
    ['05/13/1985', 'MONTH_OUT_OF_RANGE'],
    ['tháng 0/1985', 'MONTH_OUT_OF_RANGE'],
    ['1700', 'YEAR_OUT_OF_RANGE'],
    ['mùng 5 Tết', 'UNRECOGNISED_DATE'],
    ['05/03/1985 abc', 'UNRECOGNISED_DATE'],
  ])('%s → %s', (input, code) => {
    const result = parseVietnameseDate(input);
    expect(result.ok ? '' : result.problems[0]?.code).toBe(code);
  });

  it('hints that day and month may be swapped', () => {
    const swapped = parseVietnameseDate('03/25/1985');
    expect(swapped.ok ? '' : swapped.problems[0]?.hint).toMatch(/day first/);
    const noSwap = parseVietnameseDate('25/13/1985');
    expect(noSwap.ok ? 'ok' : noSwap.problems[0]?.hint).toBeUndefined();
  });

  it('applies the two-digit-year pivot', () => {
    expect(parseVietnameseDate('5-3-85', { twoDigitYearPivot: 30 })).toMatchObject({
      ok: true,
      value: { year: 1985 },
    });
    expect(parseVietnameseDate('5-3-25', { twoDigitYearPivot: 30 })).toMatchObject({
      ok: true,
      value: { year: 2025 },
    });
    expect(parseVietnameseDate('5-3-25', { twoDigitYearPivot: 20 })).toMatchObject({
      ok: true,
      value: { year: 1925 },
    });
    expect(expandTwoDigitYear(0, 1)).toBe(2000);
  });

  const dateArb: fc.Arbitrary<PartialDate> = fc.oneof(
    fc
      .record({
        year: fc.integer({ min: 1800, max: 2200 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
      })
      .filter(({ year, month, day }) => isRealDate(year, month, day))
      .map((d) => ({ ...d, precision: 'DAY' as const })),
    fc
      .record({ year: fc.integer({ min: 1800, max: 2200 }), month: fc.integer({ min: 1, max: 12 }) })
      .map((d) => ({ ...d, precision: 'MONTH' as const })),
    fc.integer({ min: 1800, max: 2200 }).map((year) => ({ year, precision: 'YEAR' as const })),
  );

  it('property: format → parse round trip, and ISO → parse for full dates', () => {
    fc.assert(
      fc.property(dateArb, (date) => {
        expect(parseVietnameseDate(formatVietnameseDate(date))).toEqual({ ok: true, value: date });
        if (date.precision === 'DAY')
          expect(parseVietnameseDate(toIsoPartialDate(date))).toEqual({ ok: true, value: date });
      }),
    );
  });

  it('property: an impossible day is always rejected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 29, max: 31 }),
        (year, month, day) => {
          fc.pre(!isRealDate(year, month, day));
          expect(parseVietnameseDate(`${day}/${month}/${year}`).ok).toBe(false);
        },
      ),
    );
  });
});
