/** The true world the generator builds: people, marriages, businesses and dossiers. */
import type { Sex } from '@hub/vn';

export type Ethnicity = 'KINH' | 'TAY' | 'DAO' | 'HMONG' | 'NUNG' | 'SAN_CHAY' | 'GIAY';

export interface Address {
  /** Pre-2025 province (02 Hà Giang, 08 Tuyên Quang), district and commune codes and names. */
  oldProvinceCode: string;
  oldProvinceName: string;
  oldDistrictCode: string;
  oldDistrictName: string;
  oldCommuneCode: string;
  /** With its type word: "Xã Minh Tân", "Phường Trần Phú". */
  oldCommuneName: string;
  /** The current (from 1/7/2025) commune of the merged province 08. */
  communeCode: string;
  communeName: string;
  /** Village or street group: "Thôn Nà Khá", "Tổ 5". */
  detail: string;
}

export interface Person {
  id: string;
  householdId: string;
  familyName: string;
  middleName: string;
  givenName: string;
  /** NFC, classic tone placement, as the population database holds it. */
  fullName: string;
  sex: Sex;
  ethnicity: Ethnicity;
  /** ISO date. */
  dateOfBirth: string;
  /** 3-digit registration code of the birth province (008, 002, or elsewhere for migrants). */
  birthRegistrationCode: string;
  personalId: string;
  /** Legacy 9-digit CMND, for people old enough to have had one. */
  cmnd: string | undefined;
  fatherId: string | undefined;
  motherId: string | undefined;
  spouseId: string | undefined;
  deathDate: string | undefined;
  address: Address;
}

export interface Marriage {
  id: string;
  husbandId: string;
  wifeId: string;
  /** ISO date of registration. */
  date: string;
  /** Current commune code of the registering commune. */
  communeCode: string;
}

export type BusinessKind = 'ENTERPRISE' | 'BRANCH' | 'HOUSEHOLD';
export type LegalForm = 'TNHH1TV' | 'TNHH2TV' | 'CO_PHAN' | 'TU_NHAN' | 'HOP_TAC_XA' | 'HO_KINH_DOANH';
export type BusinessStatus = 'ACTIVE' | 'SUSPENDED' | 'DISSOLVED';

export interface Business {
  id: string;
  kind: BusinessKind;
  /** 10-digit enterprise code, `XXXXXXXXXX-001` for a branch, the owner's personal id for a household. */
  code: string;
  parentCode: string | undefined;
  name: string;
  legalForm: LegalForm;
  status: BusinessStatus;
  registeredOn: string;
  statusChangedOn: string | undefined;
  address: Address;
  representativeId: string;
  /** VSIC 2018 level-4 industry code. */
  industryCode: string;
  /** Charter capital in đồng. */
  capital: number;
}

export type Channel = 'ONLINE' | 'DIRECT' | 'POSTAL';
/** How the result was handed to the applicant: at the desk, electronically (online account, e-mail), by post. */
export type ResultChannel = 'DIRECT' | 'ELECTRONIC' | 'POSTAL';
export type DossierStatus =
  | 'RECEIVED'
  | 'PROCESSING'
  | 'SUPPLEMENT_REQUESTED'
  | 'SUPPLEMENTED'
  | 'RESULT_READY'
  | 'RESULT_RETURNED'
  | 'REJECTED'
  | 'WITHDRAWN';

export interface DossierEvent {
  status: DossierStatus;
  /** ISO timestamp (UTC). */
  at: string;
}

export interface Dossier {
  id: string;
  code: string;
  procedureCode: string;
  procedureName: string;
  agencyCode: string;
  applicant: { type: 'person' | 'business'; id: string };
  channel: Channel;
  receivedAt: string;
  dueAt: string;
  completedAt: string | undefined;
  status: DossierStatus;
  timeline: DossierEvent[];
  supplements: number;
  /** Undefined while open; true when completed on or before the due date. */
  onTime: boolean | undefined;
  /** How the result was returned; set only once it was (status RESULT_RETURNED). */
  resultChannel: ResultChannel | undefined;
}

/** One household's worth of the world: generation streams these. */
export interface Household {
  index: number;
  people: Person[];
  marriages: Marriage[];
  businesses: Business[];
  dossiers: Dossier[];
}
