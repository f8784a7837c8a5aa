/** What every simulated department offers the demo and the tests. */
import type { SourceRecord, TruthRow } from '../departments/types.js';

export interface TickResult {
  inserted: number;
  updated: number;
  deleted: number;
  /** Truth rows of records created by this tick. */
  truth: TruthRow[];
}

/** Ground-truth counts: how many records the system holds now, per table (live = not deleted). */
export type GroundTruthCounts = Record<string, { total: number; live: number }>;

export interface DepartmentSimulator {
  readonly id: string;
  /** Creates its storage when missing (idempotent). */
  start(): Promise<void>;
  /** Loads a batch of rendered records. */
  load(records: readonly SourceRecord[]): Promise<void>;
  counts(): Promise<GroundTruthCounts>;
  /** Makes `changes` inserts/updates/deletes now. */
  tick(changes: number): Promise<TickResult>;
  /** Empties its storage. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function emptyTick(): TickResult {
  return { inserted: 0, updated: 0, deleted: 0, truth: [] };
}
