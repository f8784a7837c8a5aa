import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '@hub/errors';
import type { Coordinates, DeadLetterEntry } from '../domain/dead-letter.js';
import type { DeadLetterSummary } from '../domain/health.js';

interface DeadLetterRow {
  id: string;
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  connector_id: string;
  reason: string;
  error: string | null;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  dead_lettered_at: Date;
  consumer: string | null;
  replay_of: string | null;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  replays?: string;
  last_replayed_at?: Date | null;
  last_replayed_by?: string | null;
}

export interface StoredDeadLetter extends DeadLetterEntry {
  readonly id: number;
  readonly replays: number;
  readonly lastReplayedAt: number | null;
  readonly lastReplayedBy: string | null;
}

const toStored = (r: DeadLetterRow): StoredDeadLetter => ({
  id: Number(r.id),
  dlq: { topic: r.dlq_topic, partition: r.dlq_partition, offset: r.dlq_offset },
  connectorId: r.connector_id,
  reason: r.reason,
  error: r.error,
  source: r.source_topic === null ? undefined : { topic: r.source_topic, partition: r.source_partition ?? 0, offset: r.source_offset ?? '0' },
  deadLetteredAt: r.dead_lettered_at.getTime(),
  consumer: r.consumer,
  replayOf: r.replay_of,
  key: r.key,
  value: r.value,
  headers: r.headers,
  replays: Number(r.replays ?? 0),
  lastReplayedAt: r.last_replayed_at?.getTime() ?? null,
  lastReplayedBy: r.last_replayed_by ?? null,
});

export interface DeadLetterFilter {
  readonly topic?: string;
  readonly reason?: string;
  /** Only those never replayed. */
  readonly open?: boolean;
  readonly limit: number;
  readonly afterId?: number;
}

export class DeadLetterRepository {
  constructor(private readonly db: Knex) {}

  /** Idempotent by dlq coordinates: re-reading a dlq topic after a crash stores nothing twice. */
  async store(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db('dead_letters')
      .insert(
        entries.map((e) => ({
          dlq_topic: e.dlq.topic,
          dlq_partition: e.dlq.partition,
          dlq_offset: e.dlq.offset,
          connector_id: e.connectorId,
          reason: e.reason,
          error: e.error,
          source_topic: e.source?.topic ?? null,
          source_partition: e.source?.partition ?? null,
          source_offset: e.source?.offset ?? null,
          dead_lettered_at: new Date(e.deadLetteredAt),
          consumer: e.consumer,
          replay_of: e.replayOf,
          key: e.key,
          value: e.value,
          headers: JSON.stringify(e.headers),
        })),
      )
      .onConflict(['dlq_topic', 'dlq_partition', 'dlq_offset'])
      .ignore();
  }

  private base(): Knex.QueryBuilder {
    return this.db('dead_letters as d')
      .select('d.*')
      .select(this.db.raw('(select count(*) from replays r where r.dead_letter_id = d.id) as replays'))
      .select(this.db.raw('(select max(replayed_at) from replays r where r.dead_letter_id = d.id) as last_replayed_at'))
      .select(this.db.raw('(select replayed_by from replays r where r.dead_letter_id = d.id order by attempt desc limit 1) as last_replayed_by'));
  }

  async list(f: DeadLetterFilter): Promise<StoredDeadLetter[]> {
    const q = this.base().orderBy('d.id', 'desc').limit(f.limit);
    if (f.topic) q.where('d.dlq_topic', f.topic);
    if (f.reason) q.where('d.reason', f.reason);
    if (f.open) q.whereNotExists(this.db('replays as r').select(this.db.raw('1')).whereRaw('r.dead_letter_id = d.id'));
    if (f.afterId !== undefined) q.where('d.id', '<', f.afterId);
    return ((await q) as DeadLetterRow[]).map(toStored);
  }

  /** Ids of every dead letter matching the filter that was never replayed ("replay all"). */
  async openIds(f: { topic?: string; reason?: string }, max: number): Promise<number[]> {
    const q = this.db('dead_letters as d').select('d.id').orderBy('d.id').limit(max);
    if (f.topic) q.where('d.dlq_topic', f.topic);
    if (f.reason) q.where('d.reason', f.reason);
    q.whereNotExists(this.db('replays as r').select(this.db.raw('1')).whereRaw('r.dead_letter_id = d.id'));
    return ((await q) as { id: string }[]).map((r) => Number(r.id));
  }

  async get(id: number): Promise<StoredDeadLetter> {
    const row = (await this.base().where('d.id', id).first()) as DeadLetterRow | undefined;
    if (!row) throw new NotFoundError(`không có bản ghi lỗi / no dead letter with id ${id}`);
    return toStored(row);
  }

