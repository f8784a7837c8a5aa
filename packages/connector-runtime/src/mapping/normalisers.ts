import {
  classifyPersonIdentifier,
  detectAndRepairText,
  normalizeText,
  parseDossierCode,
  parseTaxCode,
  parseVietnameseAddress,
  parseVietnameseDate,
  parseVietnameseName,
  foldAccents,
  PRE_2025_SNAPSHOT_DATE,
  REFORM_DATE,
  type PartialDate,
} from '@hub/vn';
import { Memo } from './memo.js';
import type { AddressInput, LegacyIdentifierInput, PrecisionDateInput } from '@hub/schemas';

/** One thing wrong with one value: what (`problem`) and how to fix it (`hint`). */
export interface ValueProblem {
  readonly code: string;
  readonly problem: string;
  readonly hint?: string;
}

export type NormaliseResult<T> = { ok: true; value: T | null } | { ok: false; error: ValueProblem };

export const NORMALISERS = [
  'text',
  'name',
  'date',
  'datetime',
  'day',
  'address',
  'personalId',
  'legacyId',
  'personNumber',
  'cmnd9',
  'taxCode',
  'dossierCode',
  'enum',
  'int',
  'boolean',
  'list',
  'phone',
  'email',
] as const;
export type NormaliserName = (typeof NORMALISERS)[number];

export interface NormaliseContext {
  /** Enum symbols of the target field. */
  readonly symbols?: readonly string[];
  /** Source value → canonical symbol (keys compared without case and diacritics). */
  readonly map?: Readonly<Record<string, string>>;
  /** ISO date the record was written at (decides the era of an address). */
  readonly at?: string;
  /** Legacy-encoding repairs below this confidence are not applied. */
  readonly repairConfidence?: number;
}

const ok = <T>(value: T | null): NormaliseResult<T> => ({ ok: true, value });
const fail = <T>(code: string, problem: string, hint?: string): NormaliseResult<T> => ({
  ok: false,
  error: { code, problem, ...(hint ? { hint } : {}) },
});

/** Vietnam has used UTC+7 without daylight saving since 1975: dates without a time are local midnight. */
const VN_OFFSET_MS = 7 * 3600_000;
const DAY_MS = 86_400_000;

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function asText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** NFC, whitespace collapsed, and TCVN3/VNI/mojibake repaired when the repair is confident. */
export function cleanText(input: string, minConfidence = 0.6): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(input)) return normalizeText(input);
  const repair = detectAndRepairText(input);
  const text = repair.encoding !== 'UNICODE' && repair.confidence >= minConfidence ? repair.text : input;
  return normalizeText(text);
}

function toPrecisionDate(d: PartialDate): PrecisionDateInput {
  return { year: d.year, month: d.month ?? null, day: d.day ?? null, precision: d.precision };
}

function parseDateValue(v: unknown): NormaliseResult<PrecisionDateInput> {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return fail('DATE_INVALID', 'is not a valid date');
    const local = new Date(v.getTime() + VN_OFFSET_MS);
    return ok({
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      precision: 'DAY',
    });
  }
  if (typeof v === 'object' && v !== null && typeof (v as { year?: unknown }).year === 'number') {
    const d = v as { year: number; month?: number | null; day?: number | null };
    const precision = d.day ? 'DAY' : d.month ? 'MONTH' : 'YEAR';
    return ok({ year: d.year, month: d.month ?? null, day: d.day ?? null, precision });
  }
  let text = asText(v).trim();
  // ISO timestamps ("2024-03-05T10:00:00Z") are dates at a time: take the Vietnamese calendar day.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return parseDateValue(new Date(ms));
  }
  // "dd/mm/yyyy HH:mm:ss" (local time): the calendar day is the date part.
  text = text.replace(/^(\d{1,2}[/.-]\d{1,2}[/.-]\d{4})[ T]\d{1,2}:\d{2}(:\d{2})?$/, '$1');
  // Compact yyyymmdd (police systems): 8 digits starting with a plausible year.
  const compact = /^((?:18|19|20)\d{2})(0[1-9]|1[0-2])(\d{2})$/.exec(text);
  if (compact) text = `${compact[1]}-${compact[2]}-${compact[3]}`;
  const parsed = parseVietnameseDate(text);
  if (!parsed.ok) {
    const p = parsed.problems[0];
    return fail(
      p?.code ?? 'DATE_INVALID',
      p?.message ?? `"${text}" is not a date`,
      p?.hint ?? 'Use dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy.',
    );
  }
  return ok(toPrecisionDate(parsed.value));
}

