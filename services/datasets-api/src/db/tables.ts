import type { Dataset } from '../domain/scopes.js';

export const TABLE: Readonly<Record<Dataset, string>> = { citizen: 'citizens', business: 'businesses', dossier: 'dossiers' };

/** Search columns of a record that is no longer live: personal data is not kept once deleted or merged away. */
export const CLEARED: Readonly<Record<Dataset, Record<string, unknown>>> = {
  citizen: { personal_id: null, name_tokens: [], birth_year: null, birth_month: null, birth_day: null, commune_codes: [], merged_from: [] },
  business: {
    enterprise_code: null,
    kind: null,
    name_tokens: [],
    status: null,
    commune_codes: [],
    industry_codes: [],
    representative_master_id: null,
    merged_from: [],
  },
  dossier: { dossier_code: null, procedure_code: null, agency_code: null, applicant_master_id: null, status: null, received_at: null, merged_from: [] },
};

/** Serialises writers of the change table so that sequence order is commit order (the feed never skips). */
export const CHANGES_LOCK_ID = 7_300_001;

export interface RecordRow {
  master_id: string;
  version: string | number;
  state: 'LIVE' | 'DELETED' | 'MERGED';
  merged_into: string | null;
  change: string;
  record: Record<string, unknown> | null;
  updated_at: Date;
}

export const RECORD_SELECT = ['master_id', 'version', 'state', 'merged_into', 'change', 'record', 'updated_at'] as const;
