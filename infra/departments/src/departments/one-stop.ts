/**
 * One-stop-shop dossier system (Public Administration Service Centre): one JSON document per
 * dossier, as its REST API returns it, with its own status and channel codes and local-time
 * strings `dd/MM/yyyy HH:mm:ss`.
 */
import { shiftedDmyTime, shiftedIsoLocal } from '../calendar.js';
import type { Channel, Dossier, DossierStatus, Household, ResultChannel } from '../generator/model.js';
import { Noiser, type NoiseProfile } from '../noise/noise.js';
import { Rng } from '../random.js';
import type { RenderOptions } from './civil-status.js';
import { dmy, recordedAddress, recordedDocument } from './shared.js';
import type { SourceRecord } from './types.js';

export const ONE_STOP_NOISE: NoiseProfile = {
  NO_DIACRITICS: 0.05,
  NFD: 0.1,
  WRONG_DIACRITICS: 0.03,
  TYPO: 0.03,
  CMND_INSTEAD_OF_ID: 0.1,
  MISSING_FIELD: 0.05,
  OLD_ADDRESS: 0.2,
  DUPLICATE: 0.005,
};

/** This system's status codes (the national list is unverified, DOMAIN.md §2). */
export const DOSSIER_STATUS_CODE: Record<DossierStatus, string> = {
  RECEIVED: '1',
  PROCESSING: '2',
  SUPPLEMENT_REQUESTED: '3',
  SUPPLEMENTED: '4',
  RESULT_READY: '5',
  RESULT_RETURNED: '6',
  REJECTED: '7',
  WITHDRAWN: '8',
};
export const CHANNEL_CODE: Record<Channel, number> = { DIRECT: 1, ONLINE: 2, POSTAL: 3 };
/** `hinhThucTraKQ`: how the result was returned (this system's codes; null until it was). */
export const RESULT_CHANNEL_CODE: Record<ResultChannel, number> = { DIRECT: 1, ELECTRONIC: 2, POSTAL: 3 };

/** `dd/MM/yyyy HH:mm:ss` in Vietnam time from an ISO UTC timestamp. */
export function localDateTime(iso: string): string {
  return shiftedDmyTime(iso, 7 * 3600);
}

/** `ngayCapNhat` as the API exposes it: ISO with milliseconds and the +07:00 offset. */
export function localIso(iso: string): string {
  return `${shiftedIsoLocal(iso, 7 * 3600)}+07:00`;
}

export interface OneStopDossier extends Record<string, unknown> {
  id: number;
  maHoSo: string;
  ngayCapNhat: string;
  daXoa: boolean;
}

export function renderOneStop(h: Household, options: RenderOptions): SourceRecord[] {
  const rng = Rng.for(options.seed, 'noise:one-stop', h.index);
  const noiser = new Noiser(rng, options.profile ?? ONE_STOP_NOISE, options.stats);
  const people = new Map(h.people.map((p) => [p.id, p]));
  const businesses = new Map(h.businesses.map((b) => [b.id, b]));
  const out: SourceRecord[] = [];
  let seq = 0;
  const write = (d: Dossier, duplicateOf?: string) => {
    const business = d.applicant.type === 'business' ? businesses.get(d.applicant.id) : undefined;
    const person = people.get(business ? business.representativeId : d.applicant.id);
    if (!person) return undefined;
    noiser.reset();
    const id = h.index * 1000 + seq++;
    const doc = recordedDocument(noiser, person);
    const address = recordedAddress(noiser, person.address);
    const last = d.timeline[d.timeline.length - 1]?.at ?? d.receivedAt;
    const row: OneStopDossier = {
      id,
      maHoSo: duplicateOf === undefined ? d.code : `${d.code}-BS`,
      maThuTuc: d.procedureCode,
      tenThuTuc: d.procedureName,
      maDonVi: d.agencyCode,
      kenhNop: CHANNEL_CODE[d.channel],
      nguoiNop: {
        hoTen: noiser.text(person.fullName),
        ngaySinh: noiser.date(person.dateOfBirth, dmy),
        soGiayTo: doc.number,
        diaChi: address.text,
        maXa: address.communeCode,
      },
      toChuc: business ? { maSoThue: business.code, tenToChuc: business.name } : null,
      ngayTiepNhan: localDateTime(d.receivedAt),
      ngayHenTra: localDateTime(d.dueAt),
      ngayKetThuc: d.completedAt === undefined ? null : localDateTime(d.completedAt),
      trangThai: DOSSIER_STATUS_CODE[d.status],
      soLanBoSung: d.supplements,
      hinhThucTraKQ: d.resultChannel === undefined ? null : RESULT_CHANNEL_CODE[d.resultChannel],
      quaTrinhXuLy: d.timeline.map((e) => ({
        trangThai: DOSSIER_STATUS_CODE[e.status],
        thoiGian: localDateTime(e.at),
      })),
      ngayCapNhat: localIso(last),
      daXoa: duplicateOf !== undefined,
    };
    const related = [{ role: 'applicant', type: d.applicant.type, id: d.applicant.id }];
    out.push({
      table: 'dossiers',
      id: String(id),
      row,
      truth: {
        source: 'one-stop',
        table: 'dossiers',
        sourceRecordId: String(id),
        entityType: 'dossier',
        entityId: d.id,
        related,
        noise: duplicateOf === undefined ? [...noiser.applied] : ['DUPLICATE', ...noiser.applied],
        ...(duplicateOf === undefined ? {} : { duplicateOf, deleted: true }),
      },
    });
    return String(id);
  };
  for (const d of h.dossiers) {
    const first = write(d);
    noiser.reset();
    // A dossier keyed in twice at the desk: the copy is withdrawn and marked deleted.
    if (first !== undefined && noiser.duplicate()) write(d, first);
  }
  return out;
}
