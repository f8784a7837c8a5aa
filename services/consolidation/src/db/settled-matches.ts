import type { Knex } from 'knex';
import type { EntityType } from '../domain/types.js';
import { MASTER_TABLE } from './tables.js';

/** How a POSSIBLE_MATCH task a merge settled is closed: the decision a steward would have taken, `resolved_by` the merge's actor, and a note. */
export const SETTLED_BY_MERGE = { resolution: 'MERGE', reason: 'resolved by merge' } as const;

/** How an ATTRIBUTE_CONFLICT task the sources settled is closed (`resolved_by` the recompute's actor). */
export const SETTLED_BY_SOURCES = {
  resolution: 'SUPERSEDED',
  reason: 'the sources no longer disagree on this attribute',
} as const;

/** A master's attributes in conflict after its last recompute in a transaction (see `settleConflicts`). */
export interface ConflictState {
  readonly type: EntityType;
  readonly masterId: string;
  readonly inConflict: readonly string[];
  readonly actor: string;
  readonly at: number;
}

/** Records a master's latest conflict state; a later call for the same master replaces it. */
export function noteConflicts(
  states: Map<string, ConflictState>,
  type: EntityType,
  masterId: string,
  inConflict: readonly string[],
  cause: { readonly actor: string; readonly at: number },
): void {
  const key = `${type}:${masterId}`;
  states.delete(key); // flushed in the order of each master's last recompute
  states.set(key, { type, masterId, inConflict, actor: cause.actor, at: cause.at });
}

/**
 * Close the OPEN ATTRIBUTE_CONFLICT tasks of these masters whose attribute is no longer in conflict.
 * Run at flush, after the transaction's own tasks were written (tasks of absorbed masters were
 * re-pointed to their survivor by then, and the survivor's last recompute decides for them).
 */
export async function closeSettledConflicts(t: Knex.Transaction, states: readonly ConflictState[]): Promise<void> {
  if (states.length === 0) return;
  await t.raw(
    `update review_tasks r set status = 'RESOLVED', resolution = :resolution, reason = :reason,
       resolved_by = x.actor, resolved_at = to_timestamp(x.at / 1000)
     from jsonb_to_recordset(:states::jsonb)
       as x(entity_type text, master_id text, in_conflict text[], actor text, at double precision)
     where r.status = 'OPEN' and r.kind = 'ATTRIBUTE_CONFLICT'
       and r.entity_type = any(:types::text[]) and r.master_id = any(:masters::text[])
       and r.entity_type = x.entity_type and r.master_id = x.master_id
       and not (r.attribute = any(x.in_conflict))`,
    {
      ...SETTLED_BY_SOURCES,
      // The batch's masters as arrays too: an index probe of the open tasks by master
      // (review_tasks_open_master_idx), where the join alone is planned as a scan of every open task.
      types: [...new Set(states.map((s) => s.type))],
      masters: [...new Set(states.map((s) => s.masterId))],
      states: JSON.stringify(
        states.map((s) => ({
          entity_type: s.type,
          master_id: s.masterId,
          in_conflict: s.inConflict,
          actor: s.actor,
          at: s.at,
        })),
      ),
    },
  );
}

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
