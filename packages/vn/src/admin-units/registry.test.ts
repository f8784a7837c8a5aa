import { describe, expect, it } from 'vitest';
import { loadDefaultCatalogue } from './default-catalogue.js';
import {
  createAdminRegistry,
  defaultAdminRegistry,
  mapPre2025Address,
  resolveCommuneCode,
  resolveProvinceCode,
  type resolveUnitCode,
} from './registry.js';

describe('shipped catalogue', () => {
  it('has the row counts stated in the data README', () => {
    const { units, mappings } = loadDefaultCatalogue();
    const count = (level: string, era: string) =>
      units.filter((u) => u.level === level && u.era === era).length;
    expect(count('province', 'PRE_2025')).toBe(63);
    expect(count('province', 'CURRENT')).toBe(34);
    expect(count('district', 'PRE_2025')).toBe(18);
    expect(count('commune', 'PRE_2025')).toBe(330);
    expect(count('commune', 'CURRENT')).toBe(124);
    expect(mappings).toHaveLength(335);
  });

  it('maps every old commune and reaches every new commune', () => {
    const registry = defaultAdminRegistry();
    for (const unit of registry.unitsOf('commune', 'PRE_2025'))
      expect(registry.mappingsFrom(unit.code).length).toBeGreaterThan(0);
    for (const unit of registry.unitsOf('commune', 'CURRENT'))
      expect(registry.mappingsInto(unit.code).length).toBeGreaterThan(0);
  });
});

describe('resolveUnitCode', () => {
  it('resolves province 08 in both eras and closes 02 on 1/7/2025', () => {
    expect(resolveProvinceCode('08', '2020-01-01')).toMatchObject({
      ok: true,
      value: { era: 'PRE_2025', name: 'Tuyên Quang' },
    });
    expect(resolveProvinceCode('08', '2025-07-01')).toMatchObject({ ok: true, value: { era: 'CURRENT' } });
    expect(resolveProvinceCode('02', '2025-06-30')).toMatchObject({ ok: true, value: { name: 'Hà Giang' } });
    const closed = resolveProvinceCode('02', '2025-07-01');
    expect(closed.ok).toBe(false);
    if (!closed.ok) {
      expect(closed.problems[0]?.code).toBe('CLOSED_CODE');
      expect(closed.problems[0]?.hint).toContain('08 Tuyên Quang');
    }
  });

  it('gives the unit valid at the date when a commune code was reused by its merged successor', () => {
    expect(resolveCommuneCode('00691', '2025-01-01')).toMatchObject({
      ok: true,
      value: { name: 'Trần Phú', era: 'PRE_2025' },
    });
    expect(resolveCommuneCode('00691', '2025-07-01')).toMatchObject({
      ok: true,
      value: { name: 'Hà Giang 2', era: 'CURRENT' },
    });
  });

  it('names the successor of a closed commune code', () => {
    const result = resolveCommuneCode('02488', '2026-01-01');
    expect(result.ok ? '' : result.problems[0]?.hint).toContain('02215');
  });

  it('reports codes that are not yet valid, unknown, malformed and bad dates', () => {
    const codes = (r: ReturnType<typeof resolveUnitCode>) => (r.ok ? [] : r.problems.map((p) => p.code));
    expect(codes(resolveProvinceCode('02', '2025-13-01'))).toEqual(['INVALID_DATE']);
    // Every 2025 code reuses an old one (the host commune's), so use a registry of current units only.
    const base = loadDefaultCatalogue();
    const currentOnly = createAdminRegistry({
      ...base,
      units: base.units.filter((u) => u.era === 'CURRENT'),
    });
    expect(codes(resolveCommuneCode('02215', '2025-06-30', currentOnly))).toEqual(['NOT_YET_VALID']);
    expect(resolveCommuneCode('02215', '2025-06-30')).toMatchObject({ ok: true, value: { name: 'Ỷ La' } });
    expect(codes(resolveCommuneCode('99999', '2025-06-30'))).toEqual(['UNKNOWN_CODE']);
    expect(codes(resolveCommuneCode('2215', '2025-07-01'))).toEqual(['MALFORMED_CODE']);
    expect(codes(resolveProvinceCode('08', '1/7/2025'))).toEqual(['INVALID_DATE']);
  });
});

describe('mapPre2025Address', () => {
  it('maps a commune merged whole, keeping what was entered', () => {
    const entered = { provinceCode: '08', districtCode: '075', communeCode: '02488' };
    const result = mapPre2025Address(entered);
    expect(result).toMatchObject({
      ok: true,
      value: {
        entered,
        commune: { name: 'Trung Môn' },
        district: { name: 'Yên Sơn' },
        province: { code: '08' },
        current: [
          {
            commune: { code: '02215', name: 'Minh Xuân' },
            change: 'Nhập toàn bộ',
            changeKind: 'MERGED_WHOLE',
          },
        ],
        ambiguous: false,
      },
    });
  });

  it('returns every target of a split commune (many-to-many)', () => {
    const result = mapPre2025Address({ provinceCode: '02', districtCode: '024', communeCode: '00688' });
    expect(result.ok && result.value.ambiguous).toBe(true);
    expect(result.ok && result.value.current.map((c) => [c.commune.code, c.changeKind])).toEqual([
      ['00691', 'MERGED_PART'],
      ['00694', 'MERGED_PART'],
    ]);
  });

  it('warns when the entered district or province does not contain the commune', () => {
    const result = mapPre2025Address({ provinceCode: '02', districtCode: '070', communeCode: '02488' });
    expect(result.ok && result.value.warnings.map((w) => w.code)).toEqual([
      'DISTRICT_MISMATCH',
      'PROVINCE_MISMATCH',
    ]);
  });

  it('uses the corrected code 02482 for Phú Thịnh (source said 02485)', () => {
    const result = mapPre2025Address({ provinceCode: '08', communeCode: '02482' });
    expect(result.ok && result.value.current[0]?.commune.name).toBe('Thái Bình');
    expect(result.ok && result.value.current[0]?.remark).toMatch(/02485/);
  });

  it('fails for a commune outside the data', () => {
    expect(mapPre2025Address({ provinceCode: '01', communeCode: '00001' }).ok).toBe(false);
  });

  it('works on a registry built from another catalogue', () => {
    const registry = createAdminRegistry({ ...loadDefaultCatalogue(), mappings: [] });
    const result = mapPre2025Address({ provinceCode: '08', communeCode: '02488' }, registry);
    expect(result.ok && result.value.warnings.map((w) => w.code)).toEqual(['NO_MAPPING']);
  });
});
