import type {
  Address,
  BusinessObserved,
  CitizenObserved,
  DossierObserved,
  PrecisionDate,
} from '@hub/schemas';

/** Deterministic clock for fixtures: 2025-09-01T00:00:00Z plus n minutes. */
export const at = (minutes: number): number => Date.UTC(2025, 8, 1) + minutes * 60_000;

export const day = (year: number, month: number, d: number): PrecisionDate => ({
  year,
  month,
  day: d,
  precision: 'DAY',
});
export const yearOnly = (year: number): PrecisionDate => ({
  year,
  month: null,
  day: null,
  precision: 'YEAR',
});

export const address = (commune: string): Address => ({
  provinceCode: '08',
  districtCode: null,
  communeCode: commune,
  validOn: null,
  currentCommuneCodes: [commune],
  detail: null,
  text: null,
});

let counter = 0;
const nextEventId = (prefix: string): string =>
  `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export function aCitizenObserved(
  o: Partial<CitizenObserved> & { system: string; recordId: string; minute?: number },
): CitizenObserved {
  const { system, recordId, minute = 0, ...rest } = o;
  return {
    eventId: nextEventId('c'),
    occurredAt: at(minute),
    source: {
      system,
      recordId,
      version: null,
      updatedAt: at(minute),
      connectorId: `${system}-connector`,
      agencyCode: null,
      raw: null,
    },
    operation: 'UPSERT',
    personalId: null,
    legacyIds: [],
    fullName: null,
    dateOfBirth: null,
    sex: null,
    ethnicity: null,
    nationality: 'VN',
    permanentAddress: null,
    currentAddress: null,
    fatherName: null,
    motherName: null,
    fatherPersonalId: null,
    motherPersonalId: null,
    spousePersonalId: null,
    civilEvents: [],
    phone: null,
    email: null,
    ...rest,
  };
}

export function aBusinessObserved(
  o: Partial<BusinessObserved> & { system: string; recordId: string; minute?: number },
): BusinessObserved {
  const { system, recordId, minute = 0, ...rest } = o;
  return {
    eventId: nextEventId('b'),
    occurredAt: at(minute),
    source: {
      system,
      recordId,
      version: null,
      updatedAt: at(minute),
      connectorId: `${system}-connector`,
      agencyCode: null,
      raw: null,
    },
    operation: 'UPSERT',
    enterpriseCode: null,
    kind: 'ENTERPRISE',
    name: null,
    foreignName: null,
    shortName: null,
    legalForm: null,
    status: 'ACTIVE',
    address: null,
    representativePersonalId: null,
    representativeName: null,
    parentEnterpriseCode: null,
    registeredOn: null,
    industryCodes: [],
    phone: null,
    email: null,
    ...rest,
  };
}

export function aDossierObserved(
  o: Partial<DossierObserved> & { system: string; recordId: string; dossierCode: string; minute?: number },
): DossierObserved {
  const { system, recordId, minute = 0, ...rest } = o;
  return {
    eventId: nextEventId('d'),
    occurredAt: at(minute),
    source: {
      system,
      recordId,
      version: null,
      updatedAt: at(minute),
      connectorId: `${system}-connector`,
      agencyCode: null,
      raw: null,
    },
    operation: 'UPSERT',
    procedureCode: '1.001234',
    procedureName: null,
    receivingAgencyCode: '000.00.01.H60',
    receivingAgencyName: null,
    applicant: { kind: 'UNKNOWN', personalId: null, enterpriseCode: null, name: null },
    channel: 'ONLINE',
    resultChannel: null,
    receivedAt: at(minute),
    dueAt: null,
    completedAt: null,
    status: 'RECEIVED',
    statusChangedAt: at(minute),
    statusNote: null,
    ...rest,
  };
}