  /** Per dead-letter topic: open and replayed counts, top reasons (open ones), newest arrival. */
  async summaries(): Promise<DeadLetterSummary[]> {
    const result = await this.db.raw<{ rows: { dlq_topic: string; connector_id: string; reason: string; open: string; replayed: string; last_at: Date }[] }>(
      // One join with the replayed ids rather than two correlated subqueries per row: the latter's
      // estimated cost crossed PostgreSQL's JIT thresholds at 40k dead letters, and compiling took
      // ~2 s per call for 0.1 s of work (services/steward-console/BENCHMARK.md).
      `select d.dlq_topic, d.connector_id, d.reason,
              count(*) filter (where r.dead_letter_id is null) as open,
              count(r.dead_letter_id) as replayed,
              max(d.dead_lettered_at) as last_at
         from dead_letters d
         left join (select distinct dead_letter_id from replays) r on r.dead_letter_id = d.id
        group by d.dlq_topic, d.connector_id, d.reason`,
    );
    const byTopic = new Map<string, { connectorId: string; open: number; replayed: number; reasons: { reason: string; count: number }[]; lastAt: number }>();
    for (const r of result.rows) {
      const t = byTopic.get(r.dlq_topic) ?? { connectorId: r.connector_id, open: 0, replayed: 0, reasons: [], lastAt: 0 };
      t.open += Number(r.open);
      t.replayed += Number(r.replayed);
      if (Number(r.open) > 0) t.reasons.push({ reason: r.reason, count: Number(r.open) });
      t.lastAt = Math.max(t.lastAt, r.last_at.getTime());
      byTopic.set(r.dlq_topic, t);
    }
    return [...byTopic.entries()]
      .map(([topic, t]) => ({
        topic,
        connectorId: t.connectorId,
        open: t.open,
        replayed: t.replayed,
        topReasons: t.reasons.sort((a, b) => b.count - a.count).slice(0, 5),
        lastAt: t.lastAt || null,
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** Dead letters that arrived since `sinceMs`, per topic (for the dead-letter-rate alert). */
  async arrivedSince(sinceMs: number): Promise<Map<string, number>> {
    const rows = await this.db('dead_letters')
      .select('dlq_topic')
      .count<{ dlq_topic: string; n: string }[]>({ n: '*' })
      .where('dead_lettered_at', '>=', new Date(sinceMs))
      .groupBy('dlq_topic');
    return new Map(rows.map((r) => [r.dlq_topic, Number(r.n)]));
  }

  /** Dead letters per minute for one topic. */
  async series(topic: string, sinceMs: number): Promise<{ at: number; values: { deadLetters: number } }[]> {
    const rows = await this.db('dead_letters')
      .select(this.db.raw("date_trunc('minute', dead_lettered_at) as bucket"))
      .count<{ bucket: Date; n: string }[]>({ n: '*' })
      .where('dlq_topic', topic)
      .where('dead_lettered_at', '>=', new Date(sinceMs))
      .groupByRaw('1')
      .orderByRaw('1');
    return rows.map((r) => ({ at: r.bucket.getTime(), values: { deadLetters: Number(r.n) } }));
  }

  /**
   * Claim the next replay attempt inside `trx`. Without `force`, a dead letter that was replayed
   * before is refused (ConflictError): the unique (dead_letter_id, attempt) key makes two
   * concurrent replays of the same dead letter impossible, not just unlikely.
   */
  async claimReplay(trx: Knex.Transaction, id: number, by: string, reason: string | null, targetTopic: string, force: boolean): Promise<number> {
    await trx('dead_letters').where('id', id).forUpdate().first();
    const row = (await trx('replays').max({ attempt: 'attempt' }).where('dead_letter_id', id).first()) as { attempt: number | null } | undefined;
    const previous = row?.attempt ?? 0;
    if (previous > 0 && !force) {
      throw new ConflictError(`bản ghi lỗi ${id} đã được phát lại / dead letter ${id} was already replayed (${previous}×); an admin may force another replay`);
    }
    const [inserted] = await trx('replays')
      .insert({ dead_letter_id: id, attempt: previous + 1, replayed_by: by, reason, target_topic: targetTopic })
      .returning<{ id: string }[]>('id');
    return Number(inserted?.id);
  }

  async completeReplay(trx: Knex.Transaction, replayId: number, target: Coordinates): Promise<void> {
    await trx('replays').where('id', replayId).update({ target_partition: target.partition, target_offset: target.offset });
  }

  async replaysOf(id: number): Promise<{ attempt: number; replayedBy: string; replayedAt: number; target: string; reason: string | null }[]> {
    const rows = (await this.db('replays').where('dead_letter_id', id).orderBy('attempt')) as {
      attempt: number;
      replayed_by: string;
      replayed_at: Date;
      target_topic: string;
      target_partition: number | null;
      target_offset: string | null;
      reason: string | null;
    }[];
    return rows.map((r) => ({
      attempt: r.attempt,
      replayedBy: r.replayed_by,
      replayedAt: r.replayed_at.getTime(),
      target: `${r.target_topic}/${r.target_partition ?? '?'}/${r.target_offset ?? '?'}`,
      reason: r.reason,
    }));
  }

  async reasons(topic?: string): Promise<{ reason: string; count: number }[]> {
    const q = this.db('dead_letters').select('reason').count<{ reason: string; n: string }[]>({ n: '*' }).groupBy('reason').orderBy('n', 'desc');
    if (topic) q.where('dlq_topic', topic);
    return (await q).map((r) => ({ reason: r.reason, count: Number(r.n) }));
  }
}
