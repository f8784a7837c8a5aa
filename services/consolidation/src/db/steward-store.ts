import type { Knex } from 'knex';
import type { ReviewTask, StewardStore } from '../domain/steward.js';
import type { EntityType } from '../domain/types.js';
import { addExclusion, type Exclusion } from './exclusions.js';
import { KnexStore } from './knex-store.js';
import { MASTER_TABLE } from './tables.js';

export interface ReviewTaskDbRow {
  id: string | number;
  entity_type: EntityType;
  kind: ReviewTask['kind'];
  status: ReviewTask['status'];
  master_id: string;
  other_master_id: string | null;
  attribute: string | null;
  details: Record<string, unknown>;
}

export const toReviewTask = (r: ReviewTaskDbRow): ReviewTask => ({
  id: Number(r.id),
  entityType: r.entity_type,
  kind: r.kind,
  status: r.status,
  masterId: r.master_id,
  otherMasterId: r.other_master_id,
  attribute: r.attribute,
  details: r.details,
});

export class KnexStewardStore extends KnexStore implements StewardStore {
  constructor(private readonly tx: Knex.Transaction) {
    super(tx);
  }

  async lockReviewTask(id: number): Promise<ReviewTask | undefined> {
    const row = (await this.tx('review_tasks').where('id', id).forUpdate().first()) as
      ReviewTaskDbRow | undefined;
    return row ? toReviewTask(row) : undefined;
  }

  async closeReviewTask(
    id: number,
    resolution: string,
    steward: string,
    reason: string,
    at: number,
  ): Promise<void> {
    await this.tx('review_tasks')
      .where('id', id)
      .update({ status: 'RESOLVED', resolution, resolved_by: steward, reason, resolved_at: new Date(at) });
  }

  async addExclusion(type: EntityType, a: string, b: string, e: Exclusion): Promise<void> {
    await addExclusion(this.tx, type, a, b, e);
  }

  async currentMasterId(type: EntityType, masterId: string): Promise<string> {
    const row = (await this.tx(MASTER_TABLE[type])
      .select('merged_into')
      .where('master_id', masterId)
      .first()) as { merged_into: string | null } | undefined;
    return row?.merged_into ?? masterId;
  }
}
