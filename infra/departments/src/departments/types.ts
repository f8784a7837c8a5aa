/** What every simulated department emits: native rows plus one truth row each. */
import type { NoiseKind } from '../noise/noise.js';

export const DEPARTMENT_IDS = [
  'civil-status',
  'business-registry',
  'one-stop',
  'police-residence',
  'social-protection',
] as const;
export type DepartmentId = (typeof DEPARTMENT_IDS)[number];

export type EntityType = 'person' | 'business' | 'dossier' | 'marriage';

export interface TruthRow {
  source: DepartmentId;
  table: string;
  sourceRecordId: string;
  entityType: EntityType;
  entityId: string;
  /** Other true entities the record names (parents, spouses, representative, applicant). */
  related?: Array<{ role: string; type: EntityType; id: string }>;
  /** Noise kinds that changed something in this record. */
  noise: NoiseKind[];
  /** Set on the second copy of a record entered twice in the same source. */
  duplicateOf?: string;
  /** The source holds the record as deleted (soft delete, cancelled, ceased). */
  deleted?: boolean;
}

export interface SourceRecord {
  table: string;
  id: string;
  row: Record<string, unknown>;
  truth: TruthRow;
}
