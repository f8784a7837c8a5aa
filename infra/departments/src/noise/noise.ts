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

const TONE_SWAP: Record<string, string> = { à: 'á', á: 'à', ả: 'ã', ã: 'ả', ạ: 'ả', ờ: 'ớ', ớ: 'ờ', ề: 'ế', ế: 'ề', ì: 'í', í: 'ì', ù: 'ú', ú: 'ù', ồ: 'ố', ố: 'ồ', ủ: 'ũ', ũ: 'ủ', ỷ: 'ỹ', ỹ: 'ỷ' };

function wrongDiacritic(text: string, rng: Rng): string {
  const chars = [...text];
  const positions = chars.flatMap((c, i) => (TONE_SWAP[c] === undefined ? [] : [i]));
  if (positions.length === 0) return text;
  const i = rng.pick(positions);
  chars[i] = TONE_SWAP[chars[i] ?? ''] ?? chars[i] ?? '';
  return chars.join('');
}

function typo(text: string, rng: Rng): string {
  const chars = [...text];
  const letters = chars.flatMap((c, i) => (/\p{L}/u.test(c) && i > 0 ? [i] : []));
  if (letters.length < 2) return text;
  const i = rng.pick(letters);
  if (rng.chance(0.5)) chars.splice(i, 1);
  else chars.splice(i, 0, chars[i] ?? '');
  return chars.join('');
}

/** TCVN3 of a text, as one legacy system stores it: toned capitals have no byte, typists used lower case. */
export function toTcvn3(text: string): string {
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
    let v = this.maybe('MODERN_TONE', value, () => placeToneMarks(value, 'modern'));
    v = this.maybe('WRONG_DIACRITICS', v, () => wrongDiacritic(v, this.rng));
    v = this.maybe('TYPO', v, () => typo(v, this.rng));
    v = this.maybe('NO_DIACRITICS', v, () => foldAccents(v));
    v = this.maybe('NFD', v, () => v.normalize('NFD'));
    return this.maybe('TCVN3', v, () => toTcvn3(v));
  }

  /** A date (ISO day) as this department writes it, through `format(y, m, d)` / `yearOnly(y)`. */
  date(iso: string, format: (y: string, m: string, d: string) => string, yearOnly: (y: string) => string = (y) => y): string {
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
