import { foldKey } from '@hub/vn';
import type { Address, BusinessGolden, CitizenGolden, DossierGolden } from '@hub/schemas';
import { businessAliasKey, dossierAliasKey, personAliasKey } from './identifiers.js';
import type { Dataset } from './scopes.js';

export type GoldenValue = CitizenGolden | BusinessGolden | DossierGolden;

/** One message of a master topic: a golden record, or a tombstone (value null). */
export interface MasterChange {
  readonly dataset: Dataset;
  readonly masterId: string;
  /** The record's version; for a tombstone, the version it ends (header), when the producer says. */
  readonly version: number | null;
  readonly value: GoldenValue | null;
}

export type RecordState = 'LIVE' | 'DELETED' | 'MERGED';

export interface StoredState {
  readonly version: number;
  readonly state: RecordState;
  readonly mergedInto: string | null;
}

export type Decision =
  | { readonly kind: 'apply' }
  | { readonly kind: 'ignore'; readonly reason: 'duplicate' | 'stale' | 'unknown-record' | 'already-gone' };

/**
 * Idempotence by (masterId, version): a version at or below the stored one is a redelivery or
 * arrives out of order and is ignored. A tombstone ends a live record (or upgrades a deletion to a
 * merge once the survivor is known); a tombstone for a record never seen changes nothing.
 */
export function decide(existing: StoredState | undefined, change: MasterChange): Decision {
  if (change.value !== null) {
    if (existing === undefined) return { kind: 'apply' };
    const v = change.value.version;
    if (v === existing.version) return { kind: 'ignore', reason: 'duplicate' };
    if (v < existing.version) return { kind: 'ignore', reason: 'stale' };
    return { kind: 'apply' };
  }
  if (existing === undefined) return { kind: 'ignore', reason: 'unknown-record' };
  if (change.version !== null && change.version < existing.version) return { kind: 'ignore', reason: 'stale' };
  if (existing.state === 'LIVE' || (existing.state === 'DELETED' && existing.mergedInto === null)) return { kind: 'apply' };
  return { kind: 'ignore', reason: 'already-gone' };
}

function communes(...addresses: (Address | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const a of addresses) {
    if (!a) continue;
    if (a.communeCode) out.add(a.communeCode);
    for (const c of a.currentCommuneCodes) out.add(c);
  }
  return [...out];
}

function nameTokens(name: string | null): string[] {
  if (!name) return [];
  const key = foldKey(name);
  return key === '' ? [] : [...new Set(key.split(' '))];
}

/** Search columns of a citizen row. */
export function citizenColumns(v: CitizenGolden): Record<string, unknown> {
  return {
    personal_id: v.personalId,
    name_tokens: nameTokens(v.fullName),
    birth_year: v.dateOfBirth?.year ?? null,
    birth_month: v.dateOfBirth?.month ?? null,
    birth_day: v.dateOfBirth?.day ?? null,
    commune_codes: communes(v.permanentAddress, v.currentAddress),
    merged_from: v.mergedFrom,
  };
}

export function businessColumns(v: BusinessGolden): Record<string, unknown> {
  return {
    enterprise_code: v.enterpriseCode,
    kind: v.kind,
    name_tokens: nameTokens(v.name),
    status: v.status,
    commune_codes: communes(v.address),
    industry_codes: v.industryCodes,
    representative_master_id: v.representativeMasterId,
    merged_from: [],
  };
}

export function dossierColumns(v: DossierGolden): Record<string, unknown> {
  return {
    dossier_code: v.dossierCode.trim().toUpperCase(),
    procedure_code: v.procedureCode,
    agency_code: v.receivingAgencyCode,
    applicant_master_id: v.applicantMasterId,
    status: v.status,
    received_at: v.receivedAt === null ? null : new Date(v.receivedAt),
    merged_from: [],
  };
}

export function columnsOf(dataset: Dataset, v: GoldenValue): Record<string, unknown> {
  switch (dataset) {
    case 'citizen':
      return citizenColumns(v as CitizenGolden);
    case 'business':
      return businessColumns(v as BusinessGolden);
    case 'dossier':
      return dossierColumns(v as DossierGolden);
  }
}

/** Identifiers a record can be found by (alias table rows). */
export function aliasKeysOf(dataset: Dataset, v: GoldenValue): string[] {
  const keys = new Set<string>();
  switch (dataset) {
    case 'citizen': {
      const c = v as CitizenGolden;
      if (c.personalId) keys.add(personAliasKey(c.personalId));
      for (const a of c.aliases) keys.add(personAliasKey(a));
      break;
    }
    case 'business': {
      const b = v as BusinessGolden;
      if (b.enterpriseCode) keys.add(businessAliasKey(b.enterpriseCode));
      break;
    }
    case 'dossier':
      keys.add(dossierAliasKey((v as DossierGolden).dossierCode));
      break;
  }
  return [...keys];
}

const isoDate = (days: number | null | undefined): string | null => (days === null || days === undefined ? null : new Date(days * 86_400_000).toISOString().slice(0, 10));
const isoTime = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function presentAddress(a: Address | null): Record<string, unknown> | null {
  return a === null ? null : { ...a, validOn: isoDate(a.validOn) };
}

/** The API form of a stored golden record: ISO dates and times instead of Avro numbers. */
export function present(dataset: Dataset, v: GoldenValue, updatedAt: Date): Record<string, unknown> {
  const common = { occurredAt: isoTime(v.occurredAt), updatedAt: updatedAt.toISOString() };
  switch (dataset) {
    case 'citizen': {
      const { eventId: _e, ...c } = v as CitizenGolden;
      return { ...c, ...common, permanentAddress: presentAddress(c.permanentAddress), currentAddress: presentAddress(c.currentAddress) };
    }
    case 'business': {
      const { eventId: _e, ...b } = v as BusinessGolden;
      return { ...b, ...common, address: presentAddress(b.address), registeredOn: isoDate(b.registeredOn) };
    }
    case 'dossier': {
      const { eventId: _e, ...d } = v as DossierGolden;
      return {
        ...d,
        ...common,
        receivedAt: isoTime(d.receivedAt),
        dueAt: isoTime(d.dueAt),
        completedAt: isoTime(d.completedAt),
        timeline: d.timeline.map((t) => ({ status: t.status, at: isoTime(t.at) })),
      };
    }
  }
}
