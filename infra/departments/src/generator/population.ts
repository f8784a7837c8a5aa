/**
 * Households: a couple (or a single adult), their children, sometimes the husband's parents.
 * Everything in a household is drawn from the household's own random stream; identifiers come
 * from the shared minter, so the whole is deterministic when households are made in order.
 */
import type { Sex } from '@hub/vn';
import { dayToIso, isoToDay, yearOf } from '../calendar.js';
import { Rng } from '../random.js';
import type { IdentityMinter } from './identity.js';
import type { Address, Ethnicity, Marriage, Person } from './model.js';
import { pickFamilyName, pickName } from './names.js';
import { addressIn, pickEthnicity, pickPlace } from './places.js';

export interface PopulationContext {
  seed: number;
  /** Day number of the "as of" date: nothing happens after it. */
  asOf: number;
  minter: IdentityMinter;
  /** Next person index (mutated). */
  nextPerson: number;
}

const REFORM = isoToDay('2025-07-01');
const MIGRANT_CODES = ['001', '025', '019', '015', '022', '031', '010', '020'];

type HouseholdKind = 'COUPLE' | 'THREE_GENERATIONS' | 'ELDERLY_COUPLE' | 'SINGLE' | 'SINGLE_PARENT';

interface Draft {
  sex: Sex;
  birthDay: number;
  familyName: string;
  ethnicity: Ethnicity;
  migrant: boolean;
}

function birthDayForAge(rng: Rng, asOf: number, age: number): number {
  return asOf - age * 365 - rng.int(0, 364);
}

function registrationCode(rng: Rng, draft: Draft, address: Address): string {
  if (draft.migrant) return rng.pick(MIGRANT_CODES);
  // People keep the prefix of the province that registered their birth for life; births in former
  // Hà Giang after the merger get 008 here (which prefix they really get is unverified).
  if (draft.birthDay >= REFORM) return '008';
  const local = address.oldProvinceCode === '02' ? '002' : '008';
  return rng.chance(0.05) ? (local === '002' ? '008' : '002') : local;
}

function deathDay(rng: Rng, birthDay: number, asOf: number): number | undefined {
  const age = (asOf - birthDay) / 365;
  const p = age < 50 ? 0.004 : age < 60 ? 0.02 : Math.min(0.7, 0.04 + (age - 60) * 0.025);
  if (!rng.chance(p)) return undefined;
  const earliest = Math.max(birthDay + 365, isoToDay('2010-01-01'));
  return earliest >= asOf ? undefined : rng.int(earliest, asOf);
}

function makePerson(
  ctx: PopulationContext,
  rng: Rng,
  householdId: string,
  draft: Draft,
  address: Address,
  countOnly: boolean,
): Person {
  const index = ctx.nextPerson++;
  const year = yearOf(draft.birthDay);
  const name = pickName(rng, draft.ethnicity, draft.sex, year, draft.familyName);
  const code = registrationCode(rng, draft, address);
  const dead = deathDay(rng, draft.birthDay, ctx.asOf);
  return {
    id: `P${String(index).padStart(8, '0')}`,
    householdId,
    ...name,
    sex: draft.sex,
    ethnicity: draft.ethnicity,
    dateOfBirth: dayToIso(draft.birthDay),
    birthRegistrationCode: code,
    personalId: ctx.minter.personalId(code, year, draft.sex, countOnly),
    cmnd: year < 1998 && rng.chance(0.65) ? ctx.minter.cmnd(address.oldProvinceCode, countOnly) : undefined,
    fatherId: undefined,
    motherId: undefined,
    spouseId: undefined,
    deathDate: dead === undefined ? undefined : dayToIso(dead),
    address,
  };
}

export interface HouseholdPeople {
  people: Person[];
  marriages: Marriage[];
}

/**
 * People and marriages of household `index`; at most `limit` people. With `countOnly` the random
 * draws and the identifier counters are exactly those of the full household, but personal and
 * CMND numbers are left empty: for households that are generated only to keep the counters right.
 */
