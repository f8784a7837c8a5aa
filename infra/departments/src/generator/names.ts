/**
 * Name pools by ethnic group. Frequencies are rough (Kinh surnames follow DOMAIN.md §5.5); the
 * minority patterns follow DOMAIN.md §5.6: Hmong men carry the middle name "A", Dao surnames are
 * Bàn or Phàn among others, and Văn/Thị decline among the young. Spellings are classic tone
 * placement (Hòa, Thủy), the form the noise step may rewrite as modern (Hoà, Thuỷ).
 */
import type { Sex } from '@hub/vn';
import type { Rng } from '../random.js';
import type { Ethnicity } from './model.js';

type Weighted = ReadonlyArray<readonly [string, number]>;

interface NamePool {
  family: Weighted;
  maleMiddle: (rng: Rng, birthYear: number) => string;
  femaleMiddle: (rng: Rng, birthYear: number) => string;
  male: readonly string[];
  female: readonly string[];
}

const KINH_FAMILY: Weighted = [
  ['Nguyễn', 38],
  ['Trần', 11],
  ['Lê', 9.5],
  ['Phạm', 7.1],
  ['Hoàng', 5.1],
  ['Phan', 4.5],
  ['Vũ', 3.9],
  ['Đặng', 2.1],
  ['Bùi', 2],
  ['Đỗ', 1.4],
  ['Hồ', 1.3],
  ['Ngô', 1.3],
  ['Dương', 1],
  ['Lý', 0.5],
  ['Đinh', 0.8],
  ['Lương', 0.6],
  ['Trịnh', 0.6],
  ['Đoàn', 0.6],
  ['Hà', 0.7],
  ['Quách', 0.2],
];
const KINH_MALE = [
  'Hùng',
  'Dũng',
  'Tuấn',
  'Minh',
  'Hòa',
  'Thắng',
  'Long',
  'Nam',
  'Quý',
  'Hải',
  'Sơn',
  'Cường',
  'Đức',
  'Thành',
  'Trung',
  'Khoa',
  'Huy',
  'Phúc',
  'Toàn',
  'Quyết',
  'Hoàng',
  'Khánh',
  'Thủy',
  'Bình',
  'An',
];
const KINH_FEMALE = [
  'Hoa',
  'Lan',
  'Hương',
  'Mai',
  'Thủy',
  'Thúy',
  'Hòa',
  'Hằng',
  'Nga',
  'Linh',
  'Trang',
  'Huyền',
  'Ngọc',
  'Phương',
  'Loan',
  'Yến',
  'Nhung',
  'Tuyết',
  'Hạnh',
  'Quỳnh',
  'Thoa',
  'Ly',
  'Oanh',
  'Xuân',
  'Thảo',
];
const KINH_MALE_MIDDLE = ['Đức', 'Minh', 'Quang', 'Hữu', 'Công', 'Xuân', 'Mạnh', 'Thanh', 'Tiến', 'Ngọc'];
const KINH_FEMALE_MIDDLE = ['Thu', 'Thanh', 'Ngọc', 'Hồng', 'Thùy', 'Minh', 'Phương', 'Bích', 'Kim', 'Thúy'];

function traditionalShare(birthYear: number): number {
  return birthYear < 1975 ? 0.85 : birthYear < 1995 ? 0.55 : 0.2;
}

function middle(traditional: string, modern: readonly string[]) {
  return (rng: Rng, birthYear: number) =>
    rng.chance(traditionalShare(birthYear)) ? traditional : rng.pick(modern);
}

