import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPersonalIdConsistency,
  defaultAdminRegistry,
  parseDossierCode,
  parsePersonalId,
  parseTaxCode,
} from '@hub/vn';
import { isoToDay, isWorkingDay, defaultHolidays } from '../calendar.js';
import { renderWorld } from '../departments/render.js';
import { generateWorld, worldHouseholds } from './generate.js';
import type { Dossier, Household } from './model.js';

function collect(seed: number, people: number): Household[] {
  return [...generateWorld({ seed, people })];
}

function digest(seed: number, people: number): string {
  const hash = createHash('sha256');
  for (const h of renderWorld({ seed, people })) hash.update(JSON.stringify(h));
  return hash.digest('hex');
}

describe('generator', () => {
  const world = collect(11, 5000);
  const people = world.flatMap((h) => h.people);
  const byId = new Map(people.map((p) => [p.id, p]));

  // Renders 4,500 people: generous timeout for a busy machine (no assertion on time).
  it(
    'is deterministic: the same seed gives the same world and records; another seed another',
    { timeout: 60_000 },
    () => {
      expect(digest(3, 1500)).toBe(digest(3, 1500));
      expect(digest(4, 1500)).not.toBe(digest(3, 1500));
    },
  );

  it('property: any seed and size gives exactly that many people, with unique ids and personal numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 400 }), (seed, n) => {
        const ps = collect(seed, n).flatMap((h) => h.people);
        return (
          ps.length === n &&
          new Set(ps.map((p) => p.id)).size === n &&
          new Set(ps.map((p) => p.personalId)).size === n
        );
      }),
      { numRuns: 25 },
    );
  });

  it('makes exactly the number of people asked for, each personal number valid and consistent with birth year and sex', () => {
    expect(people).toHaveLength(5000);
    expect(new Set(people.map((p) => p.personalId)).size).toBe(5000);
    for (const p of people) {
      const parsed = parsePersonalId(p.personalId);
      expect(parsed.ok, p.personalId).toBe(true);
      expect(checkPersonalIdConsistency(p.personalId, { dateOfBirth: p.dateOfBirth, sex: p.sex })).toEqual(
        [],
      );
      expect(p.personalId.slice(0, 3)).toBe(p.birthRegistrationCode);
    }
  });

  it('uses 008 and 002 for people born in the province, by old province of residence, with a few migrants', () => {
    const local = people.filter(
      (p) => p.birthRegistrationCode === '008' || p.birthRegistrationCode === '002',
    );
    expect(local.length / people.length).toBeGreaterThan(0.85);
    const hgBornInHg = people.filter(
      (p) => p.address.oldProvinceCode === '02' && p.dateOfBirth < '2025-07-01',
    );
    expect(
      hgBornInHg.filter((p) => p.birthRegistrationCode === '002').length / hgBornInHg.length,
    ).toBeGreaterThan(0.8);
  });

  it('gives legacy CMND-9 numbers only to people born before 1998, all unique', () => {
    const withCmnd = people.filter((p) => p.cmnd !== undefined);
    expect(withCmnd.length).toBeGreaterThan(500);
    expect(withCmnd.every((p) => p.dateOfBirth < '1998' && /^\d{9}$/.test(p.cmnd ?? ''))).toBe(true);
    expect(new Set(withCmnd.map((p) => p.cmnd)).size).toBe(withCmnd.length);
  });

  it('places everyone in real communes: the old code valid before the reform, the new one after, linked by the official mapping', () => {
    const registry = defaultAdminRegistry();
    for (const p of people) {
      expect(registry.findUnit('commune', p.address.oldCommuneCode, '2025-03-01')).toBeDefined();
      expect(registry.findUnit('commune', p.address.communeCode, '2025-07-01')).toBeDefined();
      expect(
        registry.mappingsFrom(p.address.oldCommuneCode).some((m) => m.newCode === p.address.communeCode),
      ).toBe(true);
    }
  });

  it('builds consistent families: parents exist in the same household and are older; spouses point at each other', () => {
    for (const p of people) {
      for (const parentId of [p.fatherId, p.motherId]) {
        if (parentId === undefined) continue;
        const parent = byId.get(parentId);
        expect(parent?.householdId).toBe(p.householdId);
        expect(isoToDay(p.dateOfBirth) - isoToDay(parent?.dateOfBirth ?? '')).toBeGreaterThan(15 * 365);
      }
      if (p.spouseId !== undefined) expect(byId.get(p.spouseId)?.spouseId).toBe(p.id);
      if (p.deathDate !== undefined) expect(p.deathDate > p.dateOfBirth).toBe(true);
    }
    expect(people.filter((p) => p.fatherId !== undefined).length).toBeGreaterThan(1000);
    expect(world.flatMap((h) => h.marriages).length).toBeGreaterThan(500);
  });

  it('follows naming patterns: Hmong men mostly have the middle name A; Dao includes Bàn and Phàn', () => {
    const hmongMen = people.filter((p) => p.ethnicity === 'HMONG' && p.sex === 'MALE');
    expect(hmongMen.filter((p) => p.middleName === 'A').length / hmongMen.length).toBeGreaterThan(0.85);
    const daoFamilies = new Set(people.filter((p) => p.ethnicity === 'DAO').map((p) => p.familyName));
    expect(daoFamilies.has('Bàn') && daoFamilies.has('Phàn')).toBe(true);
  });

  it('mints enterprise codes with valid check digits, branches -001…, household businesses keyed by the owner’s personal number', () => {
    const businesses = world.flatMap((h) => h.businesses);
    expect(businesses.length).toBeGreaterThan(100);
    for (const b of businesses) {
      const parsed = parseTaxCode(b.code);
      expect(parsed.ok, b.code).toBe(true);
      if (!parsed.ok) continue;
      const kind = { ENTERPRISE: 'ENTERPRISE', BRANCH: 'BRANCH', HOUSEHOLD: 'HOUSEHOLD_PERSONAL_ID' }[b.kind];
      expect(parsed.value.kind).toBe(kind);
      const rep = byId.get(b.representativeId);
      expect(rep).toBeDefined();
      if (b.kind === 'HOUSEHOLD') expect(b.code).toBe(rep?.personalId);
      if (b.kind === 'BRANCH') expect(b.code.startsWith(`${b.parentCode ?? 'x'}-`)).toBe(true);
    }
    expect(new Set(businesses.map((b) => b.id)).size).toBe(businesses.length);
  });

  it('makes dossiers with valid unique codes, working-day receipts, ordered timelines and honest on-time flags', () => {
    const dossiers = world.flatMap((h) => h.dossiers);
    expect(dossiers.length).toBeGreaterThan(1000);
    expect(new Set(dossiers.map((d) => d.code)).size).toBe(dossiers.length);
    const calendar = defaultHolidays();
    for (const d of dossiers) {
      expect(parseDossierCode(d.code).ok, d.code).toBe(true);
      const received = isoToDay(new Date(Date.parse(d.receivedAt) + 7 * 3_600_000).toISOString());
      expect(isWorkingDay(received, calendar)).toBe(true);
      expect(d.dueAt >= d.receivedAt).toBe(true);
      const times = d.timeline.map((e) => e.at);
      expect([...times].sort()).toEqual(times);
      if (d.onTime !== undefined) expect(d.onTime).toBe((d.completedAt ?? '') <= d.dueAt);
    }
    const channels = new Set(dossiers.map((d) => d.channel));
    expect(channels).toEqual(new Set(['ONLINE', 'DIRECT', 'POSTAL']));
    const done = dossiers.filter((d) => d.onTime !== undefined);
    const late = done.filter((d) => d.onTime === false).length / done.length;
    expect(late).toBeGreaterThan(0.03);
    expect(late).toBeLessThan(0.3);
    expect(dossiers.some((d) => d.supplements > 0)).toBe(true);
  });

  it('records how a returned result reached the applicant, only for returned results, mostly by the channel it came in', () => {
    const dossiers = world.flatMap((h) => h.dossiers);
    expect(
      dossiers
        .filter((d) => (d.resultChannel !== undefined) !== (d.status === 'RESULT_RETURNED'))
        .map((d) => `${d.id} ${d.status}`),
    ).toEqual([]);
    const returned = dossiers.filter((d) => d.resultChannel !== undefined);
    expect(returned.length).toBeGreaterThan(1000);
    const share = (channel: Dossier['channel'], result: Dossier['resultChannel']) => {
      const from = returned.filter((d) => d.channel === channel);
      return from.filter((d) => d.resultChannel === result).length / from.length;
    };
    expect(share('ONLINE', 'ELECTRONIC')).toBeGreaterThan(0.6);
    expect(share('ONLINE', 'ELECTRONIC')).toBeLessThan(0.95);
    expect(share('DIRECT', 'DIRECT')).toBeGreaterThan(0.75);
    expect(share('DIRECT', 'DIRECT')).toBeLessThan(0.98);
    expect(share('POSTAL', 'POSTAL')).toBeGreaterThan(0.6);
    expect(new Set(returned.map((d) => d.resultChannel))).toEqual(
      new Set(['DIRECT', 'ELECTRONIC', 'POSTAL']),
    );
  });

  it('builds the same households when the others are only counted (worldHouseholds with keep)', () => {
    // Every third household kept: the ones in between still move the identifier and dossier
    // counters, so the kept ones must equal the households of the full world, field for field.
    const kept = [...worldHouseholds({ seed: 11, people: 5000 }, (i) => i % 3 === 1)];
    expect(kept.map((k) => k.index)).toEqual(world.map((h) => h.index));
    const full = new Map(world.map((h) => [h.index, h]));
    const built = kept.flatMap((k) => (k.household ? [k.household] : []));
    expect(built.length).toBeGreaterThan(100);
    for (const h of built) expect(JSON.stringify(h)).toBe(JSON.stringify(full.get(h.index)));
    expect(kept.filter((k) => (k.household !== undefined) !== (k.index % 3 === 1))).toEqual([]);
  });
});
