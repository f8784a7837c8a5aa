import { describe, expect, it } from 'vitest';
import { decodeTcvn3, parsePersonalId } from '@hub/vn';
import { NOISE_KINDS, type NoiseProfile } from '../noise/noise.js';
import { BUSINESS_NOISE } from './business-registry.js';
import { CIVIL_STATUS_NOISE } from './civil-status.js';
import { DOSSIER_STATUS_CODE, ONE_STOP_NOISE, RESULT_CHANNEL_CODE } from './one-stop.js';
import { POLICE_NOISE } from './police-residence.js';
import { emptyWorldStats, renderWorld } from './render.js';
import { SOCIAL_PROTECTION_NOISE } from './social-protection.js';
import { DEPARTMENT_IDS, type DepartmentId, type SourceRecord } from './types.js';

const PROFILES: Record<DepartmentId, NoiseProfile> = {
  'civil-status': CIVIL_STATUS_NOISE,
  'business-registry': BUSINESS_NOISE,
  'one-stop': ONE_STOP_NOISE,
  'police-residence': POLICE_NOISE,
  'social-protection': SOCIAL_PROTECTION_NOISE,
};

describe('department records and the truth file', () => {
  const stats = emptyWorldStats();
  const records: Record<DepartmentId, SourceRecord[]> = {
    'civil-status': [],
    'business-registry': [],
    'one-stop': [],
    'police-residence': [],
    'social-protection': [],
  };
  const entities = new Set<string>();
  for (const { household, records: r } of renderWorld({ seed: 5, people: 20_000 }, stats)) {
    for (const d of DEPARTMENT_IDS) records[d].push(...r[d]);
    for (const p of household.people) entities.add(`person:${p.id}`);
    for (const b of household.businesses) entities.add(`business:${b.id}`);
    for (const d of household.dossiers) entities.add(`dossier:${d.id}`);
    for (const m of household.marriages) entities.add(`marriage:${m.id}`);
  }

  it('every source record has exactly one truth row naming one true entity that exists', () => {
    // Problems are collected and compared once: one `expect` per record is slow on a busy machine.
    const problems: string[] = [];
    for (const d of DEPARTMENT_IDS) {
      expect(records[d].length, d).toBeGreaterThan(0);
      const keys = new Set<string>();
      for (const r of records[d]) {
        const key = `${r.table}:${r.id}`;
        if (keys.has(key)) problems.push(`${d} ${key} twice`);
        keys.add(key);
        if (r.truth.source !== d || r.truth.table !== r.table || r.truth.sourceRecordId !== r.id)
          problems.push(
            `${d} ${key}: truth names ${r.truth.source} ${r.truth.table}:${r.truth.sourceRecordId}`,
          );
        if (!entities.has(`${r.truth.entityType}:${r.truth.entityId}`))
          problems.push(`${d} ${key} → ${r.truth.entityId} missing`);
        for (const rel of r.truth.related ?? [])
          if (!entities.has(`${rel.type}:${rel.id}`))
            problems.push(`${d} ${key} related ${rel.type}:${rel.id} missing`);
      }
      for (const r of records[d]) {
        if (r.truth.duplicateOf === undefined) continue;
        if (!keys.has(`${r.table}:${r.truth.duplicateOf}`))
          problems.push(`${d} ${r.id}: duplicate of unknown ${r.truth.duplicateOf}`);
        if (!r.truth.noise.includes('DUPLICATE'))
          problems.push(`${d} ${r.id}: duplicate without DUPLICATE noise`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('applies each noise kind at its configured rate (among records where it would change something), within 4 sigma', () => {
    for (const d of DEPARTMENT_IDS) {
      for (const kind of NOISE_KINDS) {
        const rate = PROFILES[d][kind] ?? 0;
        const eligible = stats[d].eligible[kind];
        const applied = stats[d].applied[kind];
        if (rate === 0) {
          expect(applied, `${d} ${kind}`).toBe(0);
          continue;
        }
        if (eligible < 200) continue;
        const sigma = Math.sqrt(eligible * rate * (1 - rate));
        expect(
          Math.abs(applied - eligible * rate),
          `${d} ${kind}: ${applied}/${eligible} vs ${rate}`,
        ).toBeLessThanOrEqual(4 * sigma + 1);
      }
    }
  });

  it('the truth file lists a noise kind on a record exactly when it was applied (counts agree with the statistics)', () => {
    for (const d of DEPARTMENT_IDS) {
      const fromTruth = new Map<string, number>();
      for (const r of records[d])
        for (const k of new Set(r.truth.noise)) fromTruth.set(k, (fromTruth.get(k) ?? 0) + 1);
      const sp = d === 'social-protection' ? stats['social-protection-legacy'] : undefined;
      for (const kind of ['NO_DIACRITICS', 'OLD_ADDRESS', 'CMND_INSTEAD_OF_ID', 'YEAR_ONLY'] as const) {
        const applied = stats[d].applied[kind] + (sp?.applied[kind] ?? 0);
        // A record counts once per kind; some kinds can hit two fields of one record (name and address).
        expect(fromTruth.get(kind) ?? 0, `${d} ${kind}`).toBeLessThanOrEqual(applied);
        if (applied > 0) expect(fromTruth.get(kind) ?? 0).toBeGreaterThan(0);
      }
    }
  });

  it('noise is real: CMND-noised records carry a 9-digit number, clean ones a valid personal number', () => {
    for (const r of records['civil-status'].filter((x) => x.table === 'cong_dan')) {
      const number = r.row.so_giay_to as string | null;
      if (number === null) expect(r.truth.noise).toContain('MISSING_FIELD');
      else if (r.truth.noise.includes('CMND_INSTEAD_OF_ID')) expect(number).toMatch(/^\d{9}$/);
      else expect(parsePersonalId(number).ok).toBe(true);
    }
  });

  it('the legacy social-protection office stores names in TCVN3 that decode back to Vietnamese', () => {
    const legacy = records['social-protection'].filter((r) => r.table === 'legacy_csv');
    expect(legacy.length).toBeGreaterThan(50);
    const decoded = legacy
      .filter((r) => r.truth.noise.includes('TCVN3'))
      .map((r) => decodeTcvn3(String(r.row.ho_ten)));
    expect(decoded.length).toBeGreaterThan(10);
    expect(decoded.every((n) => !/[µ¸¶·¹«©¬®]/.test(n))).toBe(true);
  });

  it('has deleted and updated records in the sources, as real systems do', () => {
    expect(records['civil-status'].some((r) => r.row.da_xoa === true && r.truth.deleted === true)).toBe(true);
    expect(records['civil-status'].some((r) => r.row.updated_at !== r.row.ngay_tao)).toBe(true);
    expect(records['one-stop'].some((r) => r.row.daXoa === true)).toBe(true);
    expect(records['police-residence'].some((r) => r.row.loaiSuKien === 'XOA_DANG_KY_THUONG_TRU')).toBe(true);
  });

  it('one-stop exposes how the result was returned (hinhThucTraKQ) exactly for returned dossiers, null otherwise', () => {
    const rows = records['one-stop'].map((r) => r.row);
    for (const row of rows) {
      if (row.trangThai === DOSSIER_STATUS_CODE.RESULT_RETURNED)
        expect(Object.values(RESULT_CHANNEL_CODE)).toContain(row.hinhThucTraKQ);
      else expect(row.hinhThucTraKQ, String(row.maHoSo)).toBeNull();
    }
    const codes = new Set(rows.map((r) => r.hinhThucTraKQ));
    expect(codes).toEqual(
      new Set([null, RESULT_CHANNEL_CODE.DIRECT, RESULT_CHANNEL_CODE.ELECTRONIC, RESULT_CHANNEL_CODE.POSTAL]),
    );
  });
});
