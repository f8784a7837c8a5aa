import type { Knex } from 'knex';
import type { EntityType, LineageEntry } from '../domain/types.js';
import { stableJson } from '../domain/survivorship.js';
import { bulkInsert } from './bulk-insert.js';

/** A master's lineage after a recompute: one entry per golden attribute that has a value. */
export interface LineageWrite {
  readonly type: EntityType;
  readonly masterId: string;
  readonly entries: readonly LineageEntry[];
  readonly at: number;
  /**
   * What `attribute_lineage` holds for this master before the write, as the master row's
   * `lineage_hash` (the stable JSON of its last written lineage) said when the transaction first
   * replaced it; null when unknown (a new, merged or deleted master).
   */
  readonly previous: string | null;
}

/** Keep the first `previous` of a master within one transaction: later ones are buffered states. */
export function bufferLineage(buffer: Map<string, LineageWrite>, write: LineageWrite): void {
  const key = `${write.type}:${write.masterId}`;
  const earlier = buffer.get(key);
  buffer.set(key, earlier ? { ...write, previous: earlier.previous } : write);
}

/** The stored entries by attribute, from a `lineage_hash`; null when it cannot be read. */
function previousEntries(previous: string | null): Map<string, string> | null {
  if (previous === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(previous);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const out = new Map<string, string>();
  for (const e of parsed as LineageEntry[]) {
    if (typeof e?.attribute !== 'string') return null;
    out.set(e.attribute, stableJson(e));
  }
  return out;
}

/**
 * Bring `attribute_lineage` to the given state. An unchanged attribute keeps its row and its
 * `decided_at` (when that decision was made), so a new version writes lineage only for what it
 * changed instead of deleting and re-inserting every attribute.
 *
 * Where the master row says what the table holds (`previous`, which the master writer keeps equal
 * to the rows: both are written together), the difference is computed here: only the changed
 * entries are sent, and only the attributes that lost their value are deleted, by key. Otherwise
 * (`isNew` masters have no rows; merged or deleted ones have no `previous`) the attributes without an
 * entry are deleted with one statement per entity type, and every entry is upserted, touching only
 * rows whose value, rule, source, event or pin changed.
 */
export async function writeLineage(
  t: Knex.Transaction,
  writes: readonly LineageWrite[],
  isNew: (w: LineageWrite) => boolean = () => false,
): Promise<void> {
  const unknown: LineageWrite[] = [];
  const gone: [EntityType, string, string][] = [];
  const send: { write: LineageWrite; entry: LineageEntry }[] = [];
  for (const w of writes) {
    const before = isNew(w) ? new Map<string, string>() : previousEntries(w.previous);
    if (before === null) {
      unknown.push(w);
      for (const entry of w.entries) send.push({ write: w, entry });
      continue;
    }
    const now = new Set<string>();
    for (const entry of w.entries) {
      now.add(entry.attribute);
      if (before.get(entry.attribute) !== stableJson(entry)) send.push({ write: w, entry });
    }
    for (const attribute of before.keys())
      if (!now.has(attribute)) gone.push([w.type, w.masterId, attribute]);
  }
  for (const type of [...new Set(unknown.map((w) => w.type))]) {
    const ofType = unknown.filter((w) => w.type === type);
    const keep = ofType.flatMap((w) => w.entries.map((e) => [w.masterId, e.attribute] as const));
    // `= any` on the key's leading columns: an index scan whatever the table statistics say.
    await t.raw(
      `delete from attribute_lineage a where a.entity_type = ? and a.master_id = any(?::text[])
         and (a.master_id, a.attribute) not in (select * from unnest(?::text[], ?::text[]))`,
      [type, ofType.map((w) => w.masterId), keep.map(([m]) => m), keep.map(([, a]) => a)],
    );
  }
  if (gone.length > 0) {
    await t.raw(
      `delete from attribute_lineage a using unnest(?::text[], ?::text[], ?::text[]) as g(entity_type, master_id, attribute)
        where a.entity_type = g.entity_type and a.master_id = g.master_id and a.attribute = g.attribute`,
      [gone.map(([ty]) => ty), gone.map(([, m]) => m), gone.map(([, , a]) => a)],
    );
  }
  if (send.length === 0) return;
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
    send.map(({ write: { type, masterId, at }, entry: e }) => ({
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