const POOLS: Record<Ethnicity, NamePool> = {
  KINH: {
    family: KINH_FAMILY,
    maleMiddle: middle('Văn', KINH_MALE_MIDDLE),
    femaleMiddle: middle('Thị', KINH_FEMALE_MIDDLE),
    male: KINH_MALE,
    female: KINH_FEMALE,
  },
  TAY: {
    family: [
      ['Hoàng', 10],
      ['Nông', 8],
      ['Ma', 6],
      ['Lường', 3],
      ['Hà', 5],
      ['Triệu', 4],
      ['Lộc', 3],
      ['Lục', 3],
      ['Chu', 2],
      ['Đàm', 2],
      ['Quan', 2],
      ['Nguyễn', 4],
    ],
    maleMiddle: middle('Văn', ['Đức', 'Quang', 'Tiến']),
    femaleMiddle: middle('Thị', ['Thu', 'Hồng', 'Ngọc']),
    male: ['Sầm', 'Thuận', 'Khiêm', 'Pấu', 'Lình', 'Tiến', 'Hòa', 'Chiến', 'Quyết', 'Toản', 'Sáng', 'Thào'],
    female: ['Hoa', 'Lịch', 'Piếng', 'Nhàn', 'Thủy', 'Xuyến', 'Mến', 'Lụa', 'Thơm', 'Cúc', 'Hòa', 'Duyên'],
  },
  NUNG: {
    family: [
      ['Nông', 8],
      ['Lý', 6],
      ['Hoàng', 6],
      ['Vi', 3],
      ['Sầm', 2],
      ['Lục', 3],
      ['Lăng', 2],
      ['Mông', 2],
    ],
    maleMiddle: middle('Văn', ['Đức', 'Tiến']),
    femaleMiddle: middle('Thị', ['Thu', 'Ngọc']),
    male: ['Dìn', 'Sáu', 'Chăn', 'Phìn', 'Pủa', 'Thắm', 'Quân', 'Lực'],
    female: ['Mỷ', 'Dìu', 'Slao', 'Lìn', 'Nhung', 'Hoa', 'Thắm', 'Pìn'],
  },
  DAO: {
    family: [
      ['Bàn', 10],
      ['Phàn', 6],
      ['Triệu', 8],
      ['Đặng', 6],
      ['Lý', 5],
      ['Chảo', 4],
      ['Dương', 2],
    ],
    maleMiddle: middle('Văn', ['Tiến', 'Kim', 'Phúc']),
    femaleMiddle: middle('Thị', ['Mùi', 'Kim']),
    male: ['Quẩy', 'Phin', 'Chòi', 'Tả', 'Quyển', 'Nhất', 'Nhị', 'Tài', 'Sinh', 'Kiều', 'Phấu', 'Vần'],
    female: ['Mẩy', 'Quyên', 'Nái', 'Slẩy', 'Chài', 'Liên', 'Sao', 'Mai', 'Tờ', 'Xiêm'],
  },
  HMONG: {
    family: [
      ['Giàng', 10],
      ['Vàng', 9],
      ['Sùng', 8],
      ['Lù', 6],
      ['Thào', 7],
      ['Mua', 5],
      ['Hầu', 5],
      ['Lầu', 4],
      ['Ly', 5],
      ['Vừ', 3],
      ['Cứ', 2],
      ['Chảo', 2],
    ],
    maleMiddle: (rng) => (rng.chance(0.92) ? 'A' : 'Mí'),
    femaleMiddle: (rng) => (rng.chance(0.7) ? 'Thị' : ''),
    male: [
      'Lềnh',
      'Páo',
      'Chư',
      'Dình',
      'Sính',
      'Tủa',
      'Pó',
      'Súa',
      'Chứ',
      'Lử',
      'Của',
      'Dế',
      'Mua',
      'Sì',
      'Vư',
    ],
    female: ['Mỷ', 'Dợ', 'Súa', 'Mai', 'Say', 'Chở', 'Pà', 'Dung', 'Dí', 'Lan', 'Mỉ', 'Sua'],
  },
  SAN_CHAY: {
    family: [
      ['Hoàng', 6],
      ['Lâm', 4],
      ['Trần', 3],
      ['La', 3],
      ['Ninh', 2],
      ['Đặng', 2],
      ['Trương', 2],
    ],
    maleMiddle: middle('Văn', ['Đức']),
    femaleMiddle: middle('Thị', ['Thu']),
    male: ['Thiệu', 'Sơn', 'Quyên', 'Dìn', 'Toán', 'Hoạch'],
    female: ['Nhất', 'Thủy', 'Mến', 'Dịu', 'Hòa', 'Quế'],
  },
  GIAY: {
    family: [
      ['Lò', 5],
      ['Hoàng', 4],
      ['Vương', 3],
      ['Lù', 2],
      ['Sầm', 2],
    ],
    maleMiddle: middle('Văn', ['Seo']),
    femaleMiddle: middle('Thị', ['Mí']),
    male: ['Seo', 'Chấn', 'Dền', 'Phủ', 'Tỉnh'],
    female: ['Mỷ', 'Dung', 'Sâm', 'Lìn', 'Nga'],
  },
};

export function pickFamilyName(rng: Rng, ethnicity: Ethnicity): string {
  return rng.weighted(POOLS[ethnicity].family);
}

export interface PersonName {
  familyName: string;
  middleName: string;
  givenName: string;
  fullName: string;
}

export function pickName(
  rng: Rng,
  ethnicity: Ethnicity,
  sex: Sex,
  birthYear: number,
  familyName: string,
): PersonName {
  const pool = POOLS[ethnicity];
  const middleName = sex === 'MALE' ? pool.maleMiddle(rng, birthYear) : pool.femaleMiddle(rng, birthYear);
  const givenName = rng.pick(sex === 'MALE' ? pool.male : pool.female);
  const fullName = [familyName, middleName, givenName].filter((p) => p !== '').join(' ');
  return { familyName, middleName, givenName, fullName };
}

/** Names of ethnic groups as the civil-status software writes them. */
export const ETHNICITY_LABEL: Record<Ethnicity, string> = {
  KINH: 'Kinh',
  TAY: 'Tày',
  DAO: 'Dao',
  HMONG: 'Mông',
  NUNG: 'Nùng',
  SAN_CHAY: 'Sán Chay',
  GIAY: 'Giáy',
};
