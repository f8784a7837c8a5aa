/**
 * Identifier minting: personal numbers (province of birth registration + century/sex digit + year
 * + 6 digits), legacy CMND-9 numbers and enterprise codes with a valid check digit. Serials come
 * from per-cohort counters pushed through a keyed permutation, so they are unique and look random
 * while memory stays bounded by the number of cohorts, not of people.
 */
import { centurySexDigitFor, computeTaxCheckDigit, type Sex } from '@hub/vn';
import { hash32, permute } from '../random.js';

/** CMND-9 issuing prefixes (unverified, DOMAIN.md §1.1): data, not a rule. */
export const CMND_PREFIX: Record<string, string> = { '08': '070', '02': '073' };
/** Enterprise-code ranges (N1N2) of the two old provinces (unverified, DOMAIN.md §1.2). */
export const TAX_RANGE: Record<string, string> = { '08': '50', '02': '51' };

/** A personal-number cohort (registration code, century/sex digit, year): its prefix and counter. */
interface Cohort {
  prefix: string;
  key: number;
  next: number;
}

export class IdentityMinter {
  /** Registration code → century/sex digit × 100 + 2-digit year → cohort (no string built per person). */
  private readonly personal = new Map<string, Map<number, Cohort>>();
  private readonly cohorts = new Map<string, number>();
  private readonly taxCounters = new Map<string, number>();
  private readonly keys = new Map<string, number>();

  constructor(private readonly seed: number) {}

  /**
   * The next personal number of the cohort. With `countOnly` the cohort's counter moves exactly as
   * it would, but no number is formatted ('' is returned): for households nobody will see.
   */
  personalId(registrationCode: string, birthYear: number, sex: Sex, countOnly = false): string {
    const digit = centurySexDigitFor(birthYear, sex);
    if (digit === undefined) throw new Error(`no century digit for ${birthYear}`);
    let byYear = this.personal.get(registrationCode);
    if (byYear === undefined) {
      byYear = new Map();
      this.personal.set(registrationCode, byYear);
    }
    const yy = birthYear % 100;
    let cohort = byYear.get(digit * 100 + yy);
    if (cohort === undefined) {
      const prefix = `${registrationCode}${digit}${String(yy).padStart(2, '0')}`;
      cohort = { prefix, key: this.key(prefix), next: 0 };
      byYear.set(digit * 100 + yy, cohort);
    }
    const n = cohort.next;
    // Half the space is kept for live-mode births, which draw at random above it.
    if (n >= 500_000) throw new Error(`cohort ${cohort.prefix} is full`);
    cohort.next = n + 1;
    if (countOnly) return '';
    return cohort.prefix + String(permute(n, 500_000, cohort.key)).padStart(6, '0');
  }

  /** The next CMND-9 number of the province (or undefined); `countOnly` as for `personalId`. */
  cmnd(provinceCode: string, countOnly = false): string | undefined {
    const prefix = CMND_PREFIX[provinceCode];
    if (prefix === undefined) return undefined;
    const key = `cmnd:${prefix}`;
    const n = this.cohorts.get(key) ?? 0;
    if (n >= 1_000_000) return undefined;
    this.cohorts.set(key, n + 1);
    if (countOnly) return '';
    return prefix + String(permute(n, 1_000_000, this.key(key))).padStart(6, '0');
  }

  /** The permutation key of a cohort (memoised: a few hundred cohorts, hashed once each). */
  private key(cohort: string): number {
    let key = this.keys.get(cohort);
    if (key === undefined) {
      key = hash32(`${this.seed}:${cohort}`);
      this.keys.set(cohort, key);
    }
    return key;
  }

  /** A 10-digit enterprise code in the range of `provinceCode`, with a valid check digit. */
  enterpriseCode(provinceCode: string): string {
    const range = TAX_RANGE[provinceCode] ?? '50';
    for (;;) {
      const n = this.taxCounters.get(range) ?? 0;
      this.taxCounters.set(range, n + 1);
      const sequence = 1 + permute(n, 9_999_999, this.key(`tax:${range}`));
      const firstNine = range + String(sequence).padStart(7, '0');
      const check = computeTaxCheckDigit(firstNine);
      if (check !== undefined) return firstNine + String(check);
    }
  }
}