function parseTimestamp(v: unknown): NormaliseResult<number> {
  if (v instanceof Date)
    return Number.isNaN(v.getTime()) ? fail('TIMESTAMP_INVALID', 'is not a valid time') : ok(v.getTime());
  if (typeof v === 'number')
    return Number.isFinite(v) ? ok(Math.trunc(v)) : fail('TIMESTAMP_INVALID', 'is not a finite number');
  const text = asText(v).trim();
  // "dd/mm/yyyy HH:mm[:ss]", as Vietnamese systems print local times.
  const local = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (local) {
    const [day, month, year, hour, minute, second] = local.slice(1).map((x) => Number(x ?? 0));
    const ms = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
    const check = new Date(ms);
    if (check.getUTCDate() === day && check.getUTCMonth() + 1 === month && (hour ?? 0) < 24)
      return ok(ms - VN_OFFSET_MS);
    return fail('TIMESTAMP_INVALID', `"${text}" is not a valid date and time`, 'Check the day and month.');
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    // A time without an offset is Vietnamese local time.
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text);
    const ms = Date.parse(hasZone ? text : `${text.replace(' ', 'T')}+07:00`);
    if (!Number.isNaN(ms)) return ok(ms);
  }
  const d = parseDateValue(text);
  if (!d.ok)
    return fail(
      'TIMESTAMP_INVALID',
      `"${text}" is not a date or time`,
      'Use ISO 8601 (2025-03-05T08:30:00+07:00) or dd/mm/yyyy.',
    );
  if (!d.value || d.value.precision !== 'DAY')
    return fail('TIMESTAMP_IMPRECISE', 'needs a full date (day, month and year)', 'Send the full date.');
  const { year, month, day } = d.value;
  return ok(Date.UTC(year, (month ?? 1) - 1, day ?? 1) - VN_OFFSET_MS);
}

function parseDay(v: unknown): NormaliseResult<number> {
  const d = parseDateValue(v);
  if (!d.ok) return d;
  if (!d.value || d.value.precision !== 'DAY')
    return fail('DATE_IMPRECISE', 'needs a full date (day, month and year)', 'Send the full date.');
  return ok(Math.round(Date.UTC(d.value.year, (d.value.month ?? 1) - 1, d.value.day ?? 1) / DAY_MS));
}

function parseAddress(
  v: unknown,
  at: string | undefined,
  minConfidence: number,
): NormaliseResult<AddressInput> {
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    // Canonical keys, or the Vietnamese ones department systems use (maTinh, maHuyen, maXa, chiTiet).
    const aliases: Record<string, string> = {
      provinceCode: 'maTinh',
      districtCode: 'maHuyen',
      communeCode: 'maXa',
      detail: 'chiTiet',
      text: 'diaChi',
    };
    const str = (k: string): string | null => {
      for (const key of [k, aliases[k] ?? k]) {
        const val = o[key];
        if (typeof val === 'string' && val !== '') return val;
      }
      return null;
    };
    const codes = Array.isArray(o.currentCommuneCodes)
      ? o.currentCommuneCodes.filter((c): c is string => typeof c === 'string')
      : [];
    const text = str('text');
    return ok({
      provinceCode: str('provinceCode'),
      districtCode: str('districtCode'),
      communeCode: str('communeCode'),
      currentCommuneCodes: codes,
      detail: str('detail'),
      text: text === null ? null : cleanText(text, minConfidence),
    });
  }
  const text = cleanText(asText(v), minConfidence);
  const parsed = parseVietnameseAddress(text, at ? { at } : {});
  // Below 0.5 the parser's own guidance is "review": keep the text, do not assert codes.
  if (parsed.confidence < 0.5) return ok({ text, detail: null, currentCommuneCodes: [] });
  return ok({
    provinceCode: parsed.province?.code ?? null,
    districtCode: parsed.district?.code ?? null,
    communeCode: parsed.commune?.code ?? null,
    validOn:
      parsed.era === 'UNKNOWN'
        ? null
        : Math.round(
            Date.parse(at ?? (parsed.era === 'PRE_2025' ? PRE_2025_SNAPSHOT_DATE : REFORM_DATE)) / DAY_MS,
          ),
    currentCommuneCodes: parsed.currentCommunes.map((u) => u.code),
    detail: parsed.detail === '' ? null : parsed.detail,
    text,
  });
}

