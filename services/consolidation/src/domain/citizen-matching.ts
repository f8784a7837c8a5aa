import { jaroWinkler, parseVietnameseName, phoneticKey } from '@hub/vn';
import type { CitizenObserved, PrecisionDate } from '@hub/schemas';
import { sumWeights, type Agreement, type FieldWeights, type ScoredComparison } from './fellegi-sunter.js';

/** Default m/u probabilities for citizens (tunable; see README "Matching"). */
export const CITIZEN_WEIGHTS: Readonly<Record<string, FieldWeights>> = {
  name: { m: 0.95, u: 0.001, partial: { m: 0.04, u: 0.005 } },
  dateOfBirth: { m: 0.95, u: 0.00005, partial: { m: 0.04, u: 0.015 } },
  sex: { m: 0.98, u: 0.5 },
  commune: { m: 0.8, u: 0.01 },
  father: { m: 0.85, u: 0.001, partial: { m: 0.1, u: 0.005 } },
  mother: { m: 0.85, u: 0.001, partial: { m: 0.1, u: 0.005 } },
};

/**
 * What the matcher compares, computed once per observation. Names are held as their phonetic keys
 * (`phoneticKey`; null when the name is absent or blank): every comparison of a name would otherwise
 * derive both keys again.
 */
export interface CitizenFeatures {
  readonly name: string | null;
  readonly givenKey: string | null;
  readonly dateOfBirth: PrecisionDate | null;
  readonly sex: 'MALE' | 'FEMALE' | null;
  readonly communes: readonly string[];
  readonly father: string | null;
  readonly mother: string | null;
}

const blank = (s: string | null | undefined): s is null | undefined =>
  s === null || s === undefined || s.trim() === '';

export function citizenFeatures(o: CitizenObserved): CitizenFeatures {
  const name = blank(o.fullName) ? null : o.fullName;
  const communes = new Set<string>();
  for (const a of [o.currentAddress, o.permanentAddress]) {
    if (!a) continue;
    if (a.currentCommuneCodes.length) for (const c of a.currentCommuneCodes) communes.add(c);
    else if (a.communeCode) communes.add(a.communeCode);
  }
  return {
    name: name === null ? null : phoneticKey(name),
    givenKey: name ? phoneticKey(parseVietnameseName(name).given) || null : null,
    dateOfBirth: o.dateOfBirth,
    sex: o.sex === 'MALE' || o.sex === 'FEMALE' ? o.sex : null,
    communes: [...communes].sort(),
    father: blank(o.fatherName) ? null : phoneticKey(o.fatherName),
    mother: blank(o.motherName) ? null : phoneticKey(o.motherName),
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function isoOf(d: PrecisionDate): string {
  if (d.precision === 'DAY' && d.month !== null && d.day !== null)
    return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
  if (d.precision !== 'YEAR' && d.month !== null) return `${d.year}-${pad(d.month)}`;
  return String(d.year);
}

/**
 * Dates with precision: equal at full day precision agree; equal on everything both know (a year-only
 * date against a full date of that year) is partial agreement; anything else disagrees.
 */
export function compareDates(a: PrecisionDate | null, b: PrecisionDate | null): Agreement {
  if (!a || !b) return 'missing';
  if (a.year !== b.year) return 'disagree';
  const aMonth = a.precision === 'YEAR' ? null : a.month;
  const bMonth = b.precision === 'YEAR' ? null : b.month;
  if (aMonth === null || bMonth === null) return 'partial';
  if (aMonth !== bMonth) return 'disagree';
  const aDay = a.precision === 'DAY' ? a.day : null;
  const bDay = b.precision === 'DAY' ? b.day : null;
  if (aDay === null || bDay === null) return 'partial';
  return aDay === bDay ? 'agree' : 'disagree';
}

/** Jaro–Winkler of two phonetic keys (`phoneticKey`): ≥ 0.96 agree, ≥ 0.88 partial. */
export function compareNameKeys(a: string | null, b: string | null): Agreement {
  if (a === null || b === null) return 'missing';
  const s = jaroWinkler(a, b);
  if (s >= 0.96) return 'agree';
  if (s >= 0.88) return 'partial';
  return 'disagree';
}

/** Phonetic Jaro–Winkler of two names (`nameSimilarity`), graded as `compareNameKeys`. */
export function compareNames(a: string | null, b: string | null): Agreement {
  return compareNameKeys(a === null ? null : phoneticKey(a), b === null ? null : phoneticKey(b));
}

export function compareSets(a: readonly string[], b: readonly string[]): Agreement {
  if (a.length === 0 || b.length === 0) return 'missing';
  return a.some((x) => b.includes(x)) ? 'agree' : 'disagree';
}

export function scoreCitizens(
  a: CitizenFeatures,
  b: CitizenFeatures,
  weights = CITIZEN_WEIGHTS,
): ScoredComparison {
  return sumWeights(weights, {
    name: compareNameKeys(a.name, b.name),
    dateOfBirth: compareDates(a.dateOfBirth, b.dateOfBirth),
    sex: a.sex === null || b.sex === null ? 'missing' : a.sex === b.sex ? 'agree' : 'disagree',
    commune: compareSets(a.communes, b.communes),
    father: compareNameKeys(a.father, b.father),
    mother: compareNameKeys(a.mother, b.mother),
  });
}

/**
 * Blocking keys: only records sharing a key are compared. Phonetic full name + birth year; given
 * name + full birth date (catches family-name typos); phonetic full name + commune (catches
 * birth-date errors). Never the name alone (Nguyễn is ~38% of the population).
 */
export function citizenBlockingKeys(f: CitizenFeatures): string[] {
  const keys: string[] = [];
  const name = f.name ?? '';
  if (name && f.dateOfBirth) keys.push(`cn:${name}:${f.dateOfBirth.year}`);
  if (f.givenKey && f.dateOfBirth?.precision === 'DAY') keys.push(`cg:${f.givenKey}:${isoOf(f.dateOfBirth)}`);
  if (name) for (const c of f.communes.slice(0, 3)) keys.push(`cc:${name}:${c}`);
  return keys;
}
