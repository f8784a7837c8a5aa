import type { Knex } from 'knex';
import { NotFoundError } from '@hub/errors';
import type { ReviewTask } from '../domain/steward.js';
import type { EntityType, MasterRow } from '../domain/types.js';
import { reviewTaskViews, type ReviewTaskView } from './review-view.js';
import { toReviewTask, type ReviewTaskDbRow } from './steward-store.js';
import { MASTER_TABLE, toMasterRow, type MasterDbRow } from './tables.js';

export interface MasterView {
  readonly master: MasterRow;
  readonly lineage: Record<string, unknown>[];
  readonly sources: Record<string, unknown>[];
  readonly links: Record<string, unknown>[];
  /** The id asked for, when it was merged into `master`. */
  readonly resolvedFrom: string | null;
}

export interface SourceRecordCount {
  readonly connectorId: string | null;
  readonly sourceSystem: string;
  readonly entityType: EntityType;
  /** Source records consolidated and not deleted. */
  readonly records: number;
  readonly deleted: number;
}

/** Read-only queries for the steward API. */
export class ReadRepository {
  constructor(private readonly db: Knex) {}

  async listReviewTasks(filter: {
    status?: 'OPEN' | 'RESOLVED';
    kind?: string;
    entityType?: EntityType;
    limit: number;
    afterId?: number;
  }): Promise<ReviewTask[]> {
    const q = this.db('review_tasks').orderBy('id').limit(filter.limit);
    if (filter.status) q.where('status', filter.status);
    if (filter.kind) q.where('kind', filter.kind);
    if (filter.entityType) q.where('entity_type', filter.entityType);
    if (filter.afterId !== undefined) q.where('id', '>', filter.afterId);
    const rows = (await q) as ReviewTaskDbRow[];
    return rows.map(toReviewTask);
  }

  /** Review tasks with both masters side by side and per-field scores (the console's contract). */
  async listReviewTaskViews(filter: {
    status?: 'OPEN' | 'RESOLVED';
    kind?: string;
    entityType?: EntityType;
    limit: number;
    afterId?: number;
  }): Promise<ReviewTaskView[]> {
    const q = this.db('review_tasks').orderBy('id').limit(filter.limit);
    if (filter.status) q.where('status', filter.status);
    if (filter.kind) q.where('kind', filter.kind);
    if (filter.entityType) q.where('entity_type', filter.entityType);
    if (filter.afterId !== undefined) q.where('id', '>', filter.afterId);
    const rows = (await q) as (ReviewTaskDbRow & { created_at: Date | null })[];
    return reviewTaskViews(
      this.db,
      rows.map((r) => ({ ...toReviewTask(r), createdAt: r.created_at })),
    );
  }

  async getReviewTaskView(id: number): Promise<ReviewTaskView> {
    const row = (await this.db('review_tasks').where('id', id).first()) as
      (ReviewTaskDbRow & { created_at: Date | null }) | undefined;
    if (!row) throw new NotFoundError(`review task ${id} does not exist`);
    const [view] = await reviewTaskViews(this.db, [{ ...toReviewTask(row), createdAt: row.created_at }]);
    if (!view) throw new NotFoundError(`review task ${id} does not exist`);
    return view;
  }

  /** Queue size and steward-visible activity over the last hour (wall clock of the writes). */
  async stats(): Promise<{
    openReviewTasks: number;
    openReviewTasksByKind: Record<string, number>;
    mergesLastHour: number;
    splitsLastHour: number;
  }> {
    const byKind = await this.openTaskCounts();
    const rows: { change: string; n: string | number }[] = await this.db('master_history')
      .select('change')
      .count<{ change: string; n: string | number }[]>({ n: '*' })
      .whereIn('change', ['ABSORBED', 'SPLIT_OFF'])
      .where('recorded_at', '>=', this.db.raw("now() - interval '1 hour'"))
      .groupBy('change');
    const n = (change: string): number => Number(rows.find((r) => r.change === change)?.n ?? 0);
    return {
      openReviewTasks: [...byKind.values()].reduce((a, b) => a + b, 0),
      openReviewTasksByKind: Object.fromEntries(byKind),
      mergesLastHour: n('ABSORBED'),
      splitsLastHour: n('SPLIT_OFF'),
    };
  }

