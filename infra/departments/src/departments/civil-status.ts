/**
 * Civil status (hộ tịch, Ministry of Justice software): birth, marriage and death registrations
 * since 1995 (digitised books) and the persons they name. Soft deletes (`da_xoa`), `updated_at`.
 */
import { isoToDay } from '../calendar.js';
import type { Household, Person } from '../generator/model.js';
import { ETHNICITY_LABEL } from '../generator/names.js';
import { Noiser, type NoiseProfile, type NoiseStats } from '../noise/noise.js';
import { Rng } from '../random.js';
import { dmy, laterEdit, officeTime, recordedAddress, recordedDocument } from './shared.js';
import type { SourceRecord } from './types.js';

export const CIVIL_STATUS_NOISE: NoiseProfile = {
  MODERN_TONE: 0.15,
  NFD: 0.05,
  TYPO: 0.02,
  NO_DIACRITICS: 0.01,
  DAY_MONTH_SWAPPED: 0.01,
  YEAR_ONLY: 0.03,
  CMND_INSTEAD_OF_ID: 0.2,
  OLD_ADDRESS: 0.3,
  MISSING_FIELD: 0.05,
  DUPLICATE: 0.01,
};

/** Registration status codes of this software: 1 registered, 9 cancelled. */
export const CIVIL_STATUS_CODES = { REGISTERED: 1, CANCELLED: 9 } as const;

const DIGITISED_FROM = isoToDay('1995-01-01');

export interface RenderOptions {
  seed: number;
  asOf: number;
  profile?: NoiseProfile;
  stats: NoiseStats;
}

