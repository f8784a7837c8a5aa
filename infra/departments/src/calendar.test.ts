import { describe, expect, it } from 'vitest';
import { addWorkingDays, dayToIso, defaultHolidays, isoToDay, parseHolidays, weekdayOf, workingDaysBetween } from './calendar.js';

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
