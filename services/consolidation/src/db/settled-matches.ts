import type { Knex } from 'knex';
import type { EntityType } from '../domain/types.js';
import { MASTER_TABLE } from './tables.js';

/** How a POSSIBLE_MATCH task a merge settled is closed: the decision a steward would have taken, `resolved_by` the merge's actor, and a note. */
export const SETTLED_BY_MERGE = { resolution: 'MERGE', reason: 'resolved by merge' } as const;

/**
 * Close the open POSSIBLE_MATCH tasks a merge settled: both sides are now in the survivor's cluster
 * (`members`: the survivor and every id merged into it, directly or through an earlier merge whose
 * `merged_into` names a member). `settledElsewhere`: ids whose membership `members` already decides
 * (the batch path writes merged rows in their final state before this runs, so their
 * `merged_into` may name a later survivor). Run after the merge's master rows are written.
 */
export async function closeSettledMatches(
  t: Knex.Transaction,
  type: EntityType,
  members: readonly string[],
  settledElsewhere: readonly string[],
  actor: string,
  at: number,
): Promise<void> {
  const table = MASTER_TABLE[type];
  const inCluster = (side: string): string =>
    `(${side}.master_id = any(:members::text[]) or
      (${side}.merged_into = any(:members::text[]) and not ${side}.master_id = any(:decided::text[])))`;
  await t.raw(
    `update review_tasks r set status = 'RESOLVED', resolution = :resolution, reason = :reason,
       resolved_by = :actor, resolved_at = to_timestamp(:at::double precision / 1000)
     from ${table} a, ${table} b
     where r.status = 'OPEN' and r.kind = 'POSSIBLE_MATCH' and r.entity_type = :type
       and a.master_id = r.master_id and b.master_id = r.other_master_id
       and ${inCluster('a')} and ${inCluster('b')}`,
    {
      ...SETTLED_BY_MERGE,
      actor,
      at,
      type,
      members: [...members],
      decided: [...settledElsewhere],
    },
  );
}
