import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseVietnameseName } from './names.js';
import { vietnameseTextArb } from './corpus.test-support.js';

describe('parseVietnameseName', () => {
  it.each([
    ['Nguyễn Văn An', 'Nguyễn', ['Văn'], 'An', false, 'VAN'],
    ['Nguyễn Trãi', 'Nguyễn', [], 'Trãi', false, undefined],
    ['Hoàng Phủ Ngọc Tường', 'Hoàng Phủ', ['Ngọc'], 'Tường', true, undefined],
    ['Tôn Thất Thuyết', 'Tôn Thất', [], 'Thuyết', true, undefined],
    ['Âu Dương Thị Lan', 'Âu Dương', ['Thị'], 'Lan', true, 'THI'],
    ['Công Tằng Tôn Nữ Thị Hà', 'Công Tằng Tôn Nữ', ['Thị'], 'Hà', true, 'THI'],
    ['Hầu A Lềnh', 'Hầu', ['A'], 'Lềnh', false, 'HMONG_A'],
    ['Giàng Thị Mai', 'Giàng', ['Thị'], 'Mai', false, 'THI'],
    ['Hoàng Phủ', 'Hoàng', [], 'Phủ', false, undefined],
  ])('%s', (input, family, middle, given, compoundFamily, marker) => {
    expect(parseVietnameseName(input)).toMatchObject({ family, middle, given, compoundFamily, marker });
  });

  it('recognises compound names written in NFD, upper case or the other tone placement', () => {
    expect(parseVietnameseName('HOÀNG PHỦ NGỌC TƯỜNG'.normalize('NFD'))).toMatchObject({
      family: 'HOÀNG PHỦ',
      compoundFamily: true,
    });
  });

  it('folds equivalent family names (Dao Bàn/Phàn, Hoàng/Huỳnh, Vũ/Võ) into one key', () => {
    expect(parseVietnameseName('Phàn Văn Tài').familyKey).toBe(parseVietnameseName('Bàn Văn Tài').familyKey);
    expect(parseVietnameseName('Huỳnh Thị Mai').familyKey).toBe('hoàng');
    expect(parseVietnameseName('Võ Văn Kiệt').familyKey).toBe('vũ');
  });

  it('accepts extra compound family names', () => {
    expect(parseVietnameseName('Lâm Bình Văn A', { compoundFamilyNames: ['Lâm Bình'] }).family).toBe(
      'Lâm Bình',
    );
  });

  it('warns on one-word and empty names', () => {
    expect(parseVietnameseName('Lềnh')).toMatchObject({
      given: 'Lềnh',
      family: '',
      warnings: [{ code: 'SINGLE_WORD_NAME' }],
    });
    expect(parseVietnameseName('  ').warnings[0]?.code).toBe('EMPTY_NAME');
  });

  it('property: the parts put back together give the display form', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        const name = parseVietnameseName(s);
        expect([name.family, ...name.middle, name.given].filter((p) => p !== '').join(' ')).toBe(
          name.display,
        );
      }),
    );
  });
});
