/**
 * Dossiers (hồ sơ TTHC) for real-looking procedures: received on a working day, due a number of
 * working days later (weekends and `data/holidays-vn.csv` skipped), with supplement requests,
 * rejections, withdrawals, early/on-time/late results and channel online/direct/postal.
 */
import { formatDossierCode } from '@hub/vn';
import {
  addWorkingDays,
  dayToIso,
  isoTimestamp,
  isoToDay,
  nextWorkingDay,
  yearOf,
  type HolidayCalendar,
} from '../calendar.js';
import { Rng } from '../random.js';
import type {
  Business,
  Channel,
  Dossier,
  DossierEvent,
  DossierStatus,
  Marriage,
  Person,
  ResultChannel,
} from './model.js';
import { loadPlaces } from './places.js';

export interface Procedure {
  code: string;
  name: string;
  workingDays: number;
  level: 'PROVINCE' | 'COMMUNE';
}

/** Procedure codes look like the national catalogue's; they are illustrative (unverified). */
export const PROCEDURES = {
  BIRTH: { code: '1.001193', name: 'Đăng ký khai sinh', workingDays: 1, level: 'COMMUNE' },
  MARRIAGE: { code: '1.000894', name: 'Đăng ký kết hôn', workingDays: 3, level: 'COMMUNE' },
  DEATH: { code: '1.000656', name: 'Đăng ký khai tử', workingDays: 1, level: 'COMMUNE' },
  ENTERPRISE: { code: '2.001610', name: 'Đăng ký thành lập doanh nghiệp', workingDays: 3, level: 'PROVINCE' },
  HOUSEHOLD: { code: '2.000575', name: 'Đăng ký thành lập hộ kinh doanh', workingDays: 3, level: 'COMMUNE' },
  JUDICIAL_RECORD: {
    code: '2.000488',
    name: 'Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam',
    workingDays: 10,
    level: 'PROVINCE',
  },
  CERTIFIED_COPY: {
    code: '2.000815',
    name: 'Chứng thực bản sao từ bản chính',
    workingDays: 1,
    level: 'COMMUNE',
  },
  LAND_CERTIFICATE: {
    code: '1.004227',
    name: 'Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu',
    workingDays: 20,
    level: 'PROVINCE',
  },
  BUILDING_PERMIT: {
    code: '1.009974',
    name: 'Cấp giấy phép xây dựng nhà ở riêng lẻ',
    workingDays: 15,
    level: 'COMMUNE',
  },
  PERMANENT_RESIDENCE: { code: '1.004194', name: 'Đăng ký thường trú', workingDays: 7, level: 'COMMUNE' },
  SOCIAL_ALLOWANCE: {
    code: '1.001776',
    name: 'Thực hiện trợ cấp xã hội hàng tháng',
    workingDays: 10,
    level: 'COMMUNE',
  },
} as const satisfies Record<string, Procedure>;

const GENERAL: readonly Procedure[] = [
  PROCEDURES.JUDICIAL_RECORD,
  PROCEDURES.CERTIFIED_COPY,
  PROCEDURES.LAND_CERTIFICATE,
  PROCEDURES.BUILDING_PERMIT,
  PROCEDURES.PERMANENT_RESIDENCE,
  PROCEDURES.SOCIAL_ALLOWANCE,
];

export const PROVINCE_AGENCY = '000.00.01.H60';
export const WINDOW_START = isoToDay('2020-01-01');

let communeAgencies: Map<string, string> | undefined;

/** Commune centre agency codes, numbered in code order (the real numbering is unverified). */
export function agencyFor(procedure: Procedure, communeCode: string): string {
  if (procedure.level === 'PROVINCE') return PROVINCE_AGENCY;
  communeAgencies ??= new Map(
    [...loadPlaces().currentNames.keys()]
      .sort()
      .map((code, i) => [code, `${String(i + 1).padStart(3, '0')}.00.20.H60`]),
  );
  return communeAgencies.get(communeCode) ?? PROVINCE_AGENCY;
}

export interface DossierContext {
  seed: number;
  asOf: number;
  calendar: HolidayCalendar;
  /** Agency code → day → last sequence used (bounded by agencies × days). */
  sequences: Map<string, Map<number, number>>;
  nextDossier: number;
}

function localIso(day: number, secondsLocal: number): string {
  return isoTimestamp(day, secondsLocal - 7 * 3600);
}

