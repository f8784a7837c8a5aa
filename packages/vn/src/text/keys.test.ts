import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldAccents } from './fold.js';
import { foldKey, matchKey, nameKeys, normalizeText, phoneticKey } from './keys.js';
import { nameSimilarity, jaroWinkler } from './similarity.js';
import { isVietnameseSyllable } from './syllable.js';
import { vietnameseTextArb } from './corpus.test-support.js';
import { placeToneMarks, stripTones } from './tone.js';

const nfd = (s: string) => s.normalize('NFD');

describe('normalizeText', () => {
  it('composes NFD, trims and collapses spaces, and keeps the spelling', () => {
    expect(normalizeText(`  ${nfd('Nguyễn')}\u00a0 Thị\tHoà `)).toBe('Nguyễn Thị Hoà');
  });
  it('property: idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(vietnameseTextArb.map(nfd), fc.string()), (s) => {
        expect(normalizeText(normalizeText(s))).toBe(normalizeText(s));
      }),
    );
  });
});

describe('tone placement and match keys', () => {
  it.each([
    ['Hoà', 'hòa', 'hoà'],
    ['thuỷ', 'thủy', 'thuỷ'],
    ['Uý', 'úy', 'uý'],
    ['khoẻ', 'khỏe', 'khoẻ'],
    ['hoàn', 'hoàn', 'hoàn'],
    ['quả', 'quả', 'quả'],
    ['qủa', 'quả', 'quả'],
    ['giữ', 'giữ', 'giữ'],
    ['gìn', 'gìn', 'gìn'],
    ['ngoài', 'ngoài', 'ngoài'],
    ['khuỷu', 'khuỷu', 'khuỷu'],
    ['trường', 'trường', 'trường'],
    ['thuyền', 'thuyền', 'thuyền'],
  ])('%s → classic %s, modern %s', (input, classic, modern) => {
    expect(matchKey(input)).toBe(classic);
    expect(placeToneMarks(input.toLowerCase(), 'modern')).toBe(modern);
  });

  it('gives one key for the hòa/hoà, thủy/thuỷ, NFD and case variants of a name', () => {
    const variants = [
      'Nguyễn Thị Thủy Hòa',
      'NGUYỄN THỊ THUỶ HOÀ',
      nfd('nguyễn thị thuỷ hoà'),
      ' Nguyễn  Thị Thuỷ Hòa ',
    ];
    expect(new Set(variants.map(matchKey)).size).toBe(1);
    expect(nameKeys(variants[1] ?? '').display).toBe('NGUYỄN THỊ THUỶ HOÀ');
  });

  it('folds accents and đ for keys typed without diacritics', () => {
    expect(foldKey('Đặng Thị Thủy')).toBe('dang thi thuy');
    expect(foldAccents(nfd('Đặng Ữ'))).toBe('Dang U');
    expect(stripTones('Nguyễn')).toBe('Nguyên');
  });

  it('property: NFD and NFC inputs give the same keys; keys are idempotent; fold is ASCII', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        expect(matchKey(nfd(s))).toBe(matchKey(s));
        expect(phoneticKey(nfd(s))).toBe(phoneticKey(s));
        expect(matchKey(matchKey(s))).toBe(matchKey(s));
        expect(foldKey(s)).toMatch(/^[a-z0-9 ]*$/);
        expect(foldKey(s)).toBe(foldKey(placeToneMarks(s, 'modern')));
      }),
    );
  });

  it('property: both placement styles give the same match key', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        expect(matchKey(placeToneMarks(s, 'modern'))).toBe(matchKey(placeToneMarks(s, 'classic')));
      }),
    );
  });
});

describe('phoneticKey', () => {
  it.each([
    ['Dung', 'Giung'],
    ['Dũng', 'Rũng'],
    ['Chung', 'Trung'],
    ['Sương', 'Xương'],
    ['Nam', 'Lam'],
    ['Lan', 'Lang'],
    ['Phúc', 'Phút'],
    ['Quý', 'Quí'],
    ['Kiên', 'Kiêng'],
    ['Hòa', 'Hoà'],
  ])('%s ≈ %s', (a, b) => {
    expect(phoneticKey(a)).toBe(phoneticKey(b));
  });

  it.each([
    ['Đức', 'Dức'],
    ['Minh', 'Mai'],
    ['Hà', 'Hồ'],
  ])('%s ≠ %s', (a, b) => {
    expect(phoneticKey(a)).not.toBe(phoneticKey(b));
  });
});

describe('similarity', () => {
  it('is the textbook Jaro-Winkler', () => {
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('DIXON', 'DICKSONX')).toBeCloseTo(0.813, 3);
    expect(jaroWinkler('', 'a')).toBe(0);
  });

  it('scores spelling variants of one person high and different people lower', () => {
    expect(nameSimilarity('Nguyễn Thị Thủy', 'NGUYEN THI THUY')).toBeLessThan(1); // no diacritics changes vowels
    expect(nameSimilarity('Nguyễn Thị Thủy', nfd('Nguyễn Thị Thuỷ'))).toBe(1);
    expect(nameSimilarity('Trần Văn Long', 'Chần Văn Nong')).toBe(1);
    expect(nameSimilarity('Nguyễn Văn An', 'Hoàng Thị Bích')).toBeLessThan(0.7);
  });

  it('property: symmetric and bounded', () => {
    fc.assert(
      fc.property(vietnameseTextArb, vietnameseTextArb, (a, b) => {
        const s = nameSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(nameSimilarity(b, a)).toBeCloseTo(s, 10);
        expect(nameSimilarity(a, a)).toBe(1);
      }),
    );
  });
});

describe('isVietnameseSyllable', () => {
  it.each(['nguyễn', 'trường', 'khuỷu', 'gìn', 'quốc', 'ngoài', 'A'])('accepts %s', (s) =>
    expect(isVietnameseSyllable(s)).toBe(true),
  );
  it.each(['nguyÔn', 'tr­êng', 'xyz', 'hạt́', 'mạ̀', 'ãt'])('rejects %s', (s) =>
    expect(isVietnameseSyllable(s)).toBe(false),
  );
});
