/**
 * Police residence system (cư trú): it pushes one JSON event per citizen change to an HTTP
 * endpoint. Authoritative for identity, so it is clean but for the odd NFD name, a missing field
 * and events sent twice (same payload, new event id).
 */
import type { Household, Person } from '../generator/model.js';
import { Noiser, type NoiseProfile } from '../noise/noise.js';
import { Rng } from '../random.js';
import type { RenderOptions } from './civil-status.js';
import { ETHNICITY_CODE, officeTime } from './shared.js';
import type { SourceRecord } from './types.js';

export const POLICE_NOISE: NoiseProfile = { NFD: 0.02, MISSING_FIELD: 0.01, DUPLICATE: 0.02 };

export type ResidenceEventType = 'DANG_KY_THUONG_TRU' | 'CAP_NHAT_THONG_TIN' | 'XOA_DANG_KY_THUONG_TRU';

const ymd = (y: string, m: string, d: string): string => `${y}${m}${d}`;

export function residenceEvent(
  p: Person,
  byId: ReadonlyMap<string, Person>,
  type: ResidenceEventType,
  eventId: string,
  at: string,
  noiser: Noiser,
): Record<string, unknown> {
  return {
    eventId,
    loaiSuKien: type,
    thoiDiem: at,
    congDan: {
      soDinhDanh: p.personalId,
      soCmnd: noiser.optional(p.cmnd ?? null),
      hoVaTen: noiser.text(p.fullName),
      ngaySinh: noiser.date(p.dateOfBirth, ymd),
      gioiTinh: p.sex === 'MALE' ? 1 : 2,
      danToc: ETHNICITY_CODE[p.ethnicity],
      quocTich: 'VN',
      soDinhDanhCha: byId.get(p.fatherId ?? '')?.personalId ?? null,
      soDinhDanhMe: byId.get(p.motherId ?? '')?.personalId ?? null,
      soDinhDanhVoChong: byId.get(p.spouseId ?? '')?.personalId ?? null,
      noiThuongTru: { maTinh: '08', maXa: p.address.communeCode, chiTiet: p.address.detail },
      ngayMat: p.deathDate === undefined ? null : p.deathDate.replaceAll('-', ''),
    },
  };
}

export function renderPoliceResidence(h: Household, options: RenderOptions): SourceRecord[] {
  const rng = Rng.for(options.seed, 'noise:police-residence', h.index);
  const noiser = new Noiser(rng, options.profile ?? POLICE_NOISE, options.stats);
  const byId = new Map(h.people.map((p) => [p.id, p]));
  const out: SourceRecord[] = [];
  let seq = 0;
  for (const p of h.people) {
    const emit = (duplicateOf?: string) => {
      noiser.reset();
      const eventId = `cutru-${options.seed}-${h.index}-${seq++}`;
      const type: ResidenceEventType =
        p.deathDate === undefined ? 'DANG_KY_THUONG_TRU' : 'XOA_DANG_KY_THUONG_TRU';
      const at = officeTime(rng, p.deathDate ?? '2025-07-01');
      out.push({
        table: 'events',
        id: eventId,
        row: residenceEvent(p, byId, type, eventId, at, noiser),
        truth: {
          source: 'police-residence',
          table: 'events',
          sourceRecordId: eventId,
          entityType: 'person',
          entityId: p.id,
          noise: duplicateOf === undefined ? [...noiser.applied] : ['DUPLICATE', ...noiser.applied],
          ...(duplicateOf === undefined ? {} : { duplicateOf }),
          ...(type === 'XOA_DANG_KY_THUONG_TRU' ? { deleted: true } : {}),
        },
      });
      return eventId;
    };
    const first = emit();
    noiser.reset();
    if (noiser.duplicate()) emit(first);
  }
  return out;
}