function parseEnum(v: unknown, ctx: NormaliseContext): NormaliseResult<string> {
  const text = asText(v).trim();
  const key = foldAccents(text).toLowerCase();
  if (ctx.map) {
    for (const [from, to] of Object.entries(ctx.map))
      if (foldAccents(from).toLowerCase() === key) return ok(to);
  }
  const symbols = ctx.symbols ?? [];
  const direct = symbols.find((s) => s.toLowerCase() === key.replace(/[\s-]+/g, '_'));
  if (direct) return ok(direct);
  // `'*': SYMBOL` in a map catches every other non-blank value ("has a business tax code → BUSINESS").
  const wildcard = ctx.map?.['*'];
  if (wildcard !== undefined) return ok(wildcard);
  const known = ctx.map ? Object.keys(ctx.map) : symbols;
  return fail(
    'ENUM_UNKNOWN',
    `"${text}" is not a known value`,
    `Use one of: ${known.join(', ')}${ctx.map ? ' (or add it to the map in the mapping file)' : ''}.`,
  );
}

const TRUE = new Set(['1', 'true', 'yes', 'y', 'x', 'co', 'dung']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'khong', 'sai']);

/**
 * Addresses and names repeat a lot (a village, a family name) and parsing them is the dearest step of
 * mapping (~0.2 ms per address): results of these pure functions are memoised, bounded.
 */
function normaliseName(raw: string, minConfidence: number): NormaliseResult<unknown> {
  const text = cleanText(raw, minConfidence);
  if (/\d/.test(text))
    return fail(
      'NAME_HAS_DIGITS',
      'contains digits',
      'A person name has letters only; check the column mapping.',
    );
  return ok(parseVietnameseName(text).display);
}

const addressMemo = new Memo<NormaliseResult<AddressInput>>(20_000);
const nameMemo = new Memo<NormaliseResult<unknown>>(50_000);
/**
 * Short texts (an ethnicity, a village, an agency) repeat as much as names, and cleaning one that is
 * not pure ASCII runs the full encoding detection (~0.1 ms: several candidate decodings, each a
 * strict UTF-8 decode that throws): memoised too. Long free text is rarely repeated: not kept.
 */
const textMemo = new Memo<string>(20_000);
const MEMO_TEXT_MAX = 200;

function cleanShortText(text: string, minConfidence: number): string {
  return text.length <= MEMO_TEXT_MAX
    ? textMemo.get(`${minConfidence}\u0000${text}`, () => cleanText(text, minConfidence))
    : cleanText(text, minConfidence);
}

/** Apply one normaliser to one non-blank source value. Blank values are null (never an error here). */
/** U+0000 anywhere in a value (strings nested in objects and arrays included): PostgreSQL cannot store it. */
function holdsNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 16 || v === null || typeof v !== 'object') return false;
  return Object.values(v as Record<string, unknown>).some((x) => holdsNul(x, depth + 1));
}

