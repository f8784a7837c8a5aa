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

export class IdentityMinter {
  private readonly cohorts = new Map<string, number>();
  private readonly taxCounters = new Map<string, number>();

  constructor(private readonly seed: number) {}

  personalId(registrationCode: string, birthYear: number, sex: Sex): string {
    const digit = centurySexDigitFor(birthYear, sex);
    if (digit === undefined) throw new Error(`no century digit for ${birthYear}`);
    const cohort = `${registrationCode}${digit}${String(birthYear % 100).padStart(2, '0')}`;
    const n = this.cohorts.get(cohort) ?? 0;
    // Half the space is kept for live-mode births, which draw at random above it.
    if (n >= 500_000) throw new Error(`cohort ${cohort} is full`);
    this.cohorts.set(cohort, n + 1);
    return cohort + String(permute(n, 500_000, hash32(`${this.seed}:${cohort}`))).padStart(6, '0');
  }

  cmnd(provinceCode: string): string | undefined {
    const prefix = CMND_PREFIX[provinceCode];
    if (prefix === undefined) return undefined;
    const key = `cmnd:${prefix}`;
    const n = this.cohorts.get(key) ?? 0;
    if (n >= 1_000_000) return undefined;
    this.cohorts.set(key, n + 1);
    return prefix + String(permute(n, 1_000_000, hash32(`${this.seed}:${key}`))).padStart(6, '0');
  }

  /** A 10-digit enterprise code in the range of `provinceCode`, with a valid check digit. */
  enterpriseCode(provinceCode: string): string {
    const range = TAX_RANGE[provinceCode] ?? '50';
    for (;;) {
      const n = this.taxCounters.get(range) ?? 0;
      this.taxCounters.set(range, n + 1);
      const sequence = 1 + permute(n, 9_999_999, hash32(`${this.seed}:tax:${range}`));
      const firstNine = range + String(sequence).padStart(7, '0');
      const check = computeTaxCheckDigit(firstNine);
      if (check !== undefined) return firstNine + String(check);
    }
  }
}
