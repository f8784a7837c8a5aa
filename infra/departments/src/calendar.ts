/**
 * Dates as whole days since 1970-01-01 (UTC) for speed, and the working-day calendar that dossier
 * due dates use: weekends and the public holidays listed in `data/holidays-vn.csv` are skipped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MS_PER_DAY = 86_400_000;

/*
 * Date arithmetic without `Date`: generation formats and parses tens of millions of dates, and
 * `Date.parse` / `toISOString` were the hottest calls of the whole pipeline. The fast paths below
 * give exactly what the `Date` versions give (property-tested in calendar.test.ts) and fall back
 * to `Date` for anything unusual (non-integer days, out-of-range fields, years outside the cache).
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Year, month (1–12) and day of a day number (`civil_from_days`). */
function civilFromDays(day: number): [number, number, number] {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Days whose ISO strings are cached (1800-01-01 … 2199-12-31): every date the generator makes. */
const CACHE_FROM = daysFromCivil(1800, 1, 1);
const CACHE_TO = daysFromCivil(2200, 1, 1);
const isoCache: Array<string | undefined> = [];
const dmyCache: Array<string | undefined> = [];
const clockCache: Array<string | undefined> = [];

function cached(day: number): boolean {
  return Number.isInteger(day) && day >= CACHE_FROM && day < CACHE_TO;
}

function isDigit(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : (DAYS_IN_MONTH[m - 1] ?? 31);
}

export function isoToDay(iso: string): number {
  if (
    iso.length >= 10 &&
    iso.charCodeAt(4) === 45 &&
    iso.charCodeAt(7) === 45 &&
    isDigit(iso, 0) &&
    isDigit(iso, 1) &&
    isDigit(iso, 2) &&
    isDigit(iso, 3) &&
    isDigit(iso, 5) &&
    isDigit(iso, 6) &&
    isDigit(iso, 8) &&
    isDigit(iso, 9)
  ) {
    const y = digits(iso, 0, 4);
    const m = digits(iso, 5, 7);
    const d = digits(iso, 8, 10);
    if (y >= 1000 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)) return daysFromCivil(y, m, d);
  }
  return Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / MS_PER_DAY);
}

export function dayToIso(day: number): string {
  if (!cached(day)) return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
  const i = day - CACHE_FROM;
  let iso = isoCache[i];
  if (iso === undefined) {
    const [y, m, d] = civilFromDays(day);
    iso = `${y}-${pad2(m)}-${pad2(d)}`;
    isoCache[i] = iso;
  }
  return iso;
}

/** `dd/MM/yyyy` of a day number. */
export function dayToDmy(day: number): string {
  if (!cached(day)) {
    const iso = dayToIso(day);
    return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
  }
  const i = day - CACHE_FROM;
  let dmy = dmyCache[i];
  if (dmy === undefined) {
    const iso = dayToIso(day);
    dmy = `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    dmyCache[i] = dmy;
  }
  return dmy;
}

/** `HH:mm:ss` of a whole second of the day (0 … 86,399). */
function clock(second: number): string {
  let text = clockCache[second];
  if (text === undefined) {
    text = `${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}`;
    clockCache[second] = text;
  }
  return text;
}

export function dayToDate(day: number, secondsOfDay = 0): Date {
  return new Date(day * MS_PER_DAY + secondsOfDay * 1000);
}

/** `dayToDate(day, secondsOfDay).toISOString()`, without the `Date`. */
export function isoTimestamp(day: number, secondsOfDay = 0): string {
  if (!Number.isInteger(secondsOfDay) || !Number.isInteger(day))
    return dayToDate(day, secondsOfDay).toISOString();
  const carry = Math.floor(secondsOfDay / 86_400);
  const d = day + carry;
  if (!cached(d)) return dayToDate(day, secondsOfDay).toISOString();
  return `${dayToIso(d)}T${clock(secondsOfDay - carry * 86_400)}.000Z`;
}

/** An ISO UTC timestamp `yyyy-MM-ddTHH:mm:ss[.sss]Z` as (day, second of day, milliseconds); undefined for any other shape. */
function splitTimestamp(iso: string): { day: number; second: number; ms: string } | undefined {
  const n = iso.length;
  if (
    (n !== 24 && n !== 20) ||
    iso.charCodeAt(10) !== 84 ||
    iso.charCodeAt(n - 1) !== 90 ||
    iso.charCodeAt(13) !== 58 ||
    iso.charCodeAt(16) !== 58
  )
    return undefined;
  if (n === 24 && (iso.charCodeAt(19) !== 46 || !isDigit(iso, 20) || !isDigit(iso, 21) || !isDigit(iso, 22)))
    return undefined;
  if (
    !isDigit(iso, 11) ||
    !isDigit(iso, 12) ||
    !isDigit(iso, 14) ||
    !isDigit(iso, 15) ||
    !isDigit(iso, 17) ||
    !isDigit(iso, 18)
  )
    return undefined;
  const hh = digits(iso, 11, 13);
  const mm = digits(iso, 14, 16);
  const ss = digits(iso, 17, 19);
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  const day = isoToDay(iso);
  if (
    !cached(day) ||
    iso.charCodeAt(4) !== 45 ||
    iso.charCodeAt(7) !== 45 ||
    dayToIso(day) !== iso.slice(0, 10)
  )
    return undefined;
  return { day, second: hh * 3600 + mm * 60 + ss, ms: n === 24 ? iso.slice(20, 23) : '000' };
}

/** An ISO UTC timestamp shifted by `offsetSeconds` and formatted as `dd/MM/yyyy HH:mm:ss`. */
export function shiftedDmyTime(iso: string, offsetSeconds: number): string {
  const parts = Number.isInteger(offsetSeconds) ? splitTimestamp(iso) : undefined;
  if (parts !== undefined) {
    const total = parts.second + offsetSeconds;
    const carry = Math.floor(total / 86_400);
    if (cached(parts.day + carry)) return `${dayToDmy(parts.day + carry)} ${clock(total - carry * 86_400)}`;
  }
  const t = new Date(Date.parse(iso) + offsetSeconds * 1000).toISOString();
  return `${t.slice(8, 10)}/${t.slice(5, 7)}/${t.slice(0, 4)} ${t.slice(11, 19)}`;
}

/** An ISO UTC timestamp shifted by `offsetSeconds`, as `yyyy-MM-ddTHH:mm:ss.sss` (no zone). */
export function shiftedIsoLocal(iso: string, offsetSeconds: number): string {
  const parts = Number.isInteger(offsetSeconds) ? splitTimestamp(iso) : undefined;
  if (parts !== undefined) {
    const total = parts.second + offsetSeconds;
    const carry = Math.floor(total / 86_400);
    if (cached(parts.day + carry))
      return `${dayToIso(parts.day + carry)}T${clock(total - carry * 86_400)}.${parts.ms}`;
  }
  return new Date(Date.parse(iso) + offsetSeconds * 1000).toISOString().slice(0, 23);
}

const yearCache = new Int16Array(CACHE_TO - CACHE_FROM);

export function yearOf(day: number): number {
  if (cached(day)) {
    const i = day - CACHE_FROM;
    let year = yearCache[i] ?? 0;
    if (year === 0) {
      year = civilFromDays(day)[0];
      yearCache[i] = year;
    }
    return year;
  }
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
