import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultAdminRegistry } from '../admin-units/registry.js';
import { foldAccents } from '../text/fold.js';
import { parseVietnameseAddress } from './parse-address.js';
import { splitAddress } from './segments.js';

const summary = (input: string, at?: string) => {
  const r = parseVietnameseAddress(input, at === undefined ? {} : { at });
  return {
    detail: r.detail,
    era: r.era,
    province: r.province?.code,
    district: r.district?.code,
    commune: r.commune?.code,
    current: r.currentCommunes.map((c) => c.code),
    warnings: r.warnings.map((w) => w.code),
    confidence: r.confidence,
  };
};

describe('parseVietnameseAddress: hard cases', () => {
  it('maps an address in a commune merged in 2025 (Trung Môn → Minh Xuân), keeping the entered units', () => {
    const r = parseVietnameseAddress('Thôn 5, xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang');
    expect(summary(r.input)).toMatchObject({
      detail: 'Thôn 5',
      era: 'PRE_2025',
      province: '08',
      district: '075',
      commune: '02488',
      current: ['02215'],
      warnings: [],
    });
    expect(r.confidence).toBeGreaterThanOrEqual(0.95);
    expect(r.mapping?.current[0]).toMatchObject({ change: 'Nhập toàn bộ', changeKind: 'MERGED_WHOLE' });
  });

  it.each([
    ['abbreviations and no diacritics', 'Thon 5, X. Trung Mon, H. Yen Son, T. Tuyen Quang'],
    ['no commas', 'Thôn 5 xã Trung Môn huyện Yên Sơn tỉnh Tuyên Quang'],
    ['NFD input', 'Thôn 5, xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang'.normalize('NFD')],
    ['country and odd spacing', ' Thôn 5 ,  xã  Trung Môn ,huyện Yên Sơn, Tuyên Quang, Việt Nam'],
  ])('%s', (_label, input) => {
    expect(summary(input)).toMatchObject({
      era: 'PRE_2025',
      province: '08',
      district: '075',
      commune: '02488',
      current: ['02215'],
    });
    expect(foldAccents(summary(input).detail.normalize('NFC'))).toBe('Thon 5');
  });

  it('reads a current (post-2025) address', () => {
    expect(summary('Tổ 7, phường Hà Giang 1, tỉnh Tuyên Quang')).toMatchObject({
      detail: 'Tổ 7',
      era: 'CURRENT',
      province: '08',
      commune: '00694',
      current: ['00694'],
      warnings: [],
      confidence: 1,
    });
  });

  it('uses the recording date when a name exists in both eras', () => {
    expect(summary('P. Minh Xuân, Tuyên Quang', '2024-05-01')).toMatchObject({
      era: 'PRE_2025',
      commune: '02203',
      current: ['02215'],
    });
    expect(summary('P. Minh Xuân, Tuyên Quang', '2025-09-01')).toMatchObject({
      era: 'CURRENT',
      commune: '02215',
    });
    expect(summary('P. Minh Xuân, Tuyên Quang').warnings).toContain('ERA_AMBIGUOUS');
  });

  it('reads former Hà Giang addresses and lists both targets of a split ward', () => {
    expect(summary('P. Quang Trung, TP. Hà Giang, tỉnh Hà Giang')).toMatchObject({
      era: 'PRE_2025',
      province: '02',
      district: '024',
      commune: '00688',
      current: ['00691', '00694'],
      warnings: ['SPLIT_COMMUNE'],
    });
  });

  it('treats "TP. Tuyên Quang" as the pre-2025 city, not the province', () => {
    expect(summary('Tổ 1, phường Minh Xuân, TP. Tuyên Quang')).toMatchObject({
      era: 'PRE_2025',
      district: '070',
      commune: '02203',
      province: '08',
    });
  });

  it('reads thị trấn (TT.) addresses and infers the province', () => {
    expect(summary('Số 10, TT. Vĩnh Lộc, H. Chiêm Hóa')).toMatchObject({
      era: 'PRE_2025',
      province: '08',
      district: '073',
      commune: '02287',
      current: ['02287'],
      detail: 'Số 10',
    });
  });

  it('matches the catalogue spelling variants (Phó Bảng / Phố Bảng) with a warning', () => {
    expect(summary('Thị trấn Phố Bảng, huyện Đồng Văn, tỉnh Hà Giang')).toMatchObject({
      commune: '00712',
      current: ['00745'],
      warnings: ['SPELLING_DIFFERS'],
    });
  });

  it('keeps the rest as detail outside the data scope and says so', () => {
    expect(summary('12 Tràng Tiền, Quận Hoàn Kiếm, Hà Nội')).toMatchObject({
      province: '01',
      commune: undefined,
      detail: '12 Tràng Tiền, Quận Hoàn Kiếm',
      warnings: ['OUTSIDE_DATA_SCOPE'],
      confidence: 0.2,
    });
  });

  it('flags a commune that is not in the given district and unknown names', () => {
    expect(summary('xã Trung Môn, huyện Chiêm Hóa, Tuyên Quang').warnings).toContain('HIERARCHY_MISMATCH');
    expect(summary('xã Không Có, tỉnh Tuyên Quang')).toMatchObject({
      commune: undefined,
      warnings: ['UNKNOWN_COMMUNE'],
    });
    expect(summary('hello world')).toMatchObject({
      confidence: 0,
      warnings: ['NO_UNIT_FOUND'],
      detail: 'hello world',
    });
  });
});

describe('splitAddress', () => {
  it('does not split inside a name that contains a type word', () => {
    expect(splitAddress('xã Xà Phìn huyện Đồng Văn')).toEqual(['xã Xà Phìn', 'huyện Đồng Văn']);
    expect(splitAddress('xã Yên Xá huyện Yên Sơn')).toEqual(['xã Yên Xá', 'huyện Yên Sơn']);
  });
});

describe('parseVietnameseAddress: properties', () => {
  const registry = defaultAdminRegistry();
  const communes = registry.unitsOf('commune', 'CURRENT');
  const oldCommunes = registry.unitsOf('commune', 'PRE_2025');

  it('property: every current commune written in full resolves to itself, with or without diacritics', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...communes),
        fc.boolean(),
        fc.constantFrom('Thôn 1', 'Số 5 đường Lê Lợi', 'Tổ 12'),
        (unit, strip, detail) => {
          const text = `${detail}, ${unit.type ?? ''} ${unit.name}, tỉnh Tuyên Quang`;
          const r = parseVietnameseAddress(strip ? foldAccents(text) : text, { at: '2025-08-01' });
          expect(r.commune?.code).toBe(unit.code);
          expect(r.era).toBe('CURRENT');
          expect(foldAccents(r.detail)).toBe(foldAccents(detail));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: every pre-2025 commune with its district maps to the current communes of the mapping table', () => {
    fc.assert(
      fc.property(fc.constantFrom(...oldCommunes), (unit) => {
        const district = registry.findUnit('district', unit.parentCode ?? '', '2025-01-01');
        const province = registry.findUnit('province', district?.parentCode ?? '', '2025-01-01');
        const text = `${unit.type ?? ''} ${unit.name}, ${district?.type ?? ''} ${district?.name ?? ''}, tỉnh ${province?.name ?? ''}`;
        const r = parseVietnameseAddress(text);
        expect(r.commune?.code).toBe(unit.code);
        expect(r.currentCommunes.map((c) => c.code).sort()).toEqual(
          registry
            .mappingsFrom(unit.code)
            .map((m) => m.newCode)
            .sort(),
        );
      }),
      { numRuns: 200 },
    );
  });
});
