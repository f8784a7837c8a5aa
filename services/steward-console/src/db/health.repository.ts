import type { Knex } from 'knex';
import type { ConnectorStatus } from '@hub/schemas';
import type { ConnectorSnapshot, GroupLag, Throughput } from '../domain/health.js';

interface ConnectorRow {
  connector_id: string;
  connector_kind: string;
  source_system: string;
  instance_id: string;
  state: string;
  cursor: string | null;
  records_read: string;
  records_published: string;
  records_dead_lettered: string;
  records_rejected: string;
  source_record_count: string | null;
  newest_source_update_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  schema_ids: number[];
  last_heartbeat_at: Date;
}

const toSnapshot = (r: ConnectorRow): ConnectorSnapshot => ({
  connectorId: r.connector_id,
  connectorKind: r.connector_kind,
  sourceSystem: r.source_system,
  instanceId: r.instance_id,
  state: r.state,
  cursor: r.cursor,
  recordsRead: Number(r.records_read),
  recordsPublished: Number(r.records_published),
  recordsDeadLettered: Number(r.records_dead_lettered),
  recordsRejected: Number(r.records_rejected),
  sourceRecordCount: r.source_record_count === null ? null : Number(r.source_record_count),
  newestSourceUpdateAt: r.newest_source_update_at?.getTime() ?? null,
  lastError: r.last_error,
  lastErrorAt: r.last_error_at?.getTime() ?? null,
  schemaIds: r.schema_ids,
  lastHeartbeatAt: r.last_heartbeat_at.getTime(),
});

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export interface SeriesPoint {
  readonly at: number;
  readonly values: Readonly<Record<string, number>>;
}

