import type { Knex } from 'knex';
import { expect } from 'vitest';

interface LineageRow {
  entity_type: string;
  master_id: string;
  attribute: string;
  value: unknown;
  rule: string;
  source_system: string | null;
  source_record_id: string | null;
  event_id: string | null;
  pinned: boolean;
}

/**
 * The invariant the lineage writer relies on: for every master whose row has a `lineage_hash`, the
 * `attribute_lineage` rows are exactly the entries that JSON lists (the writer sends differences
 * against it).
 */
export async function expectLineageAsHashed(db: Knex): Promise<void> {
  const masters: { entity_type: string; master_id: string; lineage_hash: string }[] = [];
  for (const [type, table] of [
    ['citizen', 'citizens'],
    ['business', 'businesses'],
    ['dossier', 'dossiers'],
  ] as const) {
    const rows = await db(table)
      .whereNotNull('lineage_hash')
      .select<{ master_id: string; lineage_hash: string }[]>('master_id', 'lineage_hash');
    masters.push(...rows.map((r) => ({ ...r, entity_type: type })));
  }
  const rows = await db('attribute_lineage').select<LineageRow[]>('*');
  const stored = new Map<string, unknown[]>();
  for (const r of rows) {
    const key = `${r.entity_type}:${r.master_id}`;
    const entry = {
      attribute: r.attribute,
      value: r.value,
      rule: r.rule,
      source:
        r.source_system !== null && r.source_record_id !== null
          ? { system: r.source_system, recordId: r.source_record_id }
          : null,
      eventId: r.event_id,
      pinned: r.pinned,
    };
    stored.set(key, [...(stored.get(key) ?? []), entry]);
  }
  const byAttribute = (entries: unknown[]) =>
    [...entries].sort((a, b) =>
      (a as { attribute: string }).attribute < (b as { attribute: string }).attribute ? -1 : 1,
    );
  for (const m of masters) {
    const hashed = (JSON.parse(m.lineage_hash) as Record<string, unknown>[]).map((e) => ({
      value: null,
      ...e,
    }));
    expect({
      master: m.master_id,
      rows: byAttribute(stored.get(`${m.entity_type}:${m.master_id}`) ?? []),
    }).toEqual({
      master: m.master_id,
      rows: byAttribute(hashed),
    });
  }
}
