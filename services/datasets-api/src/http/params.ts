import { z } from 'zod';
import { foldKey } from '@hub/vn';

/** Names: letters (any script, with marks), spaces, dot, apostrophe, hyphen. Anything else is a 400. */
export const NameParam = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(100, 'name is at most 100 characters')
  .regex(/^[\p{L}\p{M}][\p{L}\p{M} .'-]*$/u, 'name may hold only letters, spaces, ".", "\'" and "-"')
  .transform((s) => [...new Set(foldKey(s).split(' ').filter((t) => t !== ''))])
  .refine((tokens) => tokens.length >= 1 && tokens.length <= 8, 'name has 1 to 8 words');

function realDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** `1985`, `1985-03` or `1985-03-12`: records known to a coarser precision match too. */
export const BirthParam = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'dob is YYYY, YYYY-MM or YYYY-MM-DD')
  .transform((s) => {
    const [y, m, d] = s.split('-').map(Number);
    return { year: y ?? 0, month: m, day: d };
  })
  .refine((b) => b.year >= 1850 && b.year <= 2200, 'dob year is out of range')
  .refine((b) => b.month === undefined || (b.month >= 1 && b.month <= 12), 'dob month is 01–12')
  .refine((b) => b.day === undefined || realDate(b.year, b.month ?? 1, b.day), 'dob is not a real date');

export const CommuneParam = z.string().regex(/^\d{5}$/, 'commune is a 5-digit administrative-unit code');
export const CodeParam = z.string().regex(/^[A-Za-z0-9.]{1,40}$/, 'a code is 1–40 letters, digits or dots');

/** ISO date or date-time. */
export const InstantParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/, 'expected an ISO date (2025-07-01) or date-time (2025-07-01T08:00:00Z)')
  .transform((s) => new Date(s))
  .refine((d) => !Number.isNaN(d.getTime()), 'not a real date');
