// Generated from the .avsc files by `npm run generate -w @hub/schemas`. Do not edit by hand.

/** The provincial golden record of a business. Topic master.business (compacted), key = master id. */
export interface BusinessGolden {
  eventId: string;
  occurredAt: number;
  masterId: string;
  version: number;
  /** What this version of the record is: created, updated, merged, split or deleted. */
  change: ChangeKind;
  enterpriseCode: null | string;
  kind: BusinessKind;
  name: null | string;
  legalForm: null | string;
  status: null | BusinessStatus;
  address: null | Address;
  /** Master id of the legal representative in master.citizen. */
  representativeMasterId: null | string;
  parentMasterId: null | string;
  registeredOn: null | number;
  industryCodes: Array<string>;
  sources: Array<SourceRef>;
}

/** BusinessGolden as a producer may write it: fields with a default are optional. */
export interface BusinessGoldenInput {
  eventId: string;
  occurredAt: number;
  masterId: string;
  version: number;
  change?: ChangeKind;
  enterpriseCode?: null | string;
  kind?: BusinessKind;
  name?: null | string;
  legalForm?: null | string;
  status?: null | BusinessStatus;
  address?: null | AddressInput;
  representativeMasterId?: null | string;
  parentMasterId?: null | string;
  registeredOn?: null | number;
  industryCodes?: Array<string>;
  sources?: Array<SourceRefInput>;
}

export type BusinessKind = 'ENTERPRISE' | 'BRANCH' | 'REPRESENTATIVE_OFFICE' | 'HOUSEHOLD_BUSINESS' | 'COOPERATIVE' | 'OTHER';
export const BusinessKindValues = ['ENTERPRISE', 'BRANCH', 'REPRESENTATIVE_OFFICE', 'HOUSEHOLD_BUSINESS', 'COOPERATIVE', 'OTHER'] as const;

/** Source S said this about a business at time T. Topic obs.business, key = '<source system>:<source record id>'. */
export interface BusinessObserved {
  eventId: string;
  occurredAt: number;
  source: SourceMetadata;
  operation: Operation;
  /** 10-digit enterprise/tax code, with '-NNN' for a branch; for a household business since 1/7/2025, the owner's 12-digit personal number. */
  enterpriseCode: null | string;
  kind: BusinessKind;
  name: null | string;
  foreignName: null | string;
  shortName: null | string;
  /** e.g. 'Công ty TNHH một thành viên'. */
  legalForm: null | string;
  status: null | BusinessStatus;
  address: null | Address;
  /** Legal representative (or household owner): a link to a citizen. */
  representativePersonalId: null | string;
  representativeName: null | string;
  /** For a branch: the 10-digit code of its enterprise. */
  parentEnterpriseCode: null | string;
  registeredOn: null | number;
  /** VSIC industry codes, main first. */
  industryCodes: Array<string>;
  phone: null | string;
  email: null | string;
}

/** BusinessObserved as a producer may write it: fields with a default are optional. */
export interface BusinessObservedInput {
  eventId: string;
  occurredAt: number;
  source: SourceMetadataInput;
  operation?: Operation;
  enterpriseCode?: null | string;
  kind?: BusinessKind;
  name?: null | string;
  foreignName?: null | string;
  shortName?: null | string;
  legalForm?: null | string;
  status?: null | BusinessStatus;
  address?: null | AddressInput;
  representativePersonalId?: null | string;
  representativeName?: null | string;
  parentEnterpriseCode?: null | string;
  registeredOn?: null | number;
  industryCodes?: Array<string>;
  phone?: null | string;
  email?: null | string;
}

export type BusinessStatus = 'ACTIVE' | 'SUSPENDED' | 'DISSOLVING' | 'DISSOLVED' | 'BANKRUPT' | 'REVOKED' | 'UNKNOWN';
export const BusinessStatusValues = ['ACTIVE', 'SUSPENDED', 'DISSOLVING', 'DISSOLVED', 'BANKRUPT', 'REVOKED', 'UNKNOWN'] as const;