function channelFor(rng: Rng, day: number): Channel {
  const online = Math.min(0.6, 0.2 + (yearOf(day) - 2020) * 0.07);
  return rng.weighted<Channel>([
    ['ONLINE', online],
    ['POSTAL', 0.05],
    ['DIRECT', 0.95 - online],
  ]);
}

/**
 * How a returned result reached the applicant. Mostly the way the dossier came in, but not always:
 * some online applicants collect a paper certificate at the desk, some desk applicants ask for the
 * result by post or in their online account. Shares are plausible, not measured.
 */
const RESULT_CHANNEL_MIX: Record<Channel, ReadonlyArray<readonly [ResultChannel, number]>> = {
  ONLINE: [
    ['ELECTRONIC', 75],
    ['DIRECT', 18],
    ['POSTAL', 7],
  ],
  DIRECT: [
    ['DIRECT', 88],
    ['ELECTRONIC', 7],
    ['POSTAL', 5],
  ],
  POSTAL: [
    ['POSTAL', 82],
    ['DIRECT', 13],
    ['ELECTRONIC', 5],
  ],
};

function makeDossier(
  ctx: DossierContext,
  rng: Rng,
  resultRng: Rng,
  procedure: Procedure,
  applicant: Dossier['applicant'],
  communeCode: string,
  day: number,
  countOnly: boolean,
): Dossier | undefined {
  const received = nextWorkingDay(Math.max(day, WINDOW_START), ctx.calendar);
  if (received > ctx.asOf) return undefined;
  const agencyCode = agencyFor(procedure, communeCode);
  let days = ctx.sequences.get(agencyCode);
  if (days === undefined) {
    days = new Map();
    ctx.sequences.set(agencyCode, days);
  }
  const sequence = (days.get(received) ?? 0) + 1;
  days.set(received, sequence);
  const due = addWorkingDays(received, procedure.workingDays, ctx.calendar);
  const events: Array<{ status: DossierStatus; day: number; secs: number }> = [];
  const push = (status: DossierStatus, d: number) => {
    const prev = events[events.length - 1];
    const secs =
      prev?.day === d ? Math.min(17 * 3600, prev.secs + rng.int(60, 3600)) : rng.int(7.5 * 3600, 16.5 * 3600);
    events.push({ status, day: d, secs });
  };
  push('RECEIVED', received);
  push('PROCESSING', received);
  let supplements = 0;
  let cursor = received;
  if (rng.chance(0.12)) {
    supplements = 1;
    const asked = addWorkingDays(received, rng.int(0, Math.min(2, procedure.workingDays)), ctx.calendar);
    push('SUPPLEMENT_REQUESTED', asked);
    cursor = nextWorkingDay(asked + rng.int(1, 10), ctx.calendar);
    push('SUPPLEMENTED', cursor);
  }
  const outcome = rng.weighted<'DONE' | 'REJECTED' | 'WITHDRAWN'>([
    ['DONE', 95],
    ['REJECTED', 3],
    ['WITHDRAWN', 2],
  ]);
  let completedDay: number;
  if (outcome !== 'DONE') {
    completedDay = addWorkingDays(cursor, rng.int(0, procedure.workingDays), ctx.calendar);
    push(outcome, completedDay);
  } else {
    const late = rng.chance(supplements > 0 ? 0.25 : 0.08);
    const planned = late
      ? addWorkingDays(due, rng.int(1, 10), ctx.calendar)
      : addWorkingDays(received, rng.int(0, procedure.workingDays), ctx.calendar);
    completedDay = Math.max(cursor, planned);
    push('RESULT_READY', completedDay);
    push('RESULT_RETURNED', nextWorkingDay(completedDay + rng.int(0, 3), ctx.calendar));
  }
  // The last draw from `rng`; nothing after it draws from it, so it may come before the formatting.
  const channel = channelFor(rng, received);
  if (countOnly) {
    // The agency-day sequence, the dossier counter and the draws above are all a later household sees.
    ctx.nextDossier++;
    return undefined;
  }
  const kept = events.filter((e) => e.day <= ctx.asOf);
  const timeline: DossierEvent[] = kept.map((e) => ({ status: e.status, at: localIso(e.day, e.secs) }));
  const last = timeline[timeline.length - 1] ?? { status: 'RECEIVED' as const, at: '' };
  const finished = kept.find(
    (e) => e.status === 'RESULT_READY' || e.status === 'REJECTED' || e.status === 'WITHDRAWN',
  );
  const id = `D${String(ctx.nextDossier++).padStart(9, '0')}`;
  return {
    id,
    code: formatDossierCode(agencyCode, dayToIso(received), sequence),
    procedureCode: procedure.code,
    procedureName: procedure.name,
    agencyCode,
    applicant,
    channel,
    receivedAt: timeline[0]?.at ?? localIso(received, 8 * 3600),
    dueAt: localIso(due, 17 * 3600),
    completedAt: finished ? localIso(finished.day, finished.secs) : undefined,
    status: last.status,
    timeline,
    supplements: kept.some((e) => e.status === 'SUPPLEMENT_REQUESTED') ? supplements : 0,
    onTime: finished && finished.status === 'RESULT_READY' ? finished.day <= due : undefined,
    // Its own stream, drawn only for returned results: the dossier stream is not shifted.
    resultChannel:
      last.status === 'RESULT_RETURNED' ? resultRng.weighted(RESULT_CHANNEL_MIX[channel]) : undefined,
  };
}

