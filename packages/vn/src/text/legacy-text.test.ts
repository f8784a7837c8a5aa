import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectAndRepairText, syllableScore } from './detect-encoding.js';
import { decodeTcvn3, decodeVni, encodeTcvn3, encodeVni } from './legacy-encodings.js';
import { encodeAsMojibake, repairMojibake } from './mojibake.js';
import { vietnameseTextArb } from './corpus.test-support.js';

describe('TCVN3 (ABC)', () => {
  it.each([
    ['Tuyªn Quang', 'Tuyên Quang'],
    ['Hµ Néi', 'Hà Nội'],
    ['Céng hoµ x· héi chñ nghÜa ViÖt Nam', 'Cộng hoà xã hội chủ nghĩa Việt Nam'],
    ['§éc lËp - Tù do - H¹nh phóc', 'Độc lập - Tự do - Hạnh phúc'],
    ['Tr\u00adêng', 'Trường'],
  ])('%s → %s', (input, expected) => {
    expect(decodeTcvn3(input)).toBe(expected);
  });

  it('returns capitals for the .VnTimeH font', () => {
    expect(decodeTcvn3('nguyÔn', { allCaps: true })).toBe('NGUYỄN');
  });

  it('property: decode(encode(s)) = s for lower-case text', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        const lower = s.toLowerCase();
        expect(decodeTcvn3(encodeTcvn3(lower))).toBe(lower);
      }),
    );
  });
});

describe('VNI', () => {
  it.each([
    ['Vieät Nam', 'Việt Nam'],
    ['Thaønh phoá Hoà Chí Minh', 'Thành phố Hồ Chí Minh'],
    ['Tröôøng', 'Trường'],
    ['Ñoàng Vaên', 'Đồng Văn'],
  ])('%s → %s', (input, expected) => {
    expect(decodeVni(input)).toBe(expected);
  });

  it('property: decode(encode(s)) = s in any case', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        expect(decodeVni(encodeVni(s))).toBe(s);
      }),
    );
  });
});

describe('mojibake', () => {
  it('repairs the CP437 sample from a public SQL dump', () => {
    expect(repairMojibake('Quß║¡n Ba ─É├¼nh', 'CP437')?.text).toBe('Quận Ba Đình');
  });

  it('repairs words one by one when the text mixes broken and clean parts', () => {
    expect(repairMojibake('Xã Viá»‡t Lâm', 'CP1252')?.text).toBe('Xã Việt Lâm');
  });

  it('leaves clean text alone', () => {
    expect(repairMojibake('Việt Nam', 'CP437')).toBeUndefined();
  });

  it('property: the repair undoes the damage for both code pages', () => {
    fc.assert(
      fc.property(vietnameseTextArb, fc.constantFrom('CP1252' as const, 'CP437' as const), (s, source) => {
        expect(repairMojibake(encodeAsMojibake(s, source), source)?.text ?? s).toBe(s);
      }),
    );
  });
});

describe('detectAndRepairText', () => {
  it.each([
    ['NguyÔn V¨n Tr\u00adêng', 'TCVN3', 'Nguyễn Văn Trường'],
    ['Nguyeãn Vaên Tröôøng', 'VNI', 'Nguyễn Văn Trường'],
    ['Quß║¡n Ba ─É├¼nh', 'UTF8_AS_CP437', 'Quận Ba Đình'],
    [encodeAsMojibake('Nguyễn Văn Trường', 'CP1252'), 'UTF8_AS_CP1252', 'Nguyễn Văn Trường'],
    ['Nguyễn Văn Trường', 'UNICODE', 'Nguyễn Văn Trường'],
    ['Hoàng Thị Thuỷ, xã Lâm Bình', 'UNICODE', 'Hoàng Thị Thuỷ, xã Lâm Bình'],
  ])('%s is %s', (input, encoding, text) => {
    const result = detectAndRepairText(input);
    expect(result).toMatchObject({ encoding, text });
    expect(result.confidence).toBeGreaterThan(0.6);
  });

  it('repairs the words it can when a byte was lost (0x9D has no CP1252 character)', () => {
    const damaged = encodeAsMojibake('Nguyễn Văn Trường', 'CP1252').replace('\u009d', '');
    expect(detectAndRepairText(damaged)).toMatchObject({
      encoding: 'UTF8_AS_CP1252',
      text: 'Nguyễn Văn TrÆ°á»ng',
    });
  });

  it('gives low confidence to text that is neither clean nor repairable', () => {
    expect(detectAndRepairText('¤¤¤ ▒▒ qwxz').confidence).toBeLessThan(0.5);
  });

  it('property: clean Unicode text is never changed', () => {
    fc.assert(
      fc.property(vietnameseTextArb, (s) => {
        expect(detectAndRepairText(s).text).toBe(s);
      }),
    );
  });

  it('repairs TCVN3 text whose words close "oo" with -ng or -c (found by the property below, seed 940307431)', () => {
    for (const text of ['choóng nguyễn', 'xoong nồi', 'soóc nhỏ'])
      expect(detectAndRepairText(encodeTcvn3(text)).text).toBe(text);
  });

  it('property: TCVN3-encoded lower-case text is detected and repaired', () => {
    // Short texts can be valid in both readings ("tô" is TCVN3 for "tụ" and also a word), so only
    // texts whose encoded form is not already well-formed Vietnamese are expected to be repaired.
    fc.assert(
      fc.property(
        vietnameseTextArb.filter((s) => syllableScore(encodeTcvn3(s.toLowerCase())) < 1),
        (s) => {
          const lower = s.toLowerCase();
          expect(detectAndRepairText(encodeTcvn3(lower)).text).toBe(lower);
        },
      ),
    );
  });
});