  /**
   * Source records held per connector (from the observation's `source.connectorId`): live and
   * deleted. The console reconciles these with the record counts each source reports, so the hub
   * side counts records, not the events that carried them. One scan of `source_records`: callers
   * cache it (see `GET /source-counts`).
   */
  async sourceRecordCounts(): Promise<SourceRecordCount[]> {
    const rows: {
      entity_type: string;
      source_system: string;
      connector_id: string | null;
      live: string | number;
      deleted: string | number;
    }[] = await this.db('source_records')
      .select(
        'entity_type',
        'source_system',
        this.db.raw("observation->'source'->>'connectorId' as connector_id"),
      )
      .select(
        this.db.raw('count(*) filter (where not deleted) as live'),
        this.db.raw('count(*) filter (where deleted) as deleted'),
      )
      .groupByRaw('1, 2, 3')
      .orderByRaw('3, 2, 1');
    return rows.map((r) => ({
      connectorId: r.connector_id,
      sourceSystem: r.source_system,
      entityType: r.entity_type as EntityType,
      records: Number(r.live),
      deleted: Number(r.deleted),
    }));
  }

  async openTaskCounts(): Promise<Map<string, number>> {
    const rows: { kind: string; n: string | number }[] = await this.db('review_tasks')
      .select('kind')
      .count<{ kind: string; n: string | number }[]>({ n: '*' })
      .where('status', 'OPEN')
      .groupBy('kind');
    return new Map(rows.map((r) => [r.kind, Number(r.n)]));
  }

  /** A master record with the lineage of every golden attribute (a merged id resolves to its survivor). */
  async getMaster(type: EntityType, masterId: string): Promise<MasterView> {
    const row = (await this.db(MASTER_TABLE[type]).where('master_id', masterId).first()) as
      MasterDbRow | undefined;
    if (!row) throw new NotFoundError(`no ${type} with master id ${masterId}`);
    if (row.status === 'MERGED' && row.merged_into)
      return { ...(await this.getMaster(type, row.merged_into)), resolvedFrom: masterId };
    const lineage = (await this.db('attribute_lineage')
      .select(
        'attribute',
        'value',
        'rule',
        'source_system as sourceSystem',
        'source_record_id as sourceRecordId',
        'event_id as eventId',
        'pinned',
        'decided_at as decidedAt',
      )
      .where({ entity_type: type, master_id: row.master_id })
      .orderBy('attribute')) as Record<string, unknown>[];
    const sources = (await this.db('source_records')
      .select(
        'source_system as system',
        'source_record_id as recordId',
        'event_id as eventId',
        'observed_at as observedAt',
        'deleted',
      )
      .where({ entity_type: type, master_id: row.master_id })
      .orderBy(['source_system', 'source_record_id'])) as Record<string, unknown>[];
    const links = (await this.db('links')
      .select('relation', 'target_type as targetType', 'target_master_id as targetMasterId')
      .where({ from_type: type, from_master_id: row.master_id })) as Record<string, unknown>[];
    return { master: toMasterRow(type, row), lineage, sources, links, resolvedFrom: null };
  }

  async history(type: EntityType, masterId: string): Promise<Record<string, unknown>[]> {
    return this.db('master_history')
      .select(
        'version',
        'change',
        'snapshot',
        'changed_attributes as changedAttributes',
        'event_id as eventId',
        'actor',
        'reason',
        'related_master_id as relatedMasterId',
        'at',
      )
      .where({ entity_type: type, master_id: masterId })
      .orderBy('version');
  }
}
