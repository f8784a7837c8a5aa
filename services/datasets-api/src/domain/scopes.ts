import { ForbiddenError, ValidationError } from '@hub/errors';

/**
 * The access vocabulary: every dataset splits its attributes into field groups, each unlocked by
 * one scope. Base fields (ids, version, change kind, timestamps) come with any scope of the dataset.
 * `personal` says whether a group holds personal data (Decree 13/2023): reads that return such a
 * group are written to the access log. `HOUSEHOLD` groups are personal only for household businesses,
 * whose code is the owner's personal id (Circular 86/2024) and whose name is usually the owner's.
 */
export type Dataset = 'citizen' | 'business' | 'dossier';
export const DATASETS: readonly Dataset[] = ['citizen', 'business', 'dossier'];

export type Personal = 'ALWAYS' | 'HOUSEHOLD' | 'NEVER';

export interface FieldGroup {
  readonly name: string;
  readonly scope: string;
  readonly personal: Personal;
  readonly description: string;
  readonly fields: readonly string[];
}

export interface DatasetAccess {
  readonly base: readonly string[];
  readonly groups: readonly FieldGroup[];
}

export const STEWARD_SCOPE = 'steward';

export const ACCESS: Readonly<Record<Dataset, DatasetAccess>> = {
  citizen: {
    base: ['masterId', 'version', 'change', 'mergedFrom', 'occurredAt', 'updatedAt'],
    groups: [
      {
        name: 'identity',
        scope: 'citizen.identity',
        personal: 'ALWAYS',
        description: 'Identification: personal number and legacy CMND aliases, name, date of birth, sex, ethnicity, nationality, source records.',
        fields: ['personalId', 'aliases', 'fullName', 'dateOfBirth', 'sex', 'ethnicity', 'nationality', 'sources'],
      },
      {
        name: 'contact',
        scope: 'citizen.contact',
        personal: 'ALWAYS',
        description: 'Contact details. The golden citizen schema carries none yet; the scope is reserved so grants need not change when it does.',
        fields: [],
      },
      { name: 'address', scope: 'citizen.address', personal: 'ALWAYS', description: 'Permanent and current residence.', fields: ['permanentAddress', 'currentAddress'] },
      { name: 'civil-status', scope: 'citizen.civil-status', personal: 'ALWAYS', description: 'Civil-status facts (death registered).', fields: ['deceased'] },
    ],
  },
  business: {
    base: ['masterId', 'version', 'change', 'kind', 'occurredAt', 'updatedAt'],
    groups: [
      {
        name: 'registration',
        scope: 'business.registration',
        personal: 'HOUSEHOLD',
        description: 'Registration: enterprise code, names, legal form, status, registration date, industries, parent unit, source records.',
        fields: ['enterpriseCode', 'name', 'legalForm', 'status', 'registeredOn', 'industryCodes', 'parentMasterId', 'sources'],
      },
      { name: 'address', scope: 'business.address', personal: 'HOUSEHOLD', description: 'Head-office address.', fields: ['address'] },
      { name: 'representative', scope: 'business.representative', personal: 'ALWAYS', description: 'Link to the legal representative (a citizen).', fields: ['representativeMasterId'] },
    ],
  },
  dossier: {
    base: ['masterId', 'version', 'change', 'dossierCode', 'occurredAt', 'updatedAt'],
    groups: [
      {
        name: 'processing',
        scope: 'dossier.processing',
        personal: 'NEVER',
        description: 'Procedure, receiving agency, channel, how the result was returned, received/due/completed times, status timeline, on-time flag, source records.',
        fields: ['procedureCode', 'receivingAgencyCode', 'channel', 'resultChannel', 'receivedAt', 'dueAt', 'completedAt', 'status', 'timeline', 'onTime', 'sources'],
      },
      { name: 'applicant', scope: 'dossier.applicant', personal: 'ALWAYS', description: 'Link to the applicant (a citizen or a business).', fields: ['applicantMasterId', 'applicantKind'] },
    ],
  },
};

export const ALL_SCOPES: readonly string[] = [...DATASETS.flatMap((d) => ACCESS[d].groups.map((g) => g.scope)), STEWARD_SCOPE];

/** Validates scope names (CLI, registration); throws listing the unknown ones. */
export function parseScopes(input: readonly string[]): string[] {
  const scopes = [...new Set(input.map((s) => s.trim()).filter((s) => s !== ''))];
  const unknown = scopes.filter((s) => !ALL_SCOPES.includes(s));
  if (unknown.length > 0) {
    throw new ValidationError(`unknown scope(s): ${unknown.join(', ')}`, {
      details: unknown.map((s) => ({ field: 'scopes', problem: `unknown scope ${s}`, hint: `known scopes: ${ALL_SCOPES.join(', ')}` })),
    });
  }
  if (scopes.length === 0) throw new ValidationError('an application needs at least one scope', { details: [{ field: 'scopes', problem: 'empty', hint: `choose from ${ALL_SCOPES.join(', ')}` }] });
  return scopes.sort();
}

