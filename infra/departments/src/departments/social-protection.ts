/**
 * Social protection offices: lists of people on monthly allowances (trợ cấp xã hội), exported as
 * files. The former Tuyên Quang office exports XLSX; the former Hà Giang office runs a legacy
 * program whose CSV text is TCVN3 (written as single bytes).
 */
import { dayToDmy, isoToDay } from '../calendar.js';
import type { Household, Person } from '../generator/model.js';
import { Noiser, toTcvn3, type NoiseProfile } from '../noise/noise.js';
import { Rng } from '../random.js';
import type { RenderOptions } from './civil-status.js';
import { dmy, recordedAddress, recordedDocument } from './shared.js';
import type { SourceRecord } from './types.js';

export const SOCIAL_PROTECTION_NOISE: NoiseProfile = {
  NO_DIACRITICS: 0.05,
  TYPO: 0.03,
  MODERN_TONE: 0.3,
  DAY_MONTH_SWAPPED: 0.03,
  YEAR_ONLY: 0.15,
  OLD_ADDRESS: 0.7,
  CMND_INSTEAD_OF_ID: 0.4,
  MISSING_FIELD: 0.05,
  DUPLICATE: 0.02,
};
/** The legacy office additionally stores every text field in TCVN3. */
export const LEGACY_OFFICE_NOISE: NoiseProfile = { ...SOCIAL_PROTECTION_NOISE, TCVN3: 1 };

export type Office = 'TQ' | 'HG';
/** Allowance categories of this office: elderly 80+, disabled, orphan. Monthly amounts in đồng. */
export const ALLOWANCE = { NCT80: 500_000, NKT: 750_000, TEMC: 1_000_000 } as const;
export type AllowanceCode = keyof typeof ALLOWANCE;

export const SOCIAL_COLUMNS = [
  'ma_doi_tuong',
  'ho_ten',
  'ngay_sinh',
  'gioi_tinh',
  'so_cccd_cmnd',
  'dia_chi',
  'ma_xa',
  'loai_doi_tuong',
  'muc_huong',
  'ngay_huong',
  'trang_thai',
  'van_phong',
] as const;

export function allowanceOf(rng: Rng, p: Person, asOf: number): AllowanceCode | undefined {
  const age = (asOf - isoToDay(p.dateOfBirth)) / 365;
  if (age >= 80) return 'NCT80';
  if (age < 16 && rng.chance(0.005)) return 'TEMC';
  return rng.chance(0.015) ? 'NKT' : undefined;
}

export function renderSocialProtection(
  h: Household,
  options: RenderOptions & { legacyStats: RenderOptions['stats'] },
): SourceRecord[] {
  const rng = Rng.for(options.seed, 'noise:social-protection', h.index);
  const out: SourceRecord[] = [];
  let seq = 0;
  for (const p of h.people) {
    const code = allowanceOf(rng, p, options.asOf);
    if (code === undefined) continue;
    const office: Office = p.address.oldProvinceCode === '02' ? 'HG' : 'TQ';
    const noiser =
      office === 'HG'
        ? new Noiser(rng, LEGACY_OFFICE_NOISE, options.legacyStats)
        : new Noiser(rng, options.profile ?? SOCIAL_PROTECTION_NOISE, options.stats);
    const legacy = (text: string) => (office === 'HG' ? toTcvn3(text) : text);
    const from = Math.max(
      isoToDay(p.dateOfBirth) + (code === 'NCT80' ? 80 * 365 : 0),
      isoToDay('2018-01-01'),
    );
    const start = from >= options.asOf ? options.asOf : rng.int(from, options.asOf);
    const write = (duplicateOf?: string) => {
      noiser.reset();
      const id = `BTXH-${h.index * 100 + seq++}`;
      const doc = recordedDocument(noiser, p);
      const address = recordedAddress(noiser, p.address);
      const ceased = p.deathDate !== undefined;
      const row = {
        ma_doi_tuong: id,
        ho_ten: noiser.text(p.fullName),
        ngay_sinh: noiser.date(p.dateOfBirth, dmy),
        gioi_tinh: legacy(p.sex === 'MALE' ? 'Nam' : 'Nữ'),
        so_cccd_cmnd: doc.number,
        dia_chi: office === 'HG' ? toTcvn3(address.text) : address.text,
        ma_xa: address.communeCode,
        loai_doi_tuong: code,
        muc_huong: ALLOWANCE[code],
        ngay_huong: dayToDmy(Math.min(start, options.asOf)),
        trang_thai: legacy(ceased ? 'Thôi hưởng' : 'Đang hưởng'),
        van_phong: office,
      } satisfies Record<(typeof SOCIAL_COLUMNS)[number], unknown>;
      out.push({
        table: office === 'HG' ? 'legacy_csv' : 'xlsx',
        id,
        row,
        truth: {
          source: 'social-protection',
          table: office === 'HG' ? 'legacy_csv' : 'xlsx',
          sourceRecordId: id,
          entityType: 'person',
          entityId: p.id,
          noise: duplicateOf === undefined ? [...noiser.applied] : ['DUPLICATE', ...noiser.applied],
          ...(duplicateOf === undefined ? {} : { duplicateOf }),
          ...(ceased ? { deleted: true } : {}),
        },
      });
      return id;
    };
    const first = write();
    noiser.reset();
    if (noiser.duplicate()) write(first);
  }
  return out;
}
