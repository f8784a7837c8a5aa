import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importCommuneCatalogue, splitUnitType } from './catalogue-importer.js';
import { loadDefaultCatalogue } from './default-catalogue.js';
import { createAdminRegistry, resolveCommuneCode } from './registry.js';

const OFFICIAL = [
  'Mã;Tên;Cấp',
  '00691;Phường Hà Giang 2;Phường',
  '00700;Xã Ngọc Đường;Xã',
  '"02215";"Phường Minh Xuân";"Phường"',
].join('\n');

describe('importCommuneCatalogue', () => {
  it('reads configured columns and splits the type from the name', () => {
    const result = importCommuneCatalogue(OFFICIAL, {
      era: 'CURRENT',
      delimiter: ';',
      columns: { code: 'Mã', name: 'Tên', type: 'Cấp' },
      parentCode: '08',
    });
    expect(result.ok && result.value.map((u) => [u.code, u.name, u.type, u.parentCode, u.validFrom])).toEqual(
      [
        ['00691', 'Hà Giang 2', 'phường', '08', '2025-07-01'],
        ['00700', 'Ngọc Đường', 'xã', '08', '2025-07-01'],
        ['02215', 'Minh Xuân', 'phường', '08', '2025-07-01'],
      ],
    );
  });

  it('names line and column for every bad row', () => {
    const csv =
      'code,name\n691,Phường Hà Giang 2\n00694,\n00700,Xã Ngọc Đường\n00700,Xã Ngọc Đường\nabcde,Xã X\n';
    const result = importCommuneCatalogue(csv, { era: 'CURRENT' });
    expect(result.ok ? [] : result.problems.map((p) => [p.code, p.line, p.field])).toEqual([
      ['MALFORMED_CODE', 2, 'code'],
      ['EMPTY_NAME', 3, 'name'],
      ['DUPLICATE_CODE', 5, 'code'],
      ['MALFORMED_CODE', 6, 'code'],
    ]);
    expect(result.ok ? '' : result.problems[0]?.hint).toMatch(/padCodes/);
  });

  it('pads codes a spreadsheet stored as numbers when asked', () => {
    const result = importCommuneCatalogue('code,name\n691,Phường Hà Giang 2\n', {
      era: 'CURRENT',
      padCodes: true,
    });
    expect(result.ok && result.value[0]?.code).toBe('00691');
  });

  it('reports a missing column with the header it found, and CSV syntax errors with a line', () => {
    const missing = importCommuneCatalogue('ma,ten\n00691,X\n', { era: 'CURRENT' });
    expect(missing.ok ? [] : missing.problems.map((p) => [p.code, p.line])).toEqual([
      ['MISSING_COLUMN', 1],
      ['MISSING_COLUMN', 1],
    ]);
    const broken = importCommuneCatalogue('code,name\n00691,"Hà Giang\n', { era: 'CURRENT' });
    expect(broken.ok ? '' : broken.problems[0]?.code).toBe('CSV_SYNTAX');
    expect(importCommuneCatalogue('code,name\n', { era: 'CURRENT' }).ok).toBe(false);
  });

  it('extends a registry: an imported province becomes resolvable', () => {
    const imported = importCommuneCatalogue('code,name,province\n00004,Phường Ba Đình,01\n', {
      era: 'CURRENT',
      columns: { parentCode: 'province' },
    });
    expect(imported.ok).toBe(true);
    if (!imported.ok) return;
    const base = loadDefaultCatalogue();
    const registry = createAdminRegistry({ ...base, units: [...base.units, ...imported.value] });
    expect(resolveCommuneCode('00004', '2025-08-01', registry)).toMatchObject({
      ok: true,
      value: { name: 'Ba Đình', parentCode: '01' },
    });
    expect(resolveCommuneCode('00004', '2025-08-01').ok).toBe(false);
  });

  it('property: exporting the shipped 2025 communes and importing them gives the same units', () => {
    const units = loadDefaultCatalogue().units.filter((u) => u.level === 'commune' && u.era === 'CURRENT');
    fc.assert(
      fc.property(
        fc.shuffledSubarray(units, { minLength: 1 }),
        fc.constantFrom(',', ';', '\t'),
        (subset, delimiter) => {
          const csv =
            ['code', 'full_name'].join(delimiter) +
            '\n' +
            subset.map((u) => [u.code, `${u.type ?? ''} ${u.name}`].join(delimiter)).join('\n');
          const result = importCommuneCatalogue(csv, {
            era: 'CURRENT',
            delimiter,
            columns: { name: 'full_name' },
            parentCode: '08',
          });
          expect(result.ok && result.value.map((u) => [u.code, u.name, u.type])).toEqual(
            subset.map((u) => [u.code, u.name, u.type]),
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('splitUnitType', () => {
  it.each([
    ['Xã Lâm Bình', 'xã', 'Lâm Bình'],
    ['Thị trấn Nông trường Việt Lâm', 'thị trấn', 'Nông trường Việt Lâm'],
    ['THÀNH PHỐ Hà Giang', 'thành phố', 'Hà Giang'],
    ['Lâm Bình', undefined, 'Lâm Bình'],
  ])('%s', (input, type, name) => {
    expect(splitUnitType(input)).toEqual({ type, name });
  });
});
