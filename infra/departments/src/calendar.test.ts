import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  dayToDmy,
  dayToIso,
  defaultHolidays,
  isoTimestamp,
  isoToDay,
  parseHolidays,
  shiftedDmyTime,
  shiftedIsoLocal,
  weekdayOf,
  workingDaysBetween,
  yearOf,
} from './calendar.js';

describe('working-day calendar', () => {
  const none = parseHolidays('date,name\n');

  it('skips weekends: 5 working days after Friday 2025-03-07 is Friday 2025-03-14', () => {
    expect(weekdayOf(isoToDay('2025-03-07'))).toBe(5);
    expect(dayToIso(addWorkingDays(isoToDay('2025-03-07'), 5, none))).toBe('2025-03-14');
  });

  it('skips holidays from the data file: 1 working day after 2025-04-29 is 2025-05-02 (30/4 and 1/5 off)', () => {
    expect(dayToIso(addWorkingDays(isoToDay('2025-04-29'), 1, defaultHolidays()))).toBe('2025-05-02');
  });

  it('skips Tết 2025 (28/1 – 1/2)', () => {
    expect(dayToIso(addWorkingDays(isoToDay('2025-01-27'), 1, defaultHolidays()))).toBe('2025-02-03');
  });

  it('counts working days between two days', () => {
    expect(workingDaysBetween(isoToDay('2025-03-07'), isoToDay('2025-03-14'), none)).toBe(5);
    expect(workingDaysBetween(isoToDay('2025-03-14'), isoToDay('2025-03-07'), none)).toBe(0);
  });
});

describe('date arithmetic without Date', () => {
  const MS = 86_400_000;
  const byDate = {
    isoToDay: (iso: string) => Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / MS),
    dayToIso: (day: number) => new Date(day * MS).toISOString().slice(0, 10),
    timestamp: (day: number, seconds: number) => new Date(day * MS + seconds * 1000).toISOString(),
    shifted: (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString(),
  };
  const day = fc.integer({ min: -80_000, max: 120_000 });

  it('property: agrees with Date on days, ISO dates, years and timestamps (inside and outside the cache)', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: -100_000, max: 200_000 }), (d, seconds) => {
        const iso = byDate.dayToIso(d);
        const t = byDate.timestamp(d, seconds);
        return (
          dayToIso(d) === iso &&
          isoToDay(iso) === d &&
          isoToDay(t) === byDate.isoToDay(t) &&
          yearOf(d) === new Date(d * MS).getUTCFullYear() &&
          dayToDmy(d) === iso.split('-').reverse().join('/') &&
          isoTimestamp(d, seconds) === t &&
          shiftedIsoLocal(t, 7 * 3600) === byDate.shifted(t, 7 * 3600).slice(0, 23) &&
          shiftedDmyTime(t, 7 * 3600) ===
            `${byDate
              .shifted(t, 7 * 3600)
              .slice(0, 10)
              .split('-')
              .reverse()
              .join('/')} ${byDate.shifted(t, 7 * 3600).slice(11, 19)}`
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('falls back to Date for odd input: invalid days roll over or give NaN as Date.parse does, fractions are kept', () => {
    for (const iso of [
      '2025-02-30',
      '2025-04-31',
      '2025-13-01',
      '',
      'x',
      '9999-12-31',
      '0999-01-01',
      '2025-2-3',
    ])
      expect(isoToDay(iso), iso).toEqual(byDate.isoToDay(iso));
    expect(dayToIso(20_000.5)).toBe(byDate.dayToIso(20_000.5));
    expect(isoTimestamp(20_000, 12.25)).toBe(byDate.timestamp(20_000, 12.25));
    expect(shiftedIsoLocal('2025-07-01T20:00:00Z', 7 * 3600)).toBe('2025-07-02T03:00:00.000');
    expect(shiftedDmyTime('2025-12-31T17:00:00.123Z', 7 * 3600)).toBe('01/01/2026 00:00:00');
    expect(() => shiftedDmyTime('not a date', 0)).toThrow(RangeError);
  });
});
