import type { BusinessObserved, CitizenObserved, DossierObserved, SourceRef } from '@hub/schemas';

/** The three master datasets. */
export type EntityType = 'citizen' | 'business' | 'dossier';
export const ENTITY_TYPES: readonly EntityType[] = ['citizen', 'business', 'dossier'];

export type Observation = CitizenObserved | BusinessObserved | DossierObserved;

export interface ObservationOf {
  citizen: CitizenObserved;
  business: BusinessObserved;
  dossier: DossierObserved;
}

/** A strong identifier: proves identity on its own (`PID:008185000123`, `ENT:0100233488`, …). */
export interface Identifier {
  readonly scheme: string;
  readonly value: string;
}

export const identifierKey = (id: Identifier): string => `${id.scheme}:${id.value}`;

/**
 * The advisory-lock key of a strong identifier. Whoever adds it to a master (an observation holding
 * it), moves it (a merge) or links a golden record to it (a business's representative, a dossier's
 * applicant) holds this lock while reading and writing, so none of them misses another's change.
 */
export const identifierLock = (type: EntityType, id: Identifier): string => `id:${type}:${identifierKey(id)}`;

/** The latest statement of one source record, as stored for survivorship and re-resolution. */
export interface SourceRecord<O = Observation> {
  readonly system: string;
  readonly recordId: string;
  readonly masterId: string;
  readonly eventId: string;
  /** When the source made the statement: `source.updatedAt` when given, else `occurredAt`. */
  readonly observedAt: number;
  readonly deleted: boolean;
  readonly observation: O;
}

export const sourceKey = (s: { system: string; recordId: string }): string =>
  `${s.system}\u0000${s.recordId}`;

export type MasterStatus = 'ACTIVE' | 'MERGED' | 'DELETED';

export interface MasterRow {
  readonly masterId: string;
  readonly entityType: EntityType;
  readonly status: MasterStatus;
  readonly version: number;
  readonly mergedInto: string | null;
  readonly mergedFrom: readonly string[];
  /** Golden attributes (the Avro golden record without eventId/occurredAt/masterId/version). */
  readonly golden: Record<string, unknown> | null;
  readonly seq: number;
  /** Fingerprint of the current lineage (to skip rewriting it when nothing changed). */
  readonly lineageHash: string | null;
}

/** Which rule chose a golden value (lineage). */
export type SurvivorshipRule =
  'ONLY_SOURCE' | 'AUTHORITY' | 'RECENCY' | 'COMPLETENESS' | 'TIE_BREAK' | 'UNION' | 'STEWARD' | 'DERIVED';

export interface LineageEntry {
  readonly attribute: string;
  readonly value: unknown;
  readonly rule: SurvivorshipRule;
  /** The observation that supplied the value (absent for UNION / DERIVED). */
  readonly source: SourceRef | null;
  readonly eventId: string | null;
  readonly pinned: boolean;
}

export type ReviewKind = 'POSSIBLE_MATCH' | 'ATTRIBUTE_CONFLICT' | 'IDENTIFIER_CONFLICT';

export interface NewReviewTask {
  readonly entityType: EntityType;
  readonly kind: ReviewKind;
  readonly masterId: string;
  readonly otherMasterId: string | null;
  readonly attribute: string | null;
  /** Open tasks are unique on this key, so replays and repeated observations do not pile up. */
  readonly dedupeKey: string;
  readonly details: Record<string, unknown>;
}

/** A relation from one master record to another, kept by identifier until the target exists. */
export interface LinkSpec {
  readonly relation: 'REPRESENTATIVE' | 'HOUSEHOLD_OWNER' | 'PARENT_ENTERPRISE' | 'APPLICANT';
  readonly targetType: EntityType;
  readonly target: Identifier;
}
