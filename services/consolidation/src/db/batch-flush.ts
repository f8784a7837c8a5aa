import type { Knex } from 'knex';
import type { BatchState, ReviewEntry } from './batch-state.js';
import { bulkInsert } from './bulk-insert.js';
import { repointExclusions } from './exclusions.js';
import { writeLineage } from './lineage-writer.js';
import { closeSettledConflicts, closeSettledMatches, SETTLED_BY_MERGE } from './settled-matches.js';
import { MASTER_TABLE } from './tables.js';

/** The parts of a state map key (see batch-state.ts), padded so absent parts are empty strings. */
function splitKey(k: string): [string, string, string] {
  const [a = '', b = '', c = ''] = k.split('\u0000');
  return [a, b, c];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** [group, value] pairs grouped (type → master ids, type+scheme → values). */
function byType(pairs: readonly (readonly [string, string, ...string[]])[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [type, id] of pairs) {
    const ids = out.get(type);
    if (ids) ids.push(id);
    else out.set(type, [id]);
  }
  return out;
}

/**
 * Write what a batch changed with a handful of bulk statements (rows are final states, so each key
 * appears once per statement), then the updates for rows the batch never loaded, in the order the
 * merges happened.
 */
export async function flushBatch(t: Knex.Transaction, state: BatchState): Promise<void> {
  await writeMasters(t, state);

  await bulkInsert(
    t,
    'source_records',
    [
      ['entity_type', 'text'],
      ['source_system', 'text'],
      ['source_record_id', 'text'],
      ['master_id', 'text'],
      ['event_id', 'text'],
      ['observed_at', 'bigint'],
      ['deleted', 'boolean'],
      ['observation', 'jsonb'],
      ['blocking_keys', 'text[]'],
      ['updated_at', 'text', 'now()'],
    ],
    [...state.records.values()]
      .filter((e) => e.dirty)
      .map(({ type, record: r, blockingKeys }) => ({
        entity_type: type,
        source_system: r.system,
        source_record_id: r.recordId,
        master_id: r.masterId,
        event_id: r.eventId,
        observed_at: r.observedAt,
        deleted: r.deleted,
        observation: r.observation,
        blocking_keys: blockingKeys,
      })),
    `on conflict (entity_type, source_system, source_record_id) do update set
       master_id = excluded.master_id, event_id = excluded.event_id, observed_at = excluded.observed_at,
       deleted = excluded.deleted, observation = excluded.observation,
       blocking_keys = excluded.blocking_keys, updated_at = excluded.updated_at`,
  );

  const dirtyAliases = [...state.dirtyAliases].map((k) => [k, state.aliases.get(k)] as const);
  const gone = dirtyAliases.filter(([, a]) => !a).map(([k]) => splitKey(k));
  for (const [typeScheme, values] of byType(gone.map(([ty, sc, v]) => [`${ty}\u0000${sc}`, v]))) {
    const [type, scheme] = splitKey(typeScheme);
    await t.raw(
      `delete from identifier_aliases where entity_type = ? and scheme = ? and value = any(?::text[])`,
      [type, scheme, values],
    );
  }
  await bulkInsert(
    t,
    'identifier_aliases',
    [
      ['entity_type', 'text'],
      ['scheme', 'text'],
      ['value', 'text'],
      ['master_id', 'text'],
      ['is_primary', 'boolean'],
    ],
    dirtyAliases.flatMap(([, a]) =>
      a
        ? [
            {
              entity_type: a.type,
              scheme: a.scheme,
              value: a.value,
              master_id: a.masterId,
              is_primary: a.primary,
            },
          ]
        : [],
    ),
    `on conflict (entity_type, scheme, value) do update set master_id = excluded.master_id, is_primary = excluded.is_primary`,
  );

  // Per type with `= any` (an index scan whatever the table statistics say).
  for (const [type, ids] of byType([...state.replacedLinksFrom].map(splitKey)))
    await t.raw(`delete from links where from_type = ? and from_master_id = any(?::text[])`, [type, ids]);
  await bulkInsert(
    t,
    'links',
    [
      ['from_type', 'text'],
      ['from_master_id', 'text'],
      ['relation', 'text'],
      ['target_type', 'text'],
      ['target_scheme', 'text'],
      ['target_value', 'text'],
      ['target_master_id', 'text'],
    ],
    [...state.dirtyLinks].flatMap((k) => {
      const l = state.links.get(k);
      return l
        ? [
            {
              from_type: l.fromType,
              from_master_id: l.fromMasterId,
              relation: l.relation,
              target_type: l.targetType,
              target_scheme: l.targetScheme,
              target_value: l.targetValue,
              target_master_id: l.targetMasterId,
            },
          ]
        : [];
    }),
    `on conflict (from_type, from_master_id, relation) do update set target_type = excluded.target_type,
       target_scheme = excluded.target_scheme, target_value = excluded.target_value,
       target_master_id = excluded.target_master_id`,
  );

  await writeLineage(t, [...state.lineage.values()], (l) => state.master(l.type, l.masterId)?.isNew === true);

  if (state.deletedTimeline.length) {
    const d = state.deletedTimeline;
    await t.raw(
      `delete from dossier_status_events e using unnest(?::text[], ?::text[], ?::bigint[]) as k(m, s, a)
       where e.master_id = k.m and e.status = k.s and e.at = k.a`,
      [d.map((x) => x.masterId), d.map((x) => x.status), d.map((x) => String(x.at))],
    );
  }
  await bulkInsert(
    t,
    'dossier_status_events',
    [
      ['master_id', 'text'],
      ['status', 'text'],
      ['at', 'bigint'],
      ['source_system', 'text'],
      ['source_record_id', 'text'],
      ['event_id', 'text'],
    ],
    [...state.dirtyTimeline.values()].map(({ masterId, row }) => ({
      master_id: masterId,
      status: row.status,
      at: row.at,
      source_system: row.system,
      source_record_id: row.recordId,
      event_id: row.eventId,
    })),
    'on conflict (master_id, status, at) do nothing',
  );

  await bulkInsert(
    t,
    'master_history',
    [
      ['entity_type', 'text'],
      ['master_id', 'text'],
      ['version', 'bigint'],
      ['change', 'text'],
      ['snapshot', 'jsonb'],
      ['changed_attributes', 'text[]'],
      ['event_id', 'text'],
      ['actor', 'text'],
      ['reason', 'text'],
      ['related_master_id', 'text'],
      ['at', 'timestamptz'],
    ],
    state.history.map((h) => ({
      entity_type: h.entityType,
      master_id: h.masterId,
      version: h.version,
      change: h.change,
      snapshot: h.snapshot,
      changed_attributes: h.changedAttributes,
      event_id: h.eventId,
      actor: h.actor,
      reason: h.reason,
      related_master_id: h.relatedMasterId,
      at: iso(h.at),
    })),
  );
  // jsonb_to_recordset yields the rows in array order, so outbox ids follow the order of the versions.
  await bulkInsert(
    t,
    'outbox',
    [
      ['entity_type', 'text'],
      ['topic', 'text'],
      ['message_key', 'text'],
      ['version', 'bigint'],
      ['change', 'text'],
      ['payload', 'jsonb'],
      ['occurred_at', 'bigint'],
    ],
    state.outbox.map((o) => ({
      entity_type: o.entityType,
      topic: `master.${o.entityType}`,
      message_key: o.masterId,
      version: o.version,
      change: o.change,
      payload: o.payload,
      occurred_at: o.occurredAt,
    })),
  );
  await bulkInsert(
    t,
    'processed_events',
    [
      ['event_id', 'text'],
      ['topic', 'text'],
      ['partition', 'integer'],
      ['offset', 'bigint'],
    ],
    state.processed,
  );

  // Rows this batch never loaded that pointed at an absorbed master (older merges, open tasks).
  for (const d of state.deferred) {
    if (d.kind === 'merged_into')
      await t(MASTER_TABLE[d.type]).whereIn('merged_into', d.absorbed).update({ merged_into: d.survivor });
    else if (d.kind === 'match_exclusions') await repointExclusions(t, d.type, d.survivor, d.absorbed);
    else if (d.kind === 'settled_matches')
      // Every master this batch merged is written in its final state: `members` decides for them.
      await closeSettledMatches(
        t,
        d.type,
        d.members,
        [...(state.mergedRoots.get(d.type)?.keys() ?? [])],
        d.actor,
        d.at,
      );
    else
      await t('review_tasks')
        .where({ entity_type: d.type, status: 'OPEN' })
        .whereIn('master_id', d.absorbed)
        .update({ master_id: d.survivor });
  }
  // After the deferred updates, which concern stored tasks only: this batch's tasks carry their
  // final master ids, and those its merges settled are written closed.
  await writeReviewTasks(t, state);
  // Then, as the reference path at its flush: conflicts the sources settled are closed.
  await closeSettledConflicts(t, [...state.conflicts.values()]);
}

async function writeReviewTasks(t: Knex.Transaction, state: BatchState): Promise<void> {
  const row = ({ task, at }: ReviewEntry) => ({
    entity_type: task.entityType,
    kind: task.kind,
    master_id: task.masterId,
    other_master_id: task.otherMasterId,
    attribute: task.attribute,
    dedupe_key: task.dedupeKey,
    details: task.details,
    created_at: iso(at),
  });
  await bulkInsert(
    t,
    'review_tasks',
    [
      ['entity_type', 'text'],
      ['kind', 'text'],
      ['status', 'text'],
      ['master_id', 'text'],
      ['other_master_id', 'text'],
      ['attribute', 'text'],
      ['dedupe_key', 'text'],
      ['details', 'jsonb'],
      ['created_at', 'timestamptz'],
      ['resolution', 'text'],
      ['reason', 'text'],
      ['resolved_by', 'text'],
      ['resolved_at', 'timestamptz'],
    ],
    [
      ...state.settledTasks.map((e) => ({
        ...row(e),
        status: 'RESOLVED',
        ...SETTLED_BY_MERGE,
        resolved_by: e.actor,
        resolved_at: iso(e.resolvedAt),
      })),
      ...[...state.reviewTasks.values()].map((e) => ({ ...row(e), status: 'OPEN' })),
    ],
    // A task raised again with the same details is left as it is (no new row version to vacuum).
    `on conflict (dedupe_key) where status = 'OPEN' do update set details = excluded.details
       where review_tasks.details is distinct from excluded.details`,
  );
}

async function writeMasters(t: Knex.Transaction, state: BatchState): Promise<void> {
  const dirty = [...state.masters.values()].filter((m) => m.dirty);
  const created = dirty.filter((m) => m.isNew).sort((a, b) => a.row.seq - b.row.seq);
  const seqs = new Map<string, number>();
  for (const type of ['citizen', 'business', 'dossier'] as const) {
    const fresh = created.filter((m) => m.row.entityType === type);
    if (fresh.length === 0) continue;
    // Real creation numbers, in creation order ("the oldest master survives a merge").
    const res: unknown = await t.raw(
      `select nextval(pg_get_serial_sequence(?, 'seq'))::text as s from generate_series(1, ?)`,
      [MASTER_TABLE[type], fresh.length],
    );
    const values = (res as { rows: { s: string }[] }).rows.map((r) => Number(r.s)).sort((a, b) => a - b);
    fresh.forEach((m, i) => seqs.set(m.row.masterId, values[i] ?? 0));
  }
  for (const type of ['citizen', 'business', 'dossier'] as const) {
    await bulkInsert(
      t,
      MASTER_TABLE[type],
      [
        ['master_id', 'text'],
        ['seq', 'bigint'],
        ['status', 'text'],
        ['version', 'bigint'],
        ['golden', 'jsonb'],
        ['merged_into', 'text'],
        ['merged_from', 'text[]'],
        ['lineage_hash', 'text'],
        ['updated_at', 'text', 'now()'],
      ],
      dirty
        .filter((m) => m.row.entityType === type)
        .map(({ row, isNew }) => ({
          master_id: row.masterId,
          seq: isNew ? seqs.get(row.masterId) : row.seq,
          status: row.status,
          version: row.version,
          golden: row.golden,
          merged_into: row.mergedInto,
          merged_from: row.mergedFrom,
          lineage_hash: row.lineageHash,
        })),
      `on conflict (master_id) do update set status = excluded.status, version = excluded.version,
         golden = excluded.golden, merged_into = excluded.merged_into, merged_from = excluded.merged_from,
         lineage_hash = excluded.lineage_hash, updated_at = excluded.updated_at`,
    );
  }
}
