/**
 * The world as the departments see it: for each generated household, every department's native
 * records with their truth rows, plus noise statistics per department.
 */
import { isoToDay } from '../calendar.js';
import { DEFAULT_AS_OF, generateWorld, type GenerateOptions } from '../generator/generate.js';
import type { Household } from '../generator/model.js';
import { emptyStats, type NoiseProfile, type NoiseStats } from '../noise/noise.js';
import { renderBusinessRegistry } from './business-registry.js';
import { renderCivilStatus } from './civil-status.js';
import { renderOneStop } from './one-stop.js';
import { renderPoliceResidence } from './police-residence.js';
import { renderSocialProtection } from './social-protection.js';
import type { DepartmentId, SourceRecord } from './types.js';

export interface RenderWorldOptions extends GenerateOptions {
  /** Override a department's noise rates. */
  noise?: Partial<Record<DepartmentId, NoiseProfile>>;
}

export interface RenderedHousehold {
  household: Household;
  records: Record<DepartmentId, SourceRecord[]>;
}

export type WorldStats = Record<DepartmentId | 'social-protection-legacy', NoiseStats>;

export function emptyWorldStats(): WorldStats {
  return {
    'civil-status': emptyStats(),
    'business-registry': emptyStats(),
    'one-stop': emptyStats(),
    'police-residence': emptyStats(),
    'social-protection': emptyStats(),
    'social-protection-legacy': emptyStats(),
  };
}

/** Every department's records of one household; `stats` accumulates noise counters. */
export function renderHousehold(
  household: Household,
  options: RenderWorldOptions & { asOfDay: number },
  stats: WorldStats,
): Record<DepartmentId, SourceRecord[]> {
  const base = { seed: options.seed, asOf: options.asOfDay };
  return {
    'civil-status': renderCivilStatus(household, {
      ...base,
      profile: options.noise?.['civil-status'],
      stats: stats['civil-status'],
    }),
    'business-registry': renderBusinessRegistry(household, {
      ...base,
      profile: options.noise?.['business-registry'],
      stats: stats['business-registry'],
    }),
    'one-stop': renderOneStop(household, {
      ...base,
      profile: options.noise?.['one-stop'],
      stats: stats['one-stop'],
    }),
    'police-residence': renderPoliceResidence(household, {
      ...base,
      profile: options.noise?.['police-residence'],
      stats: stats['police-residence'],
    }),
    'social-protection': renderSocialProtection(household, {
      ...base,
      profile: options.noise?.['social-protection'],
      stats: stats['social-protection'],
      legacyStats: stats['social-protection-legacy'],
    }),
  };
}

/** Streams rendered households; `stats` (if given) accumulates noise counters. */
export function* renderWorld(
  options: RenderWorldOptions,
  stats: WorldStats = emptyWorldStats(),
): Generator<RenderedHousehold> {
  const withDay = { ...options, asOfDay: isoToDay(options.asOf ?? DEFAULT_AS_OF) };
  for (const household of generateWorld(options))
    yield { household, records: renderHousehold(household, withDay, stats) };
}
