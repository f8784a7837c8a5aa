/**
 * Business registry (Department of Finance): enterprises, branches and household businesses, with
 * `updated_at`. Deletes are hard (rows vanish), so a connector must compare keys to see them.
 */
import { isoToDay } from '../calendar.js';
import type { Business, Household, LegalForm } from '../generator/model.js';
import { Noiser, type NoiseProfile } from '../noise/noise.js';
import { Rng } from '../random.js';
import type { RenderOptions } from './civil-status.js';
import { laterEdit, officeTime, recordedAddress, recordedDocument } from './shared.js';
import type { SourceRecord } from './types.js';

export const BUSINESS_NOISE: NoiseProfile = {
  MODERN_TONE: 0.2,
  NO_DIACRITICS: 0.1,
  TYPO: 0.02,
  DAY_MONTH_SWAPPED: 0.02,
  CMND_INSTEAD_OF_ID: 0.3,
  OLD_ADDRESS: 0.5,
  MISSING_FIELD: 0.05,
  DUPLICATE: 0.01,
};

/** This registry's own codes. */
export const LEGAL_FORM_CODE: Record<LegalForm, string> = {
  TNHH1TV: '1TV',
  TNHH2TV: '2TV',
  CO_PHAN: 'CP',
  TU_NHAN: 'DNTN',
  HOP_TAC_XA: 'HTX',
  HO_KINH_DOANH: 'HKD',
};
export const BUSINESS_STATUS_CODE: Record<Business['status'], string> = {
  ACTIVE: '00',
  SUSPENDED: '01',
  DISSOLVED: '04',
};

const dmyDash = (y: string, m: string, d: string): string => `${d}-${m}-${y}`;

export function renderBusinessRegistry(h: Household, options: RenderOptions): SourceRecord[] {
  const rng = Rng.for(options.seed, 'noise:business-registry', h.index);
  const noiser = new Noiser(rng, options.profile ?? BUSINESS_NOISE, options.stats);
  const people = new Map(h.people.map((p) => [p.id, p]));
  const out: SourceRecord[] = [];
  let householdSeq = 0;
  for (const b of h.businesses) {
    const rep = people.get(b.representativeId);
    if (!rep) continue;
    const createdAt = officeTime(rng, b.registeredOn);
    const updatedAt =
      b.statusChangedOn === undefined
        ? laterEdit(rng, createdAt, options.asOf)
        : officeTime(rng, b.statusChangedOn);
    const related = [{ role: 'representative', type: 'person' as const, id: rep.id }];
    const write = (duplicateOf?: string) => {
      noiser.reset();
      const address = recordedAddress(noiser, b.address);
      const doc = recordedDocument(noiser, rep);
      const repName = noiser.text(rep.fullName);
      const repBirth = noiser.optional(noiser.date(rep.dateOfBirth, dmyDash));
      const name = b.kind === 'HOUSEHOLD' ? noiser.text(b.name) : b.name.toUpperCase();
      const common = {
        dia_chi: address.text,
        ma_xa: address.communeCode,
        tinh_trang: BUSINESS_STATUS_CODE[b.status],
        updated_at: updatedAt,
      };
      let table: string;
      let id: string;
      let row: Record<string, unknown>;
      switch (b.kind) {
        case 'ENTERPRISE':
          table = 'doanh_nghiep';
          id = b.code;
          row = {
            ma_so_dn: b.code,
            ten_doanh_nghiep: name,
            loai_hinh: LEGAL_FORM_CODE[b.legalForm],
            ngay_thanh_lap: b.registeredOn,
            nganh_nghe_chinh: b.industryCode,
            von_dieu_le: b.capital,
            nguoi_dai_dien: repName,
            ngay_sinh_ndd: repBirth,
            loai_giay_to_ndd: doc.kind,
            so_giay_to_ndd: doc.number,
            ...common,
          };
          break;
        case 'BRANCH':
          table = 'chi_nhanh';
          id = b.code;
          row = {
            ma_so_cn: b.code,
            ma_so_dn: b.parentCode,
            ten_chi_nhanh: name,
            ngay_thanh_lap: b.registeredOn,
            nguoi_dung_dau: repName,
            so_giay_to_ndd: doc.number,
            ...common,
          };
          break;
        case 'HOUSEHOLD': {
          table = 'ho_kinh_doanh';
          const rowId = h.index * 100 + householdSeq++;
          id = String(rowId);
          // Registered before 1/7/2025: a certificate number only; the owner's personal number became the code since.
          const keyed = isoToDay(b.registeredOn) >= isoToDay('2025-07-01');
          row = {
            id: rowId,
            ma_so_hkd: keyed ? b.code : null,
            so_gcn: `${rep.address.oldDistrictCode}A8${String(rowId % 1_000_000).padStart(6, '0')}`,
            ten_ho_kinh_doanh: name,
            chu_ho: repName,
            ngay_sinh_chu_ho: repBirth,
            so_giay_to_chu_ho: doc.number,
            nganh_nghe: b.industryCode,
            von_kinh_doanh: b.capital,
            ngay_dang_ky: b.registeredOn,
            ...common,
          };
          break;
        }
      }
      out.push({
        table,
        id,
        row,
        truth: {
          source: 'business-registry',
          table,
          sourceRecordId: id,
          entityType: 'business',
          entityId: b.id,
          related,
          noise: duplicateOf === undefined ? [...noiser.applied] : ['DUPLICATE', ...noiser.applied],
          ...(duplicateOf === undefined ? {} : { duplicateOf }),
        },
      });
      return id;
    };
    const first = write();
    // Only the household table has no natural key, so only there can a business be entered twice.
    noiser.reset();
    if (b.kind === 'HOUSEHOLD' && noiser.duplicate()) write(first);
  }
  return out;
}
