/** Test-only corpus: real syllables from the shipped place names plus common name syllables. */
import fc from 'fast-check';
import { loadDefaultCatalogue } from '../admin-units/default-catalogue.js';

const NAME_SYLLABLES =
  'Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Hầu Giàng Sùng Bàn Phàn Triệu Ma Nông Văn Thị Hữu Đức Ngọc Thủy Thuỷ Hòa Hoà Uyên Khuê Tuyết Quỳnh Ngoãn Khuỷu Giữ Gìn Nghiêm Trường Xuân Yến Ưng Ước Oanh Thoả Khoẻ Quý Quí Tỵ Ỷ'.split(
    ' ',
  );

export const SYLLABLES: readonly string[] = [
  ...new Set([
    ...NAME_SYLLABLES,
    ...loadDefaultCatalogue()
      .units.flatMap((u) => u.name.split(' '))
      .filter((s) => /^\p{L}+$/u.test(s)),
  ]),
];

/** Text of 1–5 real syllables in random case. */
export const vietnameseTextArb = fc
  .array(fc.tuple(fc.constantFrom(...SYLLABLES), fc.constantFrom('lower', 'upper', 'as-is')), {
    minLength: 1,
    maxLength: 5,
  })
  .map((parts) =>
    parts.map(([s, c]) => (c === 'lower' ? s.toLowerCase() : c === 'upper' ? s.toUpperCase() : s)).join(' '),
  );
