/**
 * The world, streamed household by household. Memory is bounded by one household plus counters
 * (per identifier cohort and per agency-day), never by the number of people generated.
 */
import { defaultHolidays, isoToDay, type HolidayCalendar } from '../calendar.js';
import { makeBusinesses } from './businesses.js';
import { makeDossiers, type DossierContext } from './dossiers.js';
import { IdentityMinter } from './identity.js';
import type { Household } from './model.js';
import { makeHouseholdPeople, type PopulationContext } from './population.js';

export interface GenerateOptions {
  seed: number;
  /** Total number of people (the last household is cut to fit). */
  people: number;
  /** Nothing happens after this day (ISO). Default 2025-12-31. */
  asOf?: string;
  calendar?: HolidayCalendar;
}

export const DEFAULT_AS_OF = '2025-12-31';

export function* generateWorld(options: GenerateOptions): Generator<Household> {
  for (const { household } of worldHouseholds(options)) if (household) yield household;
}

/**
 * Every household index of the world, in order, with the household built only where `keep(index)`
 * is true. Personal, CMND and enterprise numbers, dossier ids and agency-day sequences are counters
 * over all earlier households, so the others are still generated, but only as far as those counters
 * need (same draws, no formatting, no dossier objects): a kept household is the same either way.
 */
export function* worldHouseholds(
  options: GenerateOptions,
  keep: (index: number) => boolean = () => true,
): Generator<{ index: number; household: Household | undefined }> {
  const asOf = isoToDay(options.asOf ?? DEFAULT_AS_OF);
  const minter = new IdentityMinter(options.seed);
  const population: PopulationContext = { seed: options.seed, asOf, minter, nextPerson: 0 };
  const dossiers: DossierContext = {
    seed: options.seed,
    asOf,
    calendar: options.calendar ?? defaultHolidays(),
    sequences: new Map(),
    nextDossier: 0,
  };
  for (let index = 0; population.nextPerson < options.people; index++) {
    const countOnly = !keep(index);
    const { people, marriages } = makeHouseholdPeople(
      population,
      index,
      options.people - population.nextPerson,
      countOnly,
    );
    if (people.length === 0) continue;
    const businesses = makeBusinesses(options.seed, index, people, asOf, minter);
    const made = makeDossiers(dossiers, index, people, marriages, businesses, countOnly);
    yield {
      index,
      household: countOnly ? undefined : { index, people, marriages, businesses, dossiers: made },
    };
  }
}