export function renderCivilStatus(h: Household, options: RenderOptions): SourceRecord[] {
  const rng = Rng.for(options.seed, 'noise:civil-status', h.index);
  const noiser = new Noiser(rng, options.profile ?? CIVIL_STATUS_NOISE, options.stats);
  const out: SourceRecord[] = [];
  const byId = new Map(h.people.map((p) => [p.id, p]));
  const personRows = new Map<string, number>();
  let seq = 0;
  const nextId = () => h.index * 1000 + seq++;

  const personRow = (p: Person, registeredOn: string): number => {
    const known = personRows.get(p.id);
    if (known !== undefined) return known;
    const write = (id: number, duplicateOf?: string) => {
      noiser.reset();
      const createdAt = officeTime(rng, registeredOn);
      const doc = recordedDocument(noiser, p);
      const address = recordedAddress(noiser, p.address);
      const deleted = duplicateOf !== undefined && rng.chance(0.5);
      out.push({
        table: 'cong_dan',
        id: String(id),
        row: {
          id,
          ho_ten: noiser.text(p.fullName),
          ngay_sinh: noiser.date(p.dateOfBirth, dmy),
          gioi_tinh: p.sex === 'MALE' ? 1 : 2,
          dan_toc: ETHNICITY_LABEL[p.ethnicity],
          quoc_tich: 'Việt Nam',
          loai_giay_to: doc.kind,
          so_giay_to: doc.number,
          dia_chi_thuong_tru: address.text,
          ma_xa: address.communeCode,
          ngay_tao: createdAt,
          updated_at: laterEdit(rng, createdAt, options.asOf),
          da_xoa: deleted,
        },
        truth: {
          source: 'civil-status',
          table: 'cong_dan',
          sourceRecordId: String(id),
          entityType: 'person',
          entityId: p.id,
          noise: duplicateOf === undefined ? [...noiser.applied] : ['DUPLICATE', ...noiser.applied],
          ...(duplicateOf === undefined ? {} : { duplicateOf }),
          ...(deleted ? { deleted } : {}),
        },
      });
    };
    const id = nextId();
    write(id);
    personRows.set(p.id, id);
    noiser.reset();
    if (noiser.duplicate()) write(nextId(), String(id));
    return id;
  };

  const event = (
    table: string,
    entityType: 'person' | 'marriage',
    entityId: string,
    registeredOn: string,
    fields: (id: number) => Record<string, unknown>,
    related: Array<{ role: string; type: 'person'; id: string }>,
  ) => {
    const id = nextId();
    const createdAt = officeTime(rng, registeredOn);
    const row = fields(id);
    noiser.reset();
    const cancelled = noiser.duplicate();
    out.push({
      table,
      id: String(id),
      row: {
        id,
        so_dang_ky: `${(id % 97) + 1}/${registeredOn.slice(0, 4)}`,
        quyen_so: `01/${registeredOn.slice(0, 4)}`,
        ngay_dang_ky: registeredOn,
        ...row,
        trang_thai: CIVIL_STATUS_CODES.REGISTERED,
        ngay_tao: createdAt,
        updated_at: laterEdit(rng, createdAt, options.asOf, 0.1),
        da_xoa: false,
      },
      truth: {
        source: 'civil-status',
        table,
        sourceRecordId: String(id),
        entityType,
        entityId,
        related,
        noise: [],
      },
    });
    // A registration entered twice: the copy is later cancelled and soft-deleted, as clerks do.
    if (cancelled) {
      const copy = nextId();
      out.push({
        table,
        id: String(copy),
        row: {
          ...out[out.length - 1]?.row,
          id: copy,
          trang_thai: CIVIL_STATUS_CODES.CANCELLED,
          da_xoa: true,
          updated_at: laterEdit(rng, createdAt, options.asOf, 1),
        },
        truth: {
          source: 'civil-status',
          table,
          sourceRecordId: String(copy),
          entityType,
          entityId,
          related,
          noise: ['DUPLICATE'],
          duplicateOf: String(id),
          deleted: true,
        },
      });
    }
  };

  for (const child of h.people) {
    const born = isoToDay(child.dateOfBirth);
    if (born < DIGITISED_FROM) continue;
    const registeredOn = child.dateOfBirth; // registered within weeks; the day of birth is close enough
    const father = byId.get(child.fatherId ?? '');
    const mother = byId.get(child.motherId ?? '');
    const childId = personRow(child, registeredOn);
    const fatherId = father ? personRow(father, registeredOn) : null;
    const motherId = mother ? personRow(mother, registeredOn) : null;
    event(
      'khai_sinh',
      'person',
      child.id,
      registeredOn,
      () => ({
        id_tre: childId,
        ho_ten_tre: child.fullName,
        ngay_sinh_tre: child.dateOfBirth.split('-').reverse().join('/'),
        gioi_tinh_tre: child.sex === 'MALE' ? 1 : 2,
        noi_sinh: `Trạm Y tế ${child.address.oldCommuneName}`,
        id_cha: fatherId,
        ho_ten_cha: father?.fullName ?? null,
        id_me: motherId,
        ho_ten_me: mother?.fullName ?? null,
        ma_xa_dang_ky:
          born < isoToDay('2025-07-01') ? child.address.oldCommuneCode : child.address.communeCode,
      }),
      [
        ...(father ? [{ role: 'father', type: 'person' as const, id: father.id }] : []),
        ...(mother ? [{ role: 'mother', type: 'person' as const, id: mother.id }] : []),
      ],
    );
  }
  for (const m of h.marriages) {
    if (isoToDay(m.date) < DIGITISED_FROM) continue;
    const husband = byId.get(m.husbandId);
    const wife = byId.get(m.wifeId);
    if (!husband || !wife) continue;
    const husbandId = personRow(husband, m.date);
    const wifeId = personRow(wife, m.date);
    event(
      'ket_hon',
      'marriage',
      m.id,
      m.date,
      () => ({
        id_chong: husbandId,
        ho_ten_chong: husband.fullName,
        id_vo: wifeId,
        ho_ten_vo: wife.fullName,
        ma_xa_dang_ky:
          isoToDay(m.date) < isoToDay('2025-07-01') ? husband.address.oldCommuneCode : m.communeCode,
      }),
      [
        { role: 'husband', type: 'person', id: husband.id },
        { role: 'wife', type: 'person', id: wife.id },
      ],
    );
  }
  for (const p of h.people) {
    if (p.deathDate === undefined) continue;
    const personId = personRow(p, p.deathDate);
    event(
      'khai_tu',
      'person',
      p.id,
      p.deathDate,
      () => ({
        id_nguoi_mat: personId,
        ho_ten_nguoi_mat: p.fullName,
        ngay_mat: p.deathDate?.split('-').reverse().join('/') ?? null,
        noi_mat: `${p.address.detail}, ${p.address.oldCommuneName}`,
        ma_xa_dang_ky: p.address.communeCode,
      }),
      [],
    );
  }
  return out;
}