export function makeHouseholdPeople(
  ctx: PopulationContext,
  index: number,
  limit: number,
  countOnly = false,
): HouseholdPeople {
  const rng = Rng.for(ctx.seed, 'household', index);
  const householdId = `H${String(index).padStart(8, '0')}`;
  const place = pickPlace(rng);
  const ethnicity = pickEthnicity(rng, place);
  const address = addressIn(rng, place);
  const kind = rng.weighted<HouseholdKind>([
    ['COUPLE', 62],
    ['THREE_GENERATIONS', 14],
    ['ELDERLY_COUPLE', 10],
    ['SINGLE', 8],
    ['SINGLE_PARENT', 6],
  ]);
  const familyName = pickFamilyName(rng, ethnicity);
  const migrant = rng.chance(0.06);
  const people: Person[] = [];
  const marriages: Marriage[] = [];
  const add = (draft: Draft): Person | undefined => {
    if (people.length >= limit || draft.birthDay > ctx.asOf) return undefined;
    const person = makePerson(ctx, rng, householdId, draft, address, countOnly);
    people.push(person);
    return person;
  };
  const marry = (
    husband: Person | undefined,
    wife: Person | undefined,
    minAgeDays: number,
  ): number | undefined => {
    if (!husband || !wife) return undefined;
    const youngest = Math.max(isoToDay(husband.dateOfBirth), isoToDay(wife.dateOfBirth));
    const day = youngest + minAgeDays + rng.int(0, 8 * 365);
    const ends = Math.min(
      ctx.asOf,
      isoToDay(husband.deathDate ?? '9999-12-31'),
      isoToDay(wife.deathDate ?? '9999-12-31'),
    );
    if (day > ends) return undefined;
    husband.spouseId = wife.id;
    wife.spouseId = husband.id;
    marriages.push({
      id: `M${husband.id.slice(1)}`,
      husbandId: husband.id,
      wifeId: wife.id,
      date: dayToIso(day),
      communeCode: address.communeCode,
    });
    return day;
  };
  const youngMarriage = ethnicity === 'HMONG' || ethnicity === 'DAO';
  const adultAge =
    kind === 'ELDERLY_COUPLE'
      ? rng.int(60, 90)
      : kind === 'THREE_GENERATIONS'
        ? rng.int(28, 52)
        : rng.int(20, 62);
  const husbandBirth = birthDayForAge(rng, ctx.asOf, adultAge);
  const wifeBirth = husbandBirth + rng.int(0, 6 * 365);
  let grandfather: Person | undefined;
  let grandmother: Person | undefined;
  if (kind === 'THREE_GENERATIONS') {
    const gfBirth = husbandBirth - rng.int(20, 35) * 365;
    grandfather = add({ sex: 'MALE', birthDay: gfBirth, familyName, ethnicity, migrant });
    grandmother = add({
      sex: 'FEMALE',
      birthDay: gfBirth + rng.int(0, 5 * 365),
      familyName: pickFamilyName(rng, ethnicity),
      ethnicity,
      migrant,
    });
    marry(grandfather, grandmother, 18 * 365);
  }
  const singleSex: Sex = rng.chance(0.5) ? 'MALE' : 'FEMALE';
  const husband =
    kind === 'SINGLE_PARENT' || (kind === 'SINGLE' && singleSex === 'FEMALE')
      ? undefined
      : add({ sex: 'MALE', birthDay: husbandBirth, familyName, ethnicity, migrant });
  const wife =
    kind === 'SINGLE' && singleSex === 'MALE'
      ? undefined
      : add({
          sex: 'FEMALE',
          birthDay: wifeBirth,
          familyName:
            kind === 'SINGLE_PARENT' || kind === 'SINGLE' ? familyName : pickFamilyName(rng, ethnicity),
          ethnicity,
          migrant: migrant && rng.chance(0.5),
        });
  if (husband && grandfather) {
    husband.fatherId = grandfather.id;
    husband.motherId = grandmother?.id;
  }
  const married =
    kind === 'SINGLE' || kind === 'SINGLE_PARENT'
      ? undefined
      : marry(husband, wife, (youngMarriage ? 18 : 21) * 365);
  const childrenFrom =
    married ?? (kind === 'SINGLE_PARENT' && wife ? isoToDay(wife.dateOfBirth) + 19 * 365 : undefined);
  if (childrenFrom !== undefined && wife) {
    const wanted = youngMarriage
      ? rng.int(1, 6)
      : rng.weighted([
          [0, 8],
          [1, 25],
          [2, 45],
          [3, 17],
          [4, 5],
        ]);
    let day = childrenFrom + rng.int(300, 900);
    const lastDay = Math.min(
      ctx.asOf,
      isoToDay(wife.deathDate ?? '9999-12-31'),
      isoToDay(wife.dateOfBirth) + 42 * 365,
    );
    for (let c = 0; c < wanted && day <= lastDay; c++) {
      const child = add({
        sex: rng.chance(0.52) ? 'MALE' : 'FEMALE',
        birthDay: day,
        familyName,
        ethnicity,
        migrant: false,
      });
      if (child) {
        child.fatherId = husband?.id;
        child.motherId = wife.id;
      }
      day += rng.int(450, 1500);
    }
  }
  return { people, marriages };
}