/** The provincial golden record of a person. Topic master.citizen (compacted), key = master id; a tombstone when the record is deleted or merged away. */
export interface CitizenGolden {
  eventId: string;
  occurredAt: number;
  masterId: string;
  /** Increases by one with every change of this record. */
  version: number;
  /** What this version of the record is: created, updated, merged, split or deleted. */
  change: ChangeKind;
  personalId: null | string;
  /** Legacy identity numbers (CMND) of the same person. */
  aliases: Array<string>;
  fullName: null | string;
  dateOfBirth: null | PrecisionDate;
  sex: null | Sex;
  ethnicity: null | string;
  nationality: null | string;
  permanentAddress: null | Address;
  currentAddress: null | Address;
  deceased: boolean;
  sources: Array<SourceRef>;
  /** Master ids merged into this one. */
  mergedFrom: Array<string>;
}

/** CitizenGolden as a producer may write it: fields with a default are optional. */
export interface CitizenGoldenInput {
  eventId: string;
  occurredAt: number;
  masterId: string;
  version: number;
  change?: ChangeKind;
  personalId?: null | string;
  aliases?: Array<string>;
  fullName?: null | string;
  dateOfBirth?: null | PrecisionDateInput;
  sex?: null | Sex;
  ethnicity?: null | string;
  nationality?: null | string;
  permanentAddress?: null | AddressInput;
  currentAddress?: null | AddressInput;
  deceased?: boolean;
  sources?: Array<SourceRefInput>;
  mergedFrom?: Array<string>;
}

/** Source S said this about a person at time T. Topic obs.citizen, key = '<source system>:<source record id>'. */
export interface CitizenObserved {
  /** Unique per observation; consumers are idempotent on it. */
  eventId: string;
  /** When the source made the statement. */
  occurredAt: number;
  source: SourceMetadata;
  operation: Operation;
  /** 12-digit personal identification number (số định danh cá nhân / CCCD). */
  personalId: null | string;
  /** Older identity numbers (9- or 12-digit CMND); aliases of the personal number. */
  legacyIds: Array<LegacyIdentifier>;
  /** Full name, NFC, as the source displays it (family name first). */
  fullName: null | string;
  dateOfBirth: null | PrecisionDate;
  sex: null | Sex;
  /** Ethnic group name or code (dân tộc). */
  ethnicity: null | string;
  /** ISO 3166-1 alpha-2, e.g. VN. */
  nationality: null | string;
  /** Nơi thường trú. */
  permanentAddress: null | Address;
  /** Nơi ở hiện tại. */
  currentAddress: null | Address;
  fatherName: null | string;
  motherName: null | string;
  fatherPersonalId: null | string;
  motherPersonalId: null | string;
  spousePersonalId: null | string;
  civilEvents: Array<CivilStatusEvent>;
  phone: null | string;
  email: null | string;
}

/** CitizenObserved as a producer may write it: fields with a default are optional. */
export interface CitizenObservedInput {
  eventId: string;
  occurredAt: number;
  source: SourceMetadataInput;
  operation?: Operation;
  personalId?: null | string;
  legacyIds?: Array<LegacyIdentifierInput>;
  fullName?: null | string;
  dateOfBirth?: null | PrecisionDateInput;
  sex?: null | Sex;
  ethnicity?: null | string;
  nationality?: null | string;
  permanentAddress?: null | AddressInput;
  currentAddress?: null | AddressInput;
  fatherName?: null | string;
  motherName?: null | string;
  fatherPersonalId?: null | string;
  motherPersonalId?: null | string;
  spousePersonalId?: null | string;
  civilEvents?: Array<CivilStatusEventInput>;
  phone?: null | string;
  email?: null | string;
}

export type CivilEventKind = 'BIRTH' | 'MARRIAGE' | 'DIVORCE' | 'DEATH' | 'OTHER';
export const CivilEventKindValues = ['BIRTH', 'MARRIAGE', 'DIVORCE', 'DEATH', 'OTHER'] as const;

