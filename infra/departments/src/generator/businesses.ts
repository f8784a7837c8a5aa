/**
 * Businesses owned or represented by adults of a household: enterprises (with branches) under
 * codes carrying a valid check digit, and household businesses keyed by the owner's personal
 * number (the rule since 1/7/2025, Circular 86/2024/TT-BTC).
 */
import { dayToIso, isoToDay } from '../calendar.js';
import { Rng } from '../random.js';
import type { IdentityMinter } from './identity.js';
import type { Business, BusinessStatus, LegalForm, Person } from './model.js';

const BRANDS = [
  'Hoàng Long',
  'Minh Phát',
  'Tân Thành',
  'Bắc Hà',
  'Sông Lô',
  'Na Hang',
  'Đồng Văn',
  'Thành Đạt',
  'Hưng Thịnh',
  'An Phú',
  'Phúc Lâm',
  'Cao Nguyên Đá',
  'Tân Trào',
  'Kim Bình',
  'Mỹ Lâm',
];
const SECTORS: ReadonlyArray<readonly [string, string]> = [
  ['Xây dựng', '4101'],
  ['Thương mại và Dịch vụ', '4690'],
  ['Chè Shan Tuyết', '1076'],
  ['Du lịch Sinh thái', '7912'],
  ['Vận tải', '4933'],
  ['Lâm sản', '1610'],
  ['Nông nghiệp Công nghệ cao', '0118'],
  ['Dược liệu', '2100'],
];
const SHOPS: ReadonlyArray<readonly [string, string]> = [
  ['Tạp hóa', '4711'],
  ['Quán ăn', '5610'],
  ['Sửa chữa xe máy', '4542'],
  ['Vật liệu xây dựng', '4752'],
  ['Chế biến chè', '1076'],
  ['May đo', '1410'],
];
const FORM_PREFIX: Record<LegalForm, string> = {
  TNHH1TV: 'Công ty TNHH MTV',
  TNHH2TV: 'Công ty TNHH',
  CO_PHAN: 'Công ty Cổ phần',
  TU_NHAN: 'Doanh nghiệp tư nhân',
  HOP_TAC_XA: 'Hợp tác xã',
  HO_KINH_DOANH: 'Hộ kinh doanh',
};

function statusOf(
  rng: Rng,
  registered: number,
  asOf: number,
): { status: BusinessStatus; changedOn: string | undefined } {
  const status = rng.weighted<BusinessStatus>([
    ['ACTIVE', 85],
    ['SUSPENDED', 5],
    ['DISSOLVED', 10],
  ]);
  if (status === 'ACTIVE' || registered + 60 >= asOf) return { status: 'ACTIVE', changedOn: undefined };
  return { status, changedOn: dayToIso(rng.int(registered + 60, asOf)) };
}

export function makeBusinesses(
  seed: number,
  householdIndex: number,
  people: readonly Person[],
  asOf: number,
  minter: IdentityMinter,
): Business[] {
  const rng = Rng.for(seed, 'business', householdIndex);
  const out: Business[] = [];
  for (const person of people) {
    const born = isoToDay(person.dateOfBirth);
    const age = (asOf - born) / 365;
    if (age < 22 || age > 70) continue;
    const alive = person.deathDate === undefined ? asOf : isoToDay(person.deathDate);
    const earliest = Math.max(born + 20 * 365, isoToDay('2005-01-01'));
    if (earliest >= alive) continue;
    if (rng.chance(0.02)) {
      const registered = rng.int(earliest, alive);
      const form = rng.weighted<LegalForm>([
        ['TNHH1TV', 40],
        ['TNHH2TV', 25],
        ['CO_PHAN', 15],
        ['TU_NHAN', 12],
        ['HOP_TAC_XA', 8],
      ]);
      const [sector, industry] = rng.pick(SECTORS);
      const code = minter.enterpriseCode(person.address.oldProvinceCode);
      const { status, changedOn } = statusOf(rng, registered, asOf);
      const name = `${FORM_PREFIX[form]} ${sector} ${rng.pick(BRANDS)}`;
      const id = `B${code}`;
      out.push({
        id,
        kind: 'ENTERPRISE',
        code,
        parentCode: undefined,
        name,
        legalForm: form,
        status,
        registeredOn: dayToIso(registered),
        statusChangedOn: changedOn,
        address: person.address,
        representativeId: person.id,
        industryCode: industry,
        capital: rng.int(1, 200) * 100_000_000,
      });
      const branches = rng.chance(0.15) ? rng.int(1, 3) : 0;
      for (let b = 1; b <= branches && registered + 30 * b < asOf; b++) {
        const branchCode = `${code}-${String(b).padStart(3, '0')}`;
        out.push({
          id: `B${branchCode}`,
          kind: 'BRANCH',
          code: branchCode,
          parentCode: code,
          name: `Chi nhánh ${b} - ${name}`,
          legalForm: form,
          status,
          registeredOn: dayToIso(rng.int(registered + 30 * b, asOf)),
          statusChangedOn: changedOn,
          address: person.address,
          representativeId: person.id,
          industryCode: industry,
          capital: 0,
        });
      }
    }
    if (rng.chance(0.05)) {
      const registered = rng.int(earliest, alive);
      const [shop, industry] = rng.pick(SHOPS);
      const { status, changedOn } = statusOf(rng, registered, asOf);
      out.push({
        id: `B${person.personalId}`,
        kind: 'HOUSEHOLD',
        code: person.personalId,
        parentCode: undefined,
        name: `${FORM_PREFIX.HO_KINH_DOANH} ${shop} ${person.givenName}`,
        legalForm: 'HO_KINH_DOANH',
        status,
        registeredOn: dayToIso(registered),
        statusChangedOn: changedOn,
        address: person.address,
        representativeId: person.id,
        industryCode: industry,
        capital: rng.int(1, 50) * 10_000_000,
      });
    }
  }
  return out;
}
