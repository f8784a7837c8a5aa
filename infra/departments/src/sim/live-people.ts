/**
 * New people for live mode (births, new owners): a fresh name, date of birth and a personal number
 * drawn from the upper half of its cohort's serial space, which the batch generator never uses.
 */
import type { Sex } from '@hub/vn';
import { centurySexDigitFor } from '@hub/vn';
import type { Ethnicity } from '../generator/model.js';
import { pickFamilyName, pickName } from '../generator/names.js';
import { loadPlaces, addressIn, pickEthnicity, pickPlace } from '../generator/places.js';
import type { Address } from '../generator/model.js';
import { Rng } from '../random.js';

export interface LivePerson {
  entityId: string;
  fullName: string;
  sex: Sex;
  ethnicity: Ethnicity;
  dateOfBirth: string;
  personalId: string;
  address: Address;
}

let counter = 0;

export function livePerson(rng: Rng, dateOfBirth: string): LivePerson {
  loadPlaces();
  const place = pickPlace(rng);
  const ethnicity = pickEthnicity(rng, place);
  const sex: Sex = rng.chance(0.5) ? 'MALE' : 'FEMALE';
  const year = Number(dateOfBirth.slice(0, 4));
  const name = pickName(rng, ethnicity, sex, year, pickFamilyName(rng, ethnicity));
  const digit = centurySexDigitFor(year, sex) ?? 2;
  const personalId = `008${digit}${String(year % 100).padStart(2, '0')}${rng.int(500_000, 999_999)}`;
  return {
    entityId: `PL-${Date.now().toString(36)}-${counter++}`,
    fullName: name.fullName,
    sex,
    ethnicity,
    dateOfBirth,
    personalId,
    address: addressIn(rng, place),
  };
}

export function liveRng(): Rng {
  return new Rng((Math.random() * 2 ** 32) >>> 0);
}