/** A civil-status fact registered by the justice system (hộ tịch). */
export interface CivilStatusEvent {
  kind: CivilEventKind;
  date: null | PrecisionDate;
  registrationNumber: null | string;
  agencyCode: null | string;
}

/** CivilStatusEvent as a producer may write it: fields with a default are optional. */
export interface CivilStatusEventInput {
  kind: CivilEventKind;
  date?: null | PrecisionDateInput;
  registrationNumber?: null | string;
  agencyCode?: null | string;
}

export type LegacyIdKind = 'CMND9' | 'CMND12' | 'PASSPORT' | 'OTHER';
export const LegacyIdKindValues = ['CMND9', 'CMND12', 'PASSPORT', 'OTHER'] as const;

export interface LegacyIdentifier {
  kind: LegacyIdKind;
  value: string;
}

/** LegacyIdentifier as a producer may write it: fields with a default are optional. */
export interface LegacyIdentifierInput {
  kind: LegacyIdKind;
  value: string;
}

/** An address as administrative-unit codes valid at a date, plus the current (post-1/7/2025) commune(s) and the text as entered. */
export interface Address {
  /** 2-digit province code valid at validOn. */
  provinceCode: null | string;
  /** 3-digit district code; districts were abolished on 1/7/2025. */
  districtCode: null | string;
  /** 5-digit commune code valid at validOn. */
  communeCode: null | string;
  /** Date the codes were valid at (days since 1970-01-01). */
  validOn: null | number;
  /** Commune code(s) after the 2025 reform; several when an old commune was split. */
  currentCommuneCodes: Array<string>;
  /** House number, street, hamlet (thôn/xóm/bản/tổ). */
  detail: null | string;
  /** The full address as the source wrote it (NFC). */
  text: null | string;
}

/** Address as a producer may write it: fields with a default are optional. */
export interface AddressInput {
  provinceCode?: null | string;
  districtCode?: null | string;
  communeCode?: null | string;
  validOn?: null | number;
  currentCommuneCodes?: Array<string>;
  detail?: null | string;
  text?: null | string;
}

/** Why a golden record changed: CREATED (first seen), UPDATED (attributes changed), MERGED (other masters merged into this one; see mergedFrom), SPLIT (a steward split this record), DELETED (the last source deleted it; the topic also gets a tombstone). */
export type ChangeKind = 'CREATED' | 'UPDATED' | 'MERGED' | 'SPLIT' | 'DELETED' | 'UNKNOWN';
export const ChangeKindValues = ['CREATED', 'UPDATED', 'MERGED', 'SPLIT', 'DELETED', 'UNKNOWN'] as const;

export type DatePrecision = 'DAY' | 'MONTH' | 'YEAR';
export const DatePrecisionValues = ['DAY', 'MONTH', 'YEAR'] as const;

/** UPSERT: the source holds this record as given. DELETE: the source removed it. */
export type Operation = 'UPSERT' | 'DELETE';
export const OperationValues = ['UPSERT', 'DELETE'] as const;

/** A calendar date that may be known only to the month or the year (e.g. 'năm 1985'). */
export interface PrecisionDate {
  year: number;
  month: null | number;
  day: null | number;
  precision: DatePrecision;
}

/** PrecisionDate as a producer may write it: fields with a default are optional. */
export interface PrecisionDateInput {
  year: number;
  month?: null | number;
  day?: null | number;
  precision: DatePrecision;
}

export type Sex = 'MALE' | 'FEMALE' | 'UNKNOWN';
export const SexValues = ['MALE', 'FEMALE', 'UNKNOWN'] as const;

/** Where an observation came from: the department system, its record id and version, and the connector that carried it. */
export interface SourceMetadata {
  /** Source system id, e.g. 'civil-status', 'business-registry', 'one-stop'. */
  system: string;
  /** The record's primary key in the source system. */
  recordId: string;
  /** The source's own version or revision of the record, if it has one. */
  version: null | string;
  /** When the source last changed the record (its update timestamp). */
  updatedAt: null | number;
  /** The connector instance that read or received the record. */
  connectorId: string;
  /** Electronic identifier of the agency that owns the source (QCVN 102:2016), when known. */
  agencyCode: null | string;
  /** The source record as received (JSON text), kept for lineage and for re-processing after a mapping fix. */
  raw: null | string;
}