export function normalise(
  name: NormaliserName,
  v: unknown,
  ctx: NormaliseContext = {},
): NormaliseResult<unknown> {
  if (isBlank(v)) return ok(null);
  if (holdsNul(v))
    return fail(
      'CONTROL_CHARACTER',
      'contains a NUL character (U+0000), which no text field may hold',
      'Remove the NUL character at the source (it usually comes from a fixed-width export or a C string).',
    );
  const minConfidence = ctx.repairConfidence ?? 0.6;
  switch (name) {
    case 'text':
      return ok(cleanShortText(asText(v), minConfidence));
    case 'name':
      return typeof v === 'string'
        ? nameMemo.get(`${minConfidence}\u0000${v}`, () => normaliseName(v, minConfidence))
        : normaliseName(asText(v), minConfidence);
    case 'date':
      return parseDateValue(v);
    case 'datetime':
      return parseTimestamp(v);
    case 'day':
      return parseDay(v);
    case 'address':
      return typeof v === 'string'
        ? addressMemo.get(`${minConfidence}\u0000${ctx.at ?? ''}\u0000${v}`, () =>
            parseAddress(v, ctx.at, minConfidence),
          )
        : parseAddress(v, ctx.at, minConfidence);
    case 'personalId': {
      const r = classifyPersonIdentifier(asText(v));
      if (!r.ok)
        return fail(
          r.problems[0]?.code ?? 'PERSONAL_ID_INVALID',
          r.problems.map((p) => p.message).join('; '),
          r.problems[0]?.hint ?? 'Send the 12-digit personal id (CCCD).',
        );
      if (r.value.kind === 'CMND9' || !r.value.personalNumber) {
        return fail(
          'CMND9_NOT_PERSONAL_ID',
          'is a 9-digit CMND, not a 12-digit personal id',
          'Map 9-digit CMND numbers to legacyIds (normalise: legacyId).',
        );
      }
      if (!r.value.personalId)
        return fail(
          'PERSONAL_ID_INVALID',
          'is not a valid 12-digit personal id',
          'Check the province prefix and the century/sex digit.',
        );
      return ok(r.value.personalNumber);
    }
    case 'legacyId': {
      const r = classifyPersonIdentifier(asText(v), { declared: 'CMND' });
      if (!r.ok)
        return fail(
          r.problems[0]?.code ?? 'CMND_INVALID',
          r.problems.map((p) => p.message).join('; '),
          'A CMND has 9 or 12 digits.',
        );
      const item: LegacyIdentifierInput = {
        kind: r.value.digits.length === 9 ? 'CMND9' : 'CMND12',
        value: r.value.digits,
      };
      return ok([item]);
    }
    case 'personNumber': {
      // A column holding either a CCCD or an old 9-digit CMND: the CMND is no personal id (map the
      // same column with cmnd9 to legacyIds), so it gives null here instead of a dead letter.
      const r = classifyPersonIdentifier(asText(v));
      return r.ok && r.value.kind === 'CMND9' ? ok(null) : normalise('personalId', v, ctx);
    }
    case 'cmnd9': {
      // The other half of personNumber: only a 9-digit CMND is an alias; 12 digits are the personal id.
      const r = classifyPersonIdentifier(asText(v));
      return r.ok && r.value.kind !== 'CMND9' ? ok(null) : normalise('legacyId', v, ctx);
    }
    case 'taxCode': {
      const r = parseTaxCode(asText(v));
      if (!r.ok)
        return fail(
          r.problems[0]?.code ?? 'TAX_CODE_INVALID',
          r.problems.map((p) => p.message).join('; '),
          r.problems[0]?.hint ?? 'A tax code has 10 digits (with -NNN for a branch).',
        );
      return ok(r.value.canonical);
    }
    case 'dossierCode': {
      const r = parseDossierCode(asText(v));
      if (!r.ok)
        return fail(
          r.problems[0]?.code ?? 'DOSSIER_CODE_INVALID',
          r.problems.map((p) => p.message).join('; '),
          r.problems[0]?.hint ?? 'Expected {agency}-{YYMMDD}-{sequence}.',
        );
      return ok(r.value.canonical);
    }
    case 'enum':
      return parseEnum(v, ctx);
    case 'int': {
      const n = typeof v === 'number' ? v : Number(asText(v).trim());
      return Number.isInteger(n) ? ok(n) : fail('NOT_AN_INTEGER', `"${asText(v)}" is not a whole number`);
    }
    case 'boolean': {
      if (typeof v === 'boolean') return ok(v);
      const key = foldAccents(asText(v)).trim().toLowerCase();
      if (TRUE.has(key)) return ok(true);
      if (FALSE.has(key)) return ok(false);
      return fail('NOT_A_BOOLEAN', `"${asText(v)}" is not yes/no`, 'Use 1/0, true/false or có/không.');
    }
    case 'list': {
      const items = Array.isArray(v) ? v.map(asText) : asText(v).split(/[,;|]/);
      return ok(items.map((s) => normalizeText(s)).filter((s) => s !== ''));
    }
    case 'phone': {
      let digits = asText(v).replace(/[\s.()-]/g, '');
      if (digits.startsWith('+84')) digits = `0${digits.slice(3)}`;
      return /^0\d{9,10}$/.test(digits)
        ? ok(digits)
        : fail('PHONE_INVALID', 'is not a Vietnamese phone number', 'Use 10 digits starting with 0, or +84.');
    }
    case 'email': {
      const text = asText(v).trim().toLowerCase();
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)
        ? ok(text)
        : fail('EMAIL_INVALID', 'is not an e-mail address');
    }
  }
}
