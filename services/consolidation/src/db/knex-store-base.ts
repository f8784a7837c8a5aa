import type { Knex } from 'knex';
import type { StatusChange } from '@hub/schemas';
import type { Pin } from '../domain/survivorship.js';
import type { EntityType, Identifier, LinkSpec, NewReviewTask } from '../domain/types.js';

export const json = (v: unknown): string => JSON.stringify(v ?? null);

/** The store's links, dossier timeline, pins and review-task statements (KnexStore builds on it). */
export class KnexStoreBase {
  constructor(protected readonly trx: Knex.Transaction) {}

  /** A steward's choice: this attribute keeps this value until the pin is removed. */
  async pin(type: EntityType, masterId: string, pin: Pin, at: number): Promise<void> {
    await this.trx('attribute_lineage')
      .insert({
        entity_type: type,
        master_id: masterId,
        attribute: pin.attribute,
        value: json(pin.value),
        rule: 'STEWARD',
        source_system: pin.source?.system ?? null,
        source_record_id: pin.source?.recordId ?? null,
        event_id: pin.eventId,
        pinned: true,
        decided_at: new Date(at),
      })
      .onConflict(['entity_type', 'master_id', 'attribute'])
      .merge();
  }

  async pins(type: EntityType, masterId: string): Promise<Pin[]> {
    const rows = (await this.trx('attribute_lineage').where({
      entity_type: type,
      master_id: masterId,
      pinned: true,
    })) as {
      attribute: string;
      value: unknown;
      source_system: string | null;
      source_record_id: string | null;
      event_id: string | null;
    }[];
    return rows.map((r) => ({
      attribute: r.attribute,
      value: r.value,
      source:
        r.source_system !== null && r.source_record_id !== null
          ? { system: r.source_system, recordId: r.source_record_id }
          : null,
      eventId: r.event_id,
    }));
  }

  async openReviewTask(task: NewReviewTask, at: number): Promise<void> {
    await this.trx.raw(
      `insert into review_tasks (entity_type, kind, status, master_id, other_master_id, attribute, dedupe_key, details, created_at)
       values (?, ?, 'OPEN', ?, ?, ?, ?, ?::jsonb, to_timestamp(?::double precision / 1000))
       on conflict (dedupe_key) where status = 'OPEN' do update set details = excluded.details
         where review_tasks.details is distinct from excluded.details`,
      [
        task.entityType,
        task.kind,
        task.masterId,
        task.otherMasterId,
        task.attribute,
        task.dedupeKey,
        json(task.details),
        at,
      ],
    );
  }

  async replaceLinks(
    type: EntityType,
    masterId: string,
    links: readonly LinkSpec[],
  ): Promise<Map<string, string | null>> {
    await this.trx('links').where({ from_type: type, from_master_id: masterId }).delete();
    const out = new Map<string, string | null>();
    for (const l of links) {
      const target = (await this.trx('identifier_aliases')
        .select('master_id')
        .where({ entity_type: l.targetType, scheme: l.target.scheme, value: l.target.value })
        .first()) as { master_id: string } | undefined;
      const targetId = target?.master_id ?? null;
      out.set(l.relation, targetId);
      await this.trx('links')
        .insert({
          from_type: type,
          from_master_id: masterId,
          relation: l.relation,
          target_type: l.targetType,
          target_scheme: l.target.scheme,
          target_value: l.target.value,
          target_master_id: targetId,
        })
        .onConflict(['from_type', 'from_master_id', 'relation'])
        .ignore();
    }
    return out;
  }

  async resolveLinks(
    targetType: EntityType,
    ids: readonly Identifier[],
    masterId: string,
  ): Promise<{ type: EntityType; masterId: string }[]> {
    if (ids.length === 0) return [];
    const updated: unknown = await this.trx('links')
      .where('target_type', targetType)
      .whereIn(
        ['target_scheme', 'target_value'],
        ids.map((i) => [i.scheme, i.value]),
      )
      .whereNull('target_master_id')
      .update({ target_master_id: masterId }, ['from_type', 'from_master_id']);
    const rows = updated as { from_type: EntityType; from_master_id: string }[];
    return rows.map((r) => ({ type: r.from_type, masterId: r.from_master_id }));
  }

  async linkingTo(
    targetType: EntityType,
    masterIds: readonly string[],
  ): Promise<{ type: EntityType; masterId: string }[]> {
    if (masterIds.length === 0) return [];
    const rows = (await this.trx('links')
      .distinct('from_type', 'from_master_id')
      .where('target_type', targetType)
      .whereIn('target_master_id', masterIds)
      .orderBy(['from_type', 'from_master_id'])) as { from_type: EntityType; from_master_id: string }[];
    return rows.map((r) => ({ type: r.from_type, masterId: r.from_master_id }));
  }

  async addTimeline(
    masterId: string,
    entry: StatusChange,
    source: { system: string; recordId: string },
    eventId: string,
  ): Promise<void> {
    await this.trx('dossier_status_events')
      .insert({
        master_id: masterId,
        status: entry.status,
        at: entry.at,
        source_system: source.system,
        source_record_id: source.recordId,
        event_id: eventId,
      })
      .onConflict(['master_id', 'status', 'at'])
      .ignore();
  }

  async timeline(masterId: string): Promise<StatusChange[]> {
    const rows = (await this.trx('dossier_status_events')
      .select('status', 'at')
      .where('master_id', masterId)
      .orderBy([{ column: 'at' }, { column: 'status' }])) as {
      status: StatusChange['status'];
      at: string | number;
    }[];
    return rows.map((r) => ({ status: r.status, at: Number(r.at) }));
  }
}