/** SourceMetadata as a producer may write it: fields with a default are optional. */
export interface SourceMetadataInput {
  system: string;
  recordId: string;
  version?: null | string;
  updatedAt?: null | number;
  connectorId: string;
  agencyCode?: null | string;
  raw?: null | string;
}

/** A source record that contributed to a golden record. */
export interface SourceRef {
  system: string;
  recordId: string;
}

/** SourceRef as a producer may write it: fields with a default are optional. */
export interface SourceRefInput {
  system: string;
  recordId: string;
}

export type ConnectorState = 'STARTING' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNKNOWN';
export const ConnectorStateValues = ['STARTING', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNKNOWN'] as const;

/** Heartbeat of a connector instance. Topic hub.connector-status (compacted), key = connector id. */
export interface ConnectorStatus {
  eventId: string;
  occurredAt: number;
  connectorId: string;
  /** sql-poll, rest-poll, http-ingest, file-drop. */
  connectorKind: string;
  sourceSystem: string;
  /** Host/process that sent the heartbeat. */
  instanceId: string;
  state: ConnectorState;
  /** Position in the source (opaque to the hub, readable by an operator). */
  cursor: null | string;
  recordsRead: number;
  recordsPublished: number;
  recordsDeadLettered: number;
  recordsRejected: number;
  /** How many records the source says it holds (for reconciliation). */
  sourceRecordCount: null | number;
  /** Update time of the newest record seen (freshness). */
  newestSourceUpdateAt: null | number;
  lastError: null | string;
  lastErrorAt: null | number;
  /** Schema ids this connector writes with. */
  schemaIds: Array<number>;
}

/** ConnectorStatus as a producer may write it: fields with a default are optional. */
export interface ConnectorStatusInput {
  eventId: string;
  occurredAt: number;
  connectorId: string;
  connectorKind: string;
  sourceSystem: string;
  instanceId: string;
  state: ConnectorState;
  cursor?: null | string;
  recordsRead?: number;
  recordsPublished?: number;
  recordsDeadLettered?: number;
  recordsRejected?: number;
  sourceRecordCount?: null | number;
  newestSourceUpdateAt?: null | number;
  lastError?: null | string;
  lastErrorAt?: null | number;
  schemaIds?: Array<number>;
}

export interface Applicant {
  kind: ApplicantKind;
  personalId: null | string;
  enterpriseCode: null | string;
  name: null | string;
}

/** Applicant as a producer may write it: fields with a default are optional. */
export interface ApplicantInput {
  kind: ApplicantKind;
  personalId?: null | string;
  enterpriseCode?: null | string;
  name?: null | string;
}

export type ApplicantKind = 'CITIZEN' | 'BUSINESS' | 'UNKNOWN';
export const ApplicantKindValues = ['CITIZEN', 'BUSINESS', 'UNKNOWN'] as const;

export type Channel = 'ONLINE' | 'DIRECT' | 'POSTAL' | 'UNKNOWN';
export const ChannelValues = ['ONLINE', 'DIRECT', 'POSTAL', 'UNKNOWN'] as const;

/** The provincial record of a dossier with its status timeline. Topic master.dossier (compacted), key = master id. */
export interface DossierGolden {
  eventId: string;
  occurredAt: number;
  masterId: string;
  version: number;
  /** What this version of the record is: created, updated, merged, split or deleted. */
  change: ChangeKind;
  dossierCode: string;
  procedureCode: null | string;
  receivingAgencyCode: null | string;
  /** Master id in master.citizen or master.business (see applicantKind). */
  applicantMasterId: null | string;
  applicantKind: ApplicantKind;
  channel: null | Channel;
  /** How the result was returned (null until it was). */
  resultChannel: null | ResultChannel;
  receivedAt: null | number;
  dueAt: null | number;
  completedAt: null | number;
  status: DossierStatus;
  timeline: Array<StatusChange>;
  /** Result returned on or before the due date; null while open. */
  onTime: null | boolean;
  sources: Array<SourceRef>;
}

/** DossierGolden as a producer may write it: fields with a default are optional. */
export interface DossierGoldenInput {
  eventId: string;
  occurredAt: number;
  masterId: string;
  version: number;
  change?: ChangeKind;
  dossierCode: string;
  procedureCode?: null | string;
  receivingAgencyCode?: null | string;
  applicantMasterId?: null | string;
  applicantKind?: ApplicantKind;
  channel?: null | Channel;
  resultChannel?: null | ResultChannel;
  receivedAt?: null | number;
  dueAt?: null | number;
  completedAt?: null | number;
  status?: DossierStatus;
  timeline?: Array<StatusChangeInput>;
  onTime?: null | boolean;
  sources?: Array<SourceRefInput>;
}

/** Source S said this about an administrative-procedure dossier at time T. Topic obs.dossier, key = '<source system>:<source record id>'. */
export interface DossierObserved {
  eventId: string;
  occurredAt: number;
  source: SourceMetadata;
  operation: Operation;
  /** Mã hồ sơ, e.g. '000.00.01.H60-250312-0001'. */
  dossierCode: string;
  /** Procedure (thủ tục hành chính) code from the national catalogue. */
  procedureCode: null | string;
  procedureName: null | string;
  receivingAgencyCode: null | string;
  receivingAgencyName: null | string;
  applicant: Applicant;
  channel: null | Channel;
  /** Set once the result has been returned; null while it has not or when the source does not record it. Feeds the service-quality indicator 'results returned electronically'. */
  resultChannel: null | ResultChannel;
  receivedAt: null | number;
  /** Appointment date on the receipt (form 01). */
  dueAt: null | number;
  completedAt: null | number;
  status: DossierStatus;
  statusChangedAt: null | number;
  statusNote: null | string;
}

/** DossierObserved as a producer may write it: fields with a default are optional. */
export interface DossierObservedInput {
  eventId: string;
  occurredAt: number;
  source: SourceMetadataInput;
  operation?: Operation;
  dossierCode: string;
  procedureCode?: null | string;
  procedureName?: null | string;
  receivingAgencyCode?: null | string;
  receivingAgencyName?: null | string;
  applicant: ApplicantInput;
  channel?: null | Channel;
  resultChannel?: null | ResultChannel;
  receivedAt?: null | number;
  dueAt?: null | number;
  completedAt?: null | number;
  status?: DossierStatus;
  statusChangedAt?: null | number;
  statusNote?: null | string;
}

/** Lifecycle of an administrative-procedure dossier (Decree 61/2018, Circular 01/2018 forms 01-06). National status codes are unverified (DOMAIN.md §2): sources map theirs onto these. */
export type DossierStatus = 'RECEIVED' | 'SUPPLEMENT_REQUESTED' | 'PROCESSING' | 'REJECTED' | 'OVERDUE' | 'RESULT_RETURNED' | 'WITHDRAWN' | 'STOPPED' | 'UNKNOWN';
export const DossierStatusValues = ['RECEIVED', 'SUPPLEMENT_REQUESTED', 'PROCESSING', 'REJECTED', 'OVERDUE', 'RESULT_RETURNED', 'WITHDRAWN', 'STOPPED', 'UNKNOWN'] as const;

/** How the result was handed back: ELECTRONIC (online account, e-mail, electronic copy), DIRECT (at the desk), POSTAL (public postal service). */
export type ResultChannel = 'ELECTRONIC' | 'DIRECT' | 'POSTAL' | 'UNKNOWN';
export const ResultChannelValues = ['ELECTRONIC', 'DIRECT', 'POSTAL', 'UNKNOWN'] as const;

export interface StatusChange {
  status: DossierStatus;
  at: number;
}

/** StatusChange as a producer may write it: fields with a default are optional. */
export interface StatusChangeInput {
  status: DossierStatus;
  at: number;
}
