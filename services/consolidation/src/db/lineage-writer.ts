import type { Knex } from 'knex';
import type { EntityType, LineageEntry } from '../domain/types.js';
import { bulkInsert } from './bulk-insert.js';

/** A master's lineage after a recompute: one entry per golden attribute that has a value. */
export interface LineageWrite {
  readonly type: EntityType;
  readonly masterId: string;
  readonly entries: readonly LineageEntry[];
  readonly at: number;
}

/**
 * Bring `attribute_lineage` to the given state with two statements per entity type: delete the
 * attributes a master no longer has a lineage row for, then upsert the entries, touching only rows
 * whose value, rule, source, event or pin changed. An unchanged attribute keeps its row and its
 * `decided_at` (when that decision was made), so a new version writes lineage only for what it
 * changed instead of deleting and re-inserting every attribute. `isNew` masters have no rows yet:
 * no delete for them.
 */
export async function writeLineage(
  t: Knex.Transaction,
  writes: readonly LineageWrite[],
  isNew: (w: LineageWrite) => boolean = () => false,
): Promise<void> {
  const existing = writes.filter((w) => !isNew(w));
  for (const type of [...new Set(existing.map((w) => w.type))]) {
    const ofType = existing.filter((w) => w.type === type);
    const keep = ofType.flatMap((w) => w.entries.map((e) => [w.masterId, e.attribute] as const));
    // `= any` on the key's leading columns: an index scan whatever the table statistics say.
    await t.raw(
      `delete from attribute_lineage a where a.entity_type = ? and a.master_id = any(?::text[])
         and (a.master_id, a.attribute) not in (select * from unnest(?::text[], ?::text[]))`,
      [type, ofType.map((w) => w.masterId), keep.map(([m]) => m), keep.map(([, a]) => a)],
    );
  }
  await bulkInsert(
    t,
    'attribute_lineage',
    [
      ['entity_type', 'text'],
      ['master_id', 'text'],
      ['attribute', 'text'],
      // A JSON null stays a JSON null (not SQL NULL), as before.
      ['value', 'jsonb', `coalesce(value, 'null'::jsonb)`],
      ['rule', 'text'],
      ['source_system', 'text'],
      ['source_record_id', 'text'],
      ['event_id', 'text'],
      ['pinned', 'boolean'],
      ['decided_at', 'timestamptz'],
    ],
    writes.flatMap(({ type, masterId, entries, at }) =>
      entries.map((e) => ({
        entity_type: type,
        master_id: masterId,
        attribute: e.attribute,
        value: e.value ?? null,
        rule: e.rule,
        source_system: e.source?.system ?? null,
        source_record_id: e.source?.recordId ?? null,
        event_id: e.eventId,
        pinned: e.pinned,
        decided_at: new Date(at).toISOString(),
      })),
    ),
    `on conflict (entity_type, master_id, attribute) do update set value = excluded.value,
       rule = excluded.rule, source_system = excluded.source_system,
       source_record_id = excluded.source_record_id, event_id = excluded.event_id,
       pinned = excluded.pinned, decided_at = excluded.decided_at
     where (attribute_lineage.value, attribute_lineage.rule, attribute_lineage.source_system,
            attribute_lineage.source_record_id, attribute_lineage.event_id, attribute_lineage.pinned)
       is distinct from (excluded.value, excluded.rule, excluded.source_system,
            excluded.source_record_id, excluded.event_id, excluded.pinned)`,
  );
}
