/**
 * Noise with ground truth. A department records each true value its own way; a `Noiser` decides
 * per record and per kind whether to damage a value, and keeps the kinds that actually changed
 * something (so the truth file never claims noise that is not there) plus counters per kind:
 * eligible (the damage would change the value) and applied. Applied / eligible ≈ the configured rate.
 */
import { encodeTcvn3, foldAccents, placeToneMarks } from '@hub/vn';
import type { Rng } from '../random.js';

export const NOISE_KINDS = [
  'NO_DIACRITICS',
  'WRONG_DIACRITICS',
  'NFD',
  'MODERN_TONE',
  'TCVN3',
  'TYPO',
  'DAY_MONTH_SWAPPED',
  'YEAR_ONLY',
  'OLD_ADDRESS',
  'CMND_INSTEAD_OF_ID',
  'MISSING_FIELD',
  'DUPLICATE',
] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];
export type NoiseProfile = Partial<Record<NoiseKind, number>>;

export interface NoiseStats {
  eligible: Record<NoiseKind, number>;
  applied: Record<NoiseKind, number>;
}

export function emptyStats(): NoiseStats {
  const zero = () => Object.fromEntries(NOISE_KINDS.map((k) => [k, 0])) as Record<NoiseKind, number>;
  return { eligible: zero(), applied: zero() };
}

const TONE_SWAP: Record<string, string> = {
  à: 'á',
  á: 'à',
  ả: 'ã',
  ã: 'ả',
  ạ: 'ả',
  ờ: 'ớ',
  ớ: 'ờ',
  ề: 'ế',
  ế: 'ề',
  ì: 'í',
  í: 'ì',
  ù: 'ú',
  ú: 'ù',
  ồ: 'ố',
  ố: 'ồ',
  ủ: 'ũ',
  ũ: 'ủ',
  ỷ: 'ỹ',
  ỹ: 'ỷ',
};

/**
 * Per-text memo for work that depends on the text alone (names and addresses repeat a lot). Every
 * damage is computed for every eligible field to keep the statistics exact, so this is hot.
 * Cleared when full, so memory stays bounded.
 */
class Memo<T> {
  private readonly map = new Map<string, T>();

  constructor(
    private readonly compute: (text: string) => T,
    private readonly capacity = 50_000,
  ) {}

  get(text: string): T {
    let value = this.map.get(text);
    if (value === undefined) {
      value = this.compute(text);
      if (this.map.size >= this.capacity) this.map.clear();
      this.map.set(text, value);
    }
    return value;
  }
}

/** Code points of a text and the (code point) indices a damage may touch. */
interface Positions {
  chars: string[];
  at: number[];
}

/** The code points of `chars` in [from, to) as a string. */
function span(text: string, chars: readonly string[], from: number, to = chars.length): string {
  // Without surrogate pairs, code point and UTF-16 indices agree.
  return chars.length === text.length ? text.slice(from, to) : chars.slice(from, to).join('');
}

function swappablePositions(text: string): Positions {
  const chars = [...text];
  return { chars, at: chars.flatMap((c, i) => (TONE_SWAP[c] === undefined ? [] : [i])) };
}

function wrongDiacritic(text: string, { chars, at }: Positions, rng: Rng): string {
  if (at.length === 0) return text;
  const i = rng.pick(at);
  const c = chars[i] ?? '';
  return span(text, chars, 0, i) + (TONE_SWAP[c] ?? c) + span(text, chars, i + 1);
}

function typoablePositions(text: string): Positions {
  const chars = [...text];
  return { chars, at: chars.flatMap((c, i) => (/\p{L}/u.test(c) && i > 0 ? [i] : [])) };
}

function typo(text: string, { chars, at }: Positions, rng: Rng): string {
  if (at.length < 2) return text;
  const i = rng.pick(at);
  const head = span(text, chars, 0, i);
  // Drop the letter, or type it twice.
  return rng.chance(0.5) ? head + span(text, chars, i + 1) : head + (chars[i] ?? '') + span(text, chars, i);
}

/** The pure damages of one text, each computed when first needed: one memo lookup per text. */
interface TextFacts {
  modernTone?: string;
  swappable?: Positions;
  typoable?: Positions;
  folded?: string;
  decomposed?: string;
  tcvn3?: string;
}

