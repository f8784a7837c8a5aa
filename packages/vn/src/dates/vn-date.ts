/**
 * Vietnamese date inputs as they appear in registers and forms: day-first numeric dates, ISO dates,
 * a year alone, "năm 1985", "tháng 3/1985", "ngày 5 tháng 3 năm 1985" (with or without diacritics).
 * The result keeps its precision: a year of birth is not the 1st of January.
 */
import { isRealDate } from '../identifiers/dossier-code.js';
import { foldAccents } from '../text/fold.js';
import { fail, ok, problem, type ParseResult } from '../problem.js';

export type DatePrecision = 'DAY' | 'MONTH' | 'YEAR';

export interface PartialDate {
  year: number;
  month?: number;
  day?: number;
  precision: DatePrecision;
}

export interface ParseVietnameseDateOptions {
  /**
   * Two-digit years: `yy < pivot` → 20yy, else 19yy. Default: years up to the current year's last
   * two digits are 20yy (a sliding window suited to birth dates and past events).
   */
  twoDigitYearPivot?: number;
  minYear?: number;
  maxYear?: number;
}

const PATTERNS: ReadonlyArray<{ re: RegExp; parts: ReadonlyArray<'d' | 'm' | 'y'> }> = [
  { re: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, parts: ['y', 'm', 'd'] },
  { re: /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$/, parts: ['d', 'm', 'y'] },
  {
    re: /^ngay\s*(\d{1,2})\s*(?:thang\s*|[/.-]\s*)(\d{1,2})\s*(?:nam\s*|[/.-]\s*)(\d{4}|\d{2})$/,
    parts: ['d', 'm', 'y'],
  },
  { re: /^(?:thang\s*)?(\d{1,2})\s*(?:nam\s*|[/.-]\s*)(\d{4})$/, parts: ['m', 'y'] },
  { re: /^thang\s*(\d{1,2})\s*(?:nam\s*|[/.-]\s*)(\d{2})$/, parts: ['m', 'y'] },
  { re: /^(?:nam\s*)?(\d{4})$/, parts: ['y'] },
  { re: /^nam\s*(\d{2})$/, parts: ['y'] },
];

export function parseVietnameseDate(
  input: string,
  options: ParseVietnameseDateOptions = {},
): ParseResult<PartialDate> {
  const text = foldAccents(input.normalize('NFC'))
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[,]/g, ' ')
    .trim();
  for (const { re, parts } of PATTERNS) {
    const match = re.exec(text);
    if (!match) continue;
    let year = 0;
    let month: number | undefined;
    let day: number | undefined;
    let yearDigits = 4;
    parts.forEach((part, i) => {
      const raw = match[i + 1] ?? '';
      if (part === 'y') {
        year = Number(raw);
        yearDigits = raw.length;
      } else if (part === 'm') month = Number(raw);
      else day = Number(raw);
    });
    if (yearDigits === 2) year = expandTwoDigitYear(year, options.twoDigitYearPivot);
    return validate(input, year, month, day, options);
  }
  return fail([
    problem('UNRECOGNISED_DATE', `"${input}" is not a date form we read`, {
      field: 'date',
      hint: 'use dd/mm/yyyy, yyyy-mm-dd, mm/yyyy, yyyy, "năm 1985", "tháng 3/1985" or "ngày 5 tháng 3 năm 1985"',
    }),
  ]);
}

export function expandTwoDigitYear(yy: number, pivot?: number): number {
  const cut = pivot ?? (new Date().getFullYear() % 100) + 1;
  return yy < cut ? 2000 + yy : 1900 + yy;
}

function validate(
  input: string,
  year: number,
  month: number | undefined,
  day: number | undefined,
  options: ParseVietnameseDateOptions,
): ParseResult<PartialDate> {
  const minYear = options.minYear ?? 1800;
  const maxYear = options.maxYear ?? 2200;
  if (year < minYear || year > maxYear) {
    return fail([
      problem('YEAR_OUT_OF_RANGE', `year ${year} in "${input}" is outside ${minYear}–${maxYear}`, {
        field: 'year',
      }),
    ]);
  }
  if (month !== undefined && (month < 1 || month > 12)) {
    return fail([
      problem('MONTH_OUT_OF_RANGE', `month ${month} in "${input}" is not 1–12`, {
        field: 'month',
        hint:
          day !== undefined && day <= 12
            ? 'Vietnamese dates are day first (dd/mm/yyyy); day and month may be swapped'
            : undefined,
      }),
    ]);
  }
  if (day !== undefined && month !== undefined) {
    if (!isRealDate(year, month, day)) {
      return fail([
        problem(
          'DAY_OUT_OF_RANGE',
          `day ${day} does not exist in ${String(month).padStart(2, '0')}/${year} ("${input}")`,
          { field: 'day' },
        ),
      ]);
    }
    return ok({ year, month, day, precision: 'DAY' });
  }
  if (month !== undefined) return ok({ year, month, precision: 'MONTH' });
  return ok({ year, precision: 'YEAR' });
}

/** Formats as the inverse of the parser: dd/mm/yyyy, mm/yyyy or yyyy. */
export function formatVietnameseDate(date: PartialDate): string {
  const yyyy = String(date.year).padStart(4, '0');
  const mm = String(date.month ?? 0).padStart(2, '0');
  switch (date.precision) {
    case 'DAY':
      return `${String(date.day ?? 0).padStart(2, '0')}/${mm}/${yyyy}`;
    case 'MONTH':
      return `${mm}/${yyyy}`;
    case 'YEAR':
      return yyyy;
  }
}

/** ISO form: YYYY-MM-DD, YYYY-MM or YYYY. */
export function toIsoPartialDate(date: PartialDate): string {
  const yyyy = String(date.year).padStart(4, '0');
  if (date.precision === 'YEAR') return yyyy;
  const mm = String(date.month ?? 0).padStart(2, '0');
  if (date.precision === 'MONTH') return `${yyyy}-${mm}`;
  return `${yyyy}-${mm}-${String(date.day ?? 0).padStart(2, '0')}`;
}
