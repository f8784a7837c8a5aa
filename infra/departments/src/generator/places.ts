/**
 * Real communes of the merged province from @hub/vn's catalogue: a person lives in a pre-2025
 * commune of old Tuyên Quang (08) or old Hà Giang (02) and, through the official many-to-many
 * conversion, in one current commune of the new province 08. Ethnic mix by old district is rough
 * (highland Hà Giang mostly Hmong, Tuyên Quang city mostly Kinh).
 */
import { defaultAdminRegistry, type AdminUnit } from '@hub/vn';
import type { Rng } from '../random.js';
import type { Address, Ethnicity } from './model.js';

export interface OldCommune {
  province: AdminUnit;
  district: AdminUnit;
  commune: AdminUnit;
  /** Current communes it went into (several when it was split). */
  current: ReadonlyArray<{ code: string; name: string }>;
  urban: boolean;
}

export interface Places {
  communes: readonly OldCommune[];
  weights: ReadonlyArray<readonly [OldCommune, number]>;
  byOldCode: ReadonlyMap<string, OldCommune>;
  /** Current commune code → its name with type word. */
  currentNames: ReadonlyMap<string, string>;
}

const PROVINCE_SHARE: Record<string, number> = { '08': 0.52, '02': 0.48 };
const HIGHLAND = new Set(['026', '027', '028', '029']);
const CITY = new Set(['024', '070']);

function titled(unit: AdminUnit): string {
  const type = unit.type ?? (unit.level === 'province' ? 'tỉnh' : '');
  return type === '' ? unit.name : `${type.charAt(0).toUpperCase()}${type.slice(1)} ${unit.name}`;
}

let cached: Places | undefined;

export function loadPlaces(): Places {
  if (cached) return cached;
  const registry = defaultAdminRegistry();
  const districts = new Map(registry.unitsOf('district', 'PRE_2025').map((d) => [d.code, d]));
  const provinces = new Map(registry.unitsOf('province', 'PRE_2025').map((p) => [p.code, p]));
  const currentNames = new Map(
    registry.unitsOf('commune', 'CURRENT').map((c) => [c.code, titled(c)] as const),
  );
  const communes: OldCommune[] = [];
  for (const commune of registry.unitsOf('commune', 'PRE_2025')) {
    const district = districts.get(commune.parentCode ?? '');
    const province = provinces.get(district?.parentCode ?? '');
    if (!district || !province || PROVINCE_SHARE[province.code] === undefined) continue;
    const current = registry
      .mappingsFrom(commune.code)
      .map((m) => ({ code: m.newCode, name: currentNames.get(m.newCode) ?? m.newName }));
    if (current.length === 0) continue;
    communes.push({
      province,
      district,
      commune,
      current,
      urban: commune.type === 'phường' || commune.type === 'thị trấn',
    });
  }
  const perProvince = new Map<string, number>();
  for (const c of communes)
    perProvince.set(c.province.code, (perProvince.get(c.province.code) ?? 0) + (c.urban ? 3 : 1));
  const weights = communes.map(
    (c) =>
      [
        c,
        ((PROVINCE_SHARE[c.province.code] ?? 0) * (c.urban ? 3 : 1)) /
          (perProvince.get(c.province.code) ?? 1),
      ] as const,
  );
  cached = { communes, weights, byOldCode: new Map(communes.map((c) => [c.commune.code, c])), currentNames };
  return cached;
}

const VILLAGES = [
  'Nà Khá',
  'Bản Pắng',
  'Khuổi Phầy',
  'Làng Chùa',
  'Nà Mèo',
  'Pác Ngòi',
  'Xóm Mới',
  'Bản Vàn',
  'Lũng Cú',
  'Sủng Là',
  'Nà Hang',
  'Đồng Tâm',
  'Tân Lập',
  'Cốc Phát',
  'Nặm Đăm',
];

export function addressIn(rng: Rng, place: OldCommune): Address {
  const current = rng.pick(place.current);
  const detail = place.urban
    ? `Tổ ${rng.int(1, 25)}`
    : rng.chance(0.5)
      ? `Thôn ${rng.int(1, 15)}`
      : `Thôn ${rng.pick(VILLAGES)}`;
  return {
    oldProvinceCode: place.province.code,
    oldProvinceName: titled(place.province),
    oldDistrictCode: place.district.code,
    oldDistrictName: titled(place.district),
    oldCommuneCode: place.commune.code,
    oldCommuneName: titled(place.commune),
    communeCode: current.code,
    communeName: current.name,
    detail,
  };
}

export function pickPlace(rng: Rng): OldCommune {
  return rng.weighted(loadPlaces().weights);
}

export function pickEthnicity(rng: Rng, place: OldCommune): Ethnicity {
  const d = place.district.code;
  if (HIGHLAND.has(d))
    return rng.weighted([
      ['HMONG', 80],
      ['DAO', 5],
      ['KINH', 6],
      ['TAY', 4],
      ['GIAY', 3],
      ['NUNG', 2],
    ]);
  if (CITY.has(d))
    return rng.weighted([
      ['KINH', 70],
      ['TAY', 18],
      ['DAO', 4],
      ['NUNG', 3],
      ['SAN_CHAY', 3],
      ['HMONG', 2],
    ]);
  if (place.province.code === '02')
    return rng.weighted([
      ['TAY', 30],
      ['DAO', 20],
      ['KINH', 20],
      ['HMONG', 14],
      ['NUNG', 10],
      ['GIAY', 6],
    ]);
  return rng.weighted([
    ['KINH', 45],
    ['TAY', 26],
    ['DAO', 12],
    ['SAN_CHAY', 9],
    ['HMONG', 4],
    ['NUNG', 4],
  ]);
}

/** One-line address as forms write it: detail, commune, (district,) province. */
export function formatAddress(address: Address, era: 'PRE_2025' | 'CURRENT'): string {
  return era === 'PRE_2025'
    ? `${address.detail}, ${address.oldCommuneName}, ${address.oldDistrictName}, ${address.oldProvinceName}`
    : `${address.detail}, ${address.communeName}, Tỉnh Tuyên Quang`;
}