export function group(dataset: Dataset, name: string): FieldGroup {
  const g = ACCESS[dataset].groups.find((x) => x.name === name);
  if (!g) throw new Error(`no field group ${dataset}.${name}`);
  return g;
}

export function visibleGroups(scopes: ReadonlySet<string>, dataset: Dataset): FieldGroup[] {
  return ACCESS[dataset].groups.filter((g) => scopes.has(g.scope));
}

export function canRead(scopes: ReadonlySet<string>, dataset: Dataset): boolean {
  return visibleGroups(scopes, dataset).length > 0;
}

/** 403 unless the caller holds some scope of the dataset. */
export function requireDataset(scopes: ReadonlySet<string>, dataset: Dataset): void {
  if (!canRead(scopes, dataset)) {
    throw new ForbiddenError(`this application has no scope on the ${dataset} dataset (one of: ${ACCESS[dataset].groups.map((g) => g.scope).join(', ')})`);
  }
}

/**
 * 403 when a request filters or looks up by an attribute the caller cannot see: otherwise a caller
 * could infer a hidden value from which records match (no inference by filtering on a hidden field).
 */
export function requireGroupsFor(scopes: ReadonlySet<string>, dataset: Dataset, used: Readonly<Record<string, string>>): void {
  requireDataset(scopes, dataset);
  const missing = Object.entries(used)
    .map(([param, groupName]) => ({ param, scope: group(dataset, groupName).scope }))
    .filter((u) => !scopes.has(u.scope));
  if (missing.length > 0) {
    throw new ForbiddenError(`filtering on ${missing.map((m) => m.param).join(', ')} needs scope ${[...new Set(missing.map((m) => m.scope))].join(', ')}`, {
      details: missing.map((m) => ({ field: m.param, problem: `needs scope ${m.scope}` })),
    });
  }
}

export function requireSteward(scopes: ReadonlySet<string>): void {
  if (!scopes.has(STEWARD_SCOPE)) throw new ForbiddenError('this endpoint needs the steward scope');
}

export interface Projection {
  /** The record with only the fields the caller may see. */
  readonly value: Record<string, unknown>;
  /** Non-base fields included. */
  readonly fields: readonly string[];
  /** Fields withheld for lack of scope. */
  readonly withheld: readonly string[];
  /** True when the included fields are personal data (the read must be access-logged). */
  readonly personal: boolean;
}

/**
 * What a read of `dataset` with these scopes returns, decided before any record is read: the
 * non-base fields included (in group order), and when such a read is personal data — `ALWAYS`,
 * only for a household business (`HOUSEHOLD`), or `NEVER`. The identifier lookups write their
 * access-log row in the same statement that reads the record from this (read-model.queries.ts).
 */
export interface ReadIntent {
  readonly fields: readonly string[];
  readonly personal: Personal;
}

export function readIntent(dataset: Dataset, scopes: ReadonlySet<string>): ReadIntent {
  const fields: string[] = [];
  let personal: Personal = 'NEVER';
  for (const g of ACCESS[dataset].groups) {
    if (!scopes.has(g.scope)) continue;
    fields.push(...g.fields);
    if (g.personal === 'ALWAYS' && g.fields.length > 0) personal = 'ALWAYS';
    else if (g.personal === 'HOUSEHOLD' && personal === 'NEVER') personal = 'HOUSEHOLD';
  }
  return { fields, personal };
}

/** Whether a record read with this intent is personal data (the SQL of the identifier lookups says the same). */
export function isPersonalRead(intent: ReadIntent, record: Readonly<Record<string, unknown>>): boolean {
  return intent.personal === 'ALWAYS' || (intent.personal === 'HOUSEHOLD' && record.kind === 'HOUSEHOLD_BUSINESS');
}

/** Keep the base fields and the groups the scopes unlock; report the rest as withheld. */
export function project(dataset: Dataset, record: Readonly<Record<string, unknown>>, scopes: ReadonlySet<string>): Projection {
  const access = ACCESS[dataset];
  const intent = readIntent(dataset, scopes);
  const value: Record<string, unknown> = {};
  for (const f of access.base) if (f in record) value[f] = record[f];
  for (const f of intent.fields) value[f] = record[f] ?? null;
  const withheld = access.groups.filter((g) => !scopes.has(g.scope)).flatMap((g) => g.fields);
  if (withheld.length > 0) value.withheldFields = withheld;
  return { value, fields: intent.fields, withheld, personal: isPersonalRead(intent, record) };
}