export function makeDossiers(
  ctx: DossierContext,
  householdIndex: number,
  people: readonly Person[],
  marriages: readonly Marriage[],
  businesses: readonly Business[],
  countOnly = false,
): Dossier[] {
  const rng = Rng.for(ctx.seed, 'dossier', householdIndex);
  const resultRng = Rng.for(ctx.seed, 'result-channel', householdIndex);
  const out: Dossier[] = [];
  const add = (d: Dossier | undefined) => {
    if (d) out.push(d);
  };
  const byId = new Map(people.map((p) => [p.id, p]));
  for (const p of people) {
    const born = isoToDay(p.dateOfBirth);
    const declarant = byId.get(p.motherId ?? '') ?? byId.get(p.fatherId ?? '');
    if (born >= WINDOW_START && declarant)
      add(
        makeDossier(
          ctx,
          rng,
          resultRng,
          PROCEDURES.BIRTH,
          { type: 'person', id: declarant.id },
          p.address.communeCode,
          born + rng.int(1, 60),
          countOnly,
        ),
      );
    if (p.deathDate !== undefined && isoToDay(p.deathDate) >= WINDOW_START) {
      const relative = people.find(
        (o) => o.id !== p.id && o.deathDate === undefined && isoToDay(o.dateOfBirth) < ctx.asOf - 18 * 365,
      );
      if (relative)
        add(
          makeDossier(
            ctx,
            rng,
            resultRng,
            PROCEDURES.DEATH,
            { type: 'person', id: relative.id },
            p.address.communeCode,
            isoToDay(p.deathDate) + rng.int(1, 15),
            countOnly,
          ),
        );
    }
    const adultFrom = Math.max(born + 18 * 365, WINDOW_START);
    const until = Math.min(ctx.asOf, p.deathDate === undefined ? ctx.asOf : isoToDay(p.deathDate));
    if (adultFrom < until && rng.chance(0.35)) {
      const n = rng.int(1, 2);
      for (let i = 0; i < n; i++)
        add(
          makeDossier(
            ctx,
            rng,
            resultRng,
            rng.pick(GENERAL),
            { type: 'person', id: p.id },
            p.address.communeCode,
            rng.int(adultFrom, until),
            countOnly,
          ),
        );
    }
  }
  for (const m of marriages) {
    const day = isoToDay(m.date);
    if (day >= WINDOW_START)
      add(
        makeDossier(
          ctx,
          rng,
          resultRng,
          PROCEDURES.MARRIAGE,
          { type: 'person', id: m.husbandId },
          m.communeCode,
          day - rng.int(0, 3),
          countOnly,
        ),
      );
  }
  for (const b of businesses) {
    const day = isoToDay(b.registeredOn);
    if (b.kind === 'BRANCH' || day < WINDOW_START) continue;
    add(
      makeDossier(
        ctx,
        rng,
        resultRng,
        b.kind === 'HOUSEHOLD' ? PROCEDURES.HOUSEHOLD : PROCEDURES.ENTERPRISE,
        { type: 'business', id: b.id },
        b.address.communeCode,
        day - rng.int(3, 8),
        countOnly,
      ),
    );
  }
  return out;
}