const textFacts = new Memo<TextFacts>(() => ({}));

/** TCVN3 of a text, as one legacy system stores it: toned capitals have no byte, typists used lower case. */
export function toTcvn3(text: string): string {
  return (textFacts.get(text).tcvn3 ??= encodeToTcvn3(text));
}

function encodeToTcvn3(text: string): string {
  const lowered = [...text.normalize('NFC')]
    .map((c) => (c.charCodeAt(0) > 0xff && c !== c.toLowerCase() ? c.toLowerCase() : c))
    .join('');
  return [...encodeTcvn3(lowered)].map((c) => (c.charCodeAt(0) > 0xff ? '?' : c)).join('');
}

export class Noiser {
  /** Kinds that changed something in the current record. */
  applied: NoiseKind[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly profile: NoiseProfile,
    private readonly stats: NoiseStats,
  ) {}

  /** Starts a new record. */
  reset(): void {
    this.applied = [];
  }

  /** Applies `kind` with its configured rate when `damaged` differs from `value`. */
  maybe<T>(kind: NoiseKind, value: T, damage: () => T): T {
    const rate = this.profile[kind] ?? 0;
    const roll = this.rng.next();
    if (rate <= 0) return value;
    const damaged = damage();
    if (damaged === value) return value;
    this.stats.eligible[kind]++;
    if (roll >= rate) return value;
    this.stats.applied[kind]++;
    if (!this.applied.includes(kind)) this.applied.push(kind);
    return damaged;
  }

  /** A name or free text as this department types it. */
  text(value: string): string {
    let v = value;
    // The memoised facts of `v`, looked up once and again only after a damage changed `v`.
    let facts: TextFacts | undefined;
    const step = (kind: NoiseKind, damage: (f: TextFacts, text: string) => string) => {
      const before = v;
      v = this.maybe(kind, before, () => damage((facts ??= textFacts.get(before)), before));
      if (v !== before) facts = undefined;
    };
    step('MODERN_TONE', (f, t) => (f.modernTone ??= placeToneMarks(t, 'modern')));
    step('WRONG_DIACRITICS', (f, t) => wrongDiacritic(t, (f.swappable ??= swappablePositions(t)), this.rng));
    step('TYPO', (f, t) => typo(t, (f.typoable ??= typoablePositions(t)), this.rng));
    step('NO_DIACRITICS', (f, t) => (f.folded ??= foldAccents(t)));
    step('NFD', (f, t) => (f.decomposed ??= t.normalize('NFD')));
    step('TCVN3', (f, t) => (f.tcvn3 ??= encodeToTcvn3(t)));
    return v;
  }

  /** A date (ISO day) as this department writes it, through `format(y, m, d)` / `yearOnly(y)`. */
  date(
    iso: string,
    format: (y: string, m: string, d: string) => string,
    yearOnly: (y: string) => string = (y) => y,
  ): string {
    const [y = '', m = '', d = ''] = iso.split('-');
    const proper = format(y, m, d);
    const swapped = Number(d) <= 12 && d !== m ? format(y, d, m) : proper;
    const v = this.maybe('DAY_MONTH_SWAPPED', proper, () => swapped);
    return this.maybe('YEAR_ONLY', v, () => yearOnly(y));
  }

  /** The personal number, or the legacy CMND when the person has one and the clerk used it. */
  personNumber(personalId: string, cmnd: string | undefined): string {
    return this.maybe('CMND_INSTEAD_OF_ID', personalId, () => cmnd ?? personalId);
  }

  /** A value that may be left empty. */
  optional<T>(value: T | null): T | null {
    return this.maybe<T | null>('MISSING_FIELD', value, () => null);
  }

  /** Whether the record carries the pre-2025 commune (code `old`) instead of the current one. */
  oldAddress(currentCode: string, oldCode: string): boolean {
    return this.maybe('OLD_ADDRESS', currentCode, () => oldCode) !== currentCode;
  }

  /** Whether this record is also entered a second time. */
  duplicate(): boolean {
    return this.maybe('DUPLICATE', false, () => true);
  }
}
