import type { ErrorDetail } from '@hub/errors';
import type { DossierObserved, DossierStatus, StatusChange } from '@hub/schemas';
import type { EntityKind } from './entity-kind.js';
import type { AttributeSpec } from './survivorship.js';
import type { LinkSpec } from './types.js';

const CLOSED: ReadonlySet<DossierStatus> = new Set(['RESULT_RETURNED', 'REJECTED', 'WITHDRAWN', 'STOPPED']);

export function dossierCode(raw: string): string {
  return raw.trim().toUpperCase();
}

const processing = (
  name: string,
  extract: (o: DossierObserved) => unknown,
): AttributeSpec<DossierObserved> => ({ name, group: 'dossier', extract });

/** The status of a dossier: the latest entry of its timeline (ties: the later stage of the lifecycle). */
export function currentStatus(timeline: readonly StatusChange[]): DossierStatus {
  return timeline.length ? (timeline[timeline.length - 1] as StatusChange).status : 'UNKNOWN';
}

const ORDER: readonly DossierStatus[] = [
  'UNKNOWN',
  'RECEIVED',
  'SUPPLEMENT_REQUESTED',
  'PROCESSING',
  'OVERDUE',
  'REJECTED',
  'WITHDRAWN',
  'STOPPED',
  'RESULT_RETURNED',
];

export function sortTimeline(entries: readonly StatusChange[]): StatusChange[] {
  const seen = new Set<string>();
  return [...entries]
    .sort((a, b) => a.at - b.at || ORDER.indexOf(a.status) - ORDER.indexOf(b.status))
    .filter((e) => {
      const k = `${e.status}@${e.at}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** On time: the result came back on or before the due date. Null while open or without a due date. */
export function onTime(
  g: { dueAt: number | null; completedAt: number | null },
  status: DossierStatus,
): boolean | null {
  if (g.dueAt === null || g.completedAt === null || status !== 'RESULT_RETURNED') return null;
  return g.completedAt <= g.dueAt;
}

export type DeadlineState =
  'OPEN_IN_TIME' | 'OPEN_OVERDUE' | 'DONE_ON_TIME' | 'DONE_LATE' | 'CLOSED' | 'NO_DUE_DATE';

/** Derived at read time against `now` (never stored: the golden record must not depend on the clock). */
export function deadlineState(
  g: { dueAt: number | null; completedAt: number | null; status: DossierStatus },
  now: number,
): DeadlineState {
  if (g.dueAt === null) return 'NO_DUE_DATE';
  if (g.status === 'RESULT_RETURNED')
    return g.completedAt !== null && g.completedAt <= g.dueAt ? 'DONE_ON_TIME' : 'DONE_LATE';
  if (CLOSED.has(g.status)) return 'CLOSED';
  return now > g.dueAt ? 'OPEN_OVERDUE' : 'OPEN_IN_TIME';
}

export const dossierKind: EntityKind<DossierObserved> = {
  type: 'dossier',
  validate(o) {
    const problems: ErrorDetail[] = [];
    if (o.dossierCode.trim() === '')
      problems.push({
        field: '/dossierCode',
        problem: 'is empty',
        hint: 'send the dossier code (mã hồ sơ) from the receipt',
      });
    return problems;
  },
  identifiers: (o) => [{ scheme: 'DOSSIER', value: dossierCode(o.dossierCode) }],
  primaryScheme: 'DOSSIER',
  primary: (o) => ({ scheme: 'DOSSIER', value: dossierCode(o.dossierCode) }),
  blockingKeys: () => [],
  attributes: [
    processing('procedureCode', (o) => o.procedureCode),
    processing('receivingAgencyCode', (o) => o.receivingAgencyCode),
    processing('applicant', (o) =>
      o.applicant.kind === 'UNKNOWN' && !o.applicant.personalId && !o.applicant.enterpriseCode
        ? null
        : o.applicant,
    ),
    processing('channel', (o) => (o.channel === 'UNKNOWN' ? null : o.channel)),
    processing('resultChannel', (o) =>
      o.resultChannel === null || o.resultChannel === 'UNKNOWN' ? null : o.resultChannel,
    ),
    processing('receivedAt', (o) => o.receivedAt),
    processing('dueAt', (o) => o.dueAt),
    processing('completedAt', (o) => o.completedAt),
  ],
  links(g) {
    const a = g.applicant as DossierObserved['applicant'] | null;
    const links: LinkSpec[] = [];
    if (a?.kind === 'CITIZEN' && a.personalId)
      links.push({
        relation: 'APPLICANT',
        targetType: 'citizen',
        target: { scheme: 'PID', value: a.personalId },
      });
    if (a?.kind === 'BUSINESS' && a.enterpriseCode)
      links.push({
        relation: 'APPLICANT',
        targetType: 'business',
        target: { scheme: 'ENT', value: a.enterpriseCode },
      });
    return links;
  },
  golden(values, ctx) {
    const timeline = sortTimeline(ctx.timeline);
    const status = currentStatus(timeline);
    const dueAt = (values.dueAt as number | null) ?? null;
    const completedAt = (values.completedAt as number | null) ?? null;
    const applicant = values.applicant as DossierObserved['applicant'] | null;
    const code = ctx.identifiers.find((i) => i.scheme === 'DOSSIER')?.value ?? '';
    return {
      dossierCode: code,
      procedureCode: values.procedureCode ?? null,
      receivingAgencyCode: values.receivingAgencyCode ?? null,
      applicantMasterId: ctx.links.get('APPLICANT') ?? null,
      applicantKind: applicant?.kind ?? 'UNKNOWN',
      channel: values.channel ?? null,
      resultChannel: values.resultChannel ?? null,
      receivedAt: values.receivedAt ?? null,
      dueAt,
      completedAt,
      status,
      timeline,
      onTime: onTime({ dueAt, completedAt }, status),
      sources: ctx.sources,
      applicant: applicant ?? null,
    };
  },
};
