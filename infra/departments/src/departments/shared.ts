/** Helpers the department renderers share: timestamps, date formats, sex and ethnicity codes. */
import { isoTimestamp, isoToDay } from '../calendar.js';
import type { Address, Ethnicity, Person } from '../generator/model.js';
import { formatAddress } from '../generator/places.js';
import type { Noiser } from '../noise/noise.js';
import type { Rng } from '../random.js';

/** A moment during office hours (Vietnam time) of an ISO day, as an ISO UTC timestamp. */
export function officeTime(rng: Rng, iso: string): string {
  return isoTimestamp(isoToDay(iso), rng.int(7.5 * 3600, 17 * 3600) - 7 * 3600);
}

/** `updated_at` of a record created at `createdAt`: mostly untouched, sometimes corrected later. */
export function laterEdit(rng: Rng, createdAt: string, asOf: number, share = 0.15): string {
  const created = isoToDay(createdAt);
  if (created >= asOf || !rng.chance(share)) return createdAt;
  return isoTimestamp(rng.int(created + 1, asOf), rng.int(7.5 * 3600, 17 * 3600) - 7 * 3600);
}

export const dmy = (y: string, m: string, d: string): string => `${d}/${m}/${y}`;

/** National ethnic-group codes (Decision 121-TCTK/PPCĐ, 1979; recalled, unverified) for the groups the generator makes. */
export const ETHNICITY_CODE: Record<Ethnicity, string> = {
  KINH: '01',
  TAY: '02',
  NUNG: '07',
  HMONG: '08',
  DAO: '09',
  SAN_CHAY: '15',
  GIAY: '25',
};

/** Address text and commune code as recorded: pre-2025 when the clerk kept the old unit. */
export function recordedAddress(
  noiser: Noiser,
  address: Address,
): { text: string; communeCode: string; old: boolean } {
  const old = noiser.oldAddress(address.communeCode, address.oldCommuneCode);
  return old
    ? { text: formatAddress(address, 'PRE_2025'), communeCode: address.oldCommuneCode, old }
    : { text: formatAddress(address, 'CURRENT'), communeCode: address.communeCode, old };
}

/** Identity document as recorded: kind and number (CCCD, or CMND when the clerk used the old card). */
export function recordedDocument(
  noiser: Noiser,
  person: Person,
): { kind: 'CCCD' | 'CMND' | null; number: string | null } {
  const number = noiser.optional(noiser.personNumber(person.personalId, person.cmnd));
  if (number === null) return { kind: null, number: null };
  return { kind: number.length === 9 ? 'CMND' : 'CCCD', number };
}
