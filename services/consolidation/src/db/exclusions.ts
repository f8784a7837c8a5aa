import type { Knex } from 'knex';
import type { Exclusion } from '../domain/store.js';
import type { EntityType } from '../domain/types.js';

export type { Exclusion };

interface ExclusionRow {
  entity_type: string;
  master_a: string;
  master_b: string;
  origin: string;
  review_task_id: string | number | null;
  actor: string;
  reason: string | null;
  created_at: Date;
}

const ordered = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

export async function addExclusion(
  t: Knex | Knex.Transaction,
  type: EntityType,
  a: string,
  b: string,
  e: Exclusion,
): Promise<void> {
  if (a === b) return;
  const [masterA, masterB] = ordered(a, b);
  await t('match_exclusions')
    .insert({
      entity_type: type,
      master_a: masterA,
      master_b: masterB,
      origin: e.origin,
      review_task_id: e.reviewTaskId,
      actor: e.actor,
      reason: e.reason,
      created_at: new Date(e.at),
    })
    .onConflict(['entity_type', 'master_a', 'master_b'])
    .ignore();
}

/** The masters excluded from `masterId`. */
export async function excludedWith(
  t: Knex | Knex.Transaction,
  type: EntityType,
  masterId: string,
): Promise<Set<string>> {
  const rows: { master_a: string; master_b: string }[] = await t('match_exclusions')
    .select('master_a', 'master_b')
    .where('entity_type', type)
    .andWhereRaw('(master_a = ? or master_b = ?)', [masterId, masterId]);
  return new Set(rows.map((r) => (r.master_a === masterId ? r.master_b : r.master_a)));
}

/**
 * A merge: pairs naming an absorbed id now name the survivor (a pair that becomes the survivor with
 * itself is dropped — the masters were merged after all; duplicates collapse into one row).
 */
export async function repointExclusions(
  t: Knex | Knex.Transaction,
  type: EntityType,
  survivor: string,
  absorbed: readonly string[],
): Promise<void> {
  if (absorbed.length === 0) return;
  const rows = (await t('match_exclusions')
    .where('entity_type', type)
    .andWhereRaw('(master_a = any(?::text[]) or master_b = any(?::text[]))', [[...absorbed], [...absorbed]])
    .select()) as ExclusionRow[];
  if (rows.length === 0) return;
  const gone = new Set(absorbed);
  await t('match_exclusions')
    .where('entity_type', type)
    .andWhereRaw('(master_a = any(?::text[]) or master_b = any(?::text[]))', [[...absorbed], [...absorbed]])
    .delete();
  const moved = rows
    .map((r) => {
      const [a, b] = ordered(
        gone.has(r.master_a) ? survivor : r.master_a,
        gone.has(r.master_b) ? survivor : r.master_b,
      );
      return { ...r, master_a: a, master_b: b };
    })
    .filter((r) => r.master_a !== r.master_b);
  if (moved.length === 0) return;
  await t('match_exclusions').insert(moved).onConflict(['entity_type', 'master_a', 'master_b']).ignore();
}