/** Heartbeats (latest per connector + time series) and lag samples: the console's health tables. */
export class HealthRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Idempotent by eventId. The latest state only moves forward in time, so a redelivered or
   * out-of-order heartbeat never overwrites a newer one.
   */
  async recordHeartbeat(s: ConnectorStatus): Promise<void> {
    await this.db.transaction(async (trx) => {
      const inserted = await trx('heartbeats')
        .insert({
          event_id: s.eventId,
          connector_id: s.connectorId,
          instance_id: s.instanceId,
          occurred_at: new Date(s.occurredAt),
          state: s.state,
          records_read: s.recordsRead,
          records_published: s.recordsPublished,
          records_dead_lettered: s.recordsDeadLettered,
          records_rejected: s.recordsRejected,
        })
        .onConflict('event_id')
        .ignore()
        .returning('id');
      if (inserted.length === 0) return;
      const row = {
        connector_id: s.connectorId,
        connector_kind: s.connectorKind,
        source_system: s.sourceSystem,
        instance_id: s.instanceId,
        state: s.state,
        cursor: s.cursor,
        records_read: s.recordsRead,
        records_published: s.recordsPublished,
        records_dead_lettered: s.recordsDeadLettered,
        records_rejected: s.recordsRejected,
        source_record_count: s.sourceRecordCount,
        newest_source_update_at: date(s.newestSourceUpdateAt),
        last_error: s.lastError,
        last_error_at: date(s.lastErrorAt),
        schema_ids: JSON.stringify(s.schemaIds),
        last_heartbeat_at: new Date(s.occurredAt),
        event_id: s.eventId,
      };
      await trx('connectors')
        .insert(row)
        .onConflict('connector_id')
        .merge()
        .where('connectors.last_heartbeat_at', '<=', row.last_heartbeat_at);
    });
  }

  async listConnectors(): Promise<ConnectorSnapshot[]> {
    const rows = (await this.db('connectors').select('*').orderBy('connector_id')) as ConnectorRow[];
    return rows.map(toSnapshot);
  }

  async findConnector(connectorId: string): Promise<ConnectorSnapshot | undefined> {
    const row = (await this.db('connectors').where('connector_id', connectorId).first()) as ConnectorRow | undefined;
    return row ? toSnapshot(row) : undefined;
  }

  /**
   * Records read and published per minute over the window, from heartbeat counters. Counters are
   * per process (instanceId), so deltas are taken per instance and summed.
   */
  async throughput(sinceMs: number): Promise<Map<string, Throughput>> {
    // Per known connector through the (connector_id, occurred_at) index: filtering on occurred_at
    // alone scanned every heartbeat kept (1.2M rows for 20 connectors over 7 days: 240 ms → 2 ms).
    const result = await this.db.raw<{ rows: { connector_id: string; dread: string; dpub: string; span: string }[] }>(
      `select c.connector_id, h.dread, h.dpub, h.span
         from connectors c
         cross join lateral (
           select max(records_read) - min(records_read) as dread,
                  max(records_published) - min(records_published) as dpub,
                  extract(epoch from max(occurred_at) - min(occurred_at)) as span
             from heartbeats
            where connector_id = c.connector_id and occurred_at >= ?
            group by instance_id) h`,
      [new Date(sinceMs)],
    );
    const rows = result.rows;
    const out = new Map<string, Throughput>();
    for (const r of rows) {
      const minutes = Number(r.span) / 60;
      if (minutes <= 0) continue;
      const prev = out.get(r.connector_id) ?? { readPerMinute: 0, publishedPerMinute: 0 };
      out.set(r.connector_id, {
        readPerMinute: prev.readPerMinute + Number(r.dread) / minutes,
        publishedPerMinute: prev.publishedPerMinute + Number(r.dpub) / minutes,
      });
    }
    return out;
  }

  /** Per-minute counts (read, published, dead-lettered, rejected) of one connector, from heartbeat deltas. */
  async connectorSeries(connectorId: string, sinceMs: number): Promise<SeriesPoint[]> {
    const result = await this.db.raw<{ rows: Record<string, string | Date>[] }>(
      `select bucket, sum(d_read) as read, sum(d_pub) as published, sum(d_dl) as dead_lettered, sum(d_rej) as rejected
         from (select date_trunc('minute', occurred_at) as bucket,
                      greatest(records_read - lag(records_read) over w, 0) as d_read,
                      greatest(records_published - lag(records_published) over w, 0) as d_pub,
                      greatest(records_dead_lettered - lag(records_dead_lettered) over w, 0) as d_dl,
                      greatest(records_rejected - lag(records_rejected) over w, 0) as d_rej
                 from heartbeats where connector_id = ? and occurred_at >= ?
               window w as (partition by instance_id order by occurred_at)) x
        group by bucket order by bucket`,
      [connectorId, new Date(sinceMs)],
    );
    return result.rows.map((r) => ({
      at: (r.bucket as Date).getTime(),
      values: { read: Number(r.read ?? 0), published: Number(r.published ?? 0), deadLettered: Number(r.dead_lettered ?? 0), rejected: Number(r.rejected ?? 0) },
    }));
  }

  async recordLagSamples(at: number, lags: readonly GroupLag[]): Promise<void> {
    if (lags.length === 0) return;
    await this.db('lag_samples').insert(lags.map((g) => ({ at: new Date(at), group_id: g.groupId, topic: g.topic, lag: g.lag })));
  }

  /** Total lag per sample time (all groups, or the groups given). */
  async lagSeries(sinceMs: number, groups?: readonly string[]): Promise<SeriesPoint[]> {
    const q = this.db('lag_samples').select('at').sum({ lag: 'lag' }).where('at', '>=', new Date(sinceMs)).groupBy('at').orderBy('at');
    if (groups) q.whereIn('group_id', groups);
    const rows = (await q) as { at: Date; lag: string }[];
    return rows.map((r) => ({ at: r.at.getTime(), values: { lag: Number(r.lag) } }));
  }

  /** Lag at the oldest sample in the window and at the newest, per group and topic. */
  async lagGrowth(sinceMs: number): Promise<{ groupId: string; topic: string; from: number; to: number }[]> {
    const result = await this.db.raw<{ rows: { group_id: string; topic: string; first: string; last: string }[] }>(
      `select group_id, topic,
              (array_agg(lag order by at asc))[1] as first,
              (array_agg(lag order by at desc))[1] as last
         from lag_samples where at >= ? group by group_id, topic`,
      [new Date(sinceMs)],
    );
    return result.rows.map((r) => ({ groupId: r.group_id, topic: r.topic, from: Number(r.first), to: Number(r.last) }));
  }

  /** Drop time series older than the retention (latest states are kept). */
  async prune(beforeMs: number): Promise<void> {
    await this.db('heartbeats').where('occurred_at', '<', new Date(beforeMs)).delete();
    await this.db('lag_samples').where('at', '<', new Date(beforeMs)).delete();
  }
}
