/**
 * Dates as whole days since 1970-01-01 (UTC) for speed, and the working-day calendar that dossier
 * due dates use: weekends and the public holidays listed in `data/holidays-vn.csv` are skipped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MS_PER_DAY = 86_400_000;

export function isoToDay(iso: string): number {
  return Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / MS_PER_DAY);
}

export function dayToIso(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function dayToDate(day: number, secondsOfDay = 0): Date {
  return new Date(day * MS_PER_DAY + secondsOfDay * 1000);
}

export function yearOf(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCFullYear();
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export interface HolidayCalendar {
  readonly holidays: ReadonlySet<number>;
}

let defaultCalendar: HolidayCalendar | undefined;

/** Parses `date,name` CSV text (a header line first). */
export function parseHolidays(csvText: string): HolidayCalendar {
  const holidays = new Set<number>();
  for (const line of csvText.split(/\r?\n/).slice(1)) {
    const date = line.split(',')[0]?.trim();
    if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) holidays.add(isoToDay(date));
  }
  return { holidays };
}

export function defaultHolidays(): HolidayCalendar {
  defaultCalendar ??= parseHolidays(
    readFileSync(fileURLToPath(new URL('../data/holidays-vn.csv', import.meta.url)), 'utf8'),
  );
  return defaultCalendar;
}

export function isWorkingDay(day: number, calendar: HolidayCalendar): boolean {
  const wd = weekdayOf(day);
  return wd !== 0 && wd !== 6 && !calendar.holidays.has(day);
}

/**
 * The day that is `n` working days after `start` (the receipt day itself does not count), as on
 * a receipt slip: "05 ngày làm việc".
 */
export function addWorkingDays(start: number, n: number, calendar: HolidayCalendar): number {
  let day = start;
  let left = n;
  while (left > 0) {
    day++;
    if (isWorkingDay(day, calendar)) left--;
  }
  return day;
}

/** Working days strictly after `from` up to and including `to` (0 when `to` ≤ `from`). */
export function workingDaysBetween(from: number, to: number, calendar: HolidayCalendar): number {
  let count = 0;
  for (let day = from + 1; day <= to; day++) if (isWorkingDay(day, calendar)) count++;
  return count;
}

/** The next working day on or after `day`. */
export function nextWorkingDay(day: number, calendar: HolidayCalendar): number {
  let d = day;
  while (!isWorkingDay(d, calendar)) d++;
  return d;
}
