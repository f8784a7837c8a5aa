import type { Knex } from 'knex';
import type { DossierGolden } from '@hub/schemas';
import { share, type OverdueRow, type QualityFilter, type QualityRow } from '../domain/quality.js';

const TZ = 'Asia/Ho_Chi_Minh';
/** Statuses after which a dossier is no longer open (nothing more is due). */
const CLOSED = ['RESULT_RETURNED', 'REJECTED', 'WITHDRAWN', 'STOPPED'];

const ts = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** The console's copy of the dossier golden records it needs for the indicators (master.dossier). */
export class QualityRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Upsert by master id, only forward in version: a redelivered or older golden record never
   * overwrites a newer one. DELETED and MERGED versions drop out of the indicators.
   */
  async upsert(d: DossierGolden): Promise<void> {
    const row = {
      master_id: d.masterId,
      version: d.version,
      dossier_code: d.dossierCode,
      procedure_code: d.procedureCode,
      receiving_agency_code: d.receivingAgencyCode,
      channel: d.channel,
      result_channel: d.resultChannel,
      status: d.status,
      received_at: ts(d.receivedAt),
      due_at: ts(d.dueAt),
      completed_at: ts(d.completedAt),
      on_time: d.onTime,
      deleted: d.change === 'DELETED' || d.change === 'MERGED',
      updated_at: new Date(),
    };
    await this.db('dossiers').insert(row).onConflict('master_id').merge().where('dossiers.version', '<', row.version);
  }

  /** A tombstone on master.dossier: the record was deleted or merged away; it leaves the indicators. */
  async markDeleted(masterId: string): Promise<void> {
    await this.db('dossiers').where('master_id', masterId).update({ deleted: true, updated_at: new Date() });
  }

  private filtered(f: QualityFilter): Knex.QueryBuilder {
    const q = this.db('dossiers').where('deleted', false);
    if (f.agencyCode) q.where('receiving_agency_code', f.agencyCode);
    if (f.procedureCode) q.where('procedure_code', f.procedureCode);
    return q;
  }

  /** Per agency, procedure and month: received/online by month received, completed/on-time/handling time by month completed. */
  async indicators(f: QualityFilter): Promise<QualityRow[]> {
    const month = (col: string) => this.db.raw(`to_char(${col} at time zone '${TZ}', 'YYYY-MM')`);
    const receivedQuery = this.filtered(f)
      .select(this.db.raw("coalesce(receiving_agency_code, '(none)') as agency"), this.db.raw("coalesce(procedure_code, '(none)') as procedure"))
      .select({ month: month('received_at') })
      .count({ received: '*' })
      .select(this.db.raw("count(*) filter (where channel = 'ONLINE') as online"))
      .whereNotNull('received_at')
      .groupByRaw('1, 2, 3');
    const received = (await receivedQuery) as { agency: string; procedure: string; month: string; received: string; online: string }[];
    const completedQuery = this.filtered(f)
      .select(this.db.raw("coalesce(receiving_agency_code, '(none)') as agency"), this.db.raw("coalesce(procedure_code, '(none)') as procedure"))
      .select({ month: month('completed_at') })
      .count({ completed: '*' })
      .select(this.db.raw('count(*) filter (where on_time) as on_time'))
      .select(this.db.raw('avg(extract(epoch from completed_at - received_at)) filter (where received_at is not null) as avg_seconds'))
      .select(this.db.raw("count(*) filter (where status = 'RESULT_RETURNED' and result_channel is not null) as returned"))
      .select(this.db.raw("count(*) filter (where status = 'RESULT_RETURNED' and result_channel = 'ELECTRONIC') as returned_electronic"))
      .whereNotNull('completed_at')
      .groupByRaw('1, 2, 3');
    const completed = (await completedQuery) as { agency: string; procedure: string; month: string; completed: string; on_time: string; avg_seconds: string | null; returned: string; returned_electronic: string }[];
    const rows = new Map<string, { agency: string; procedure: string; month: string; received: number; online: number; completed: number; onTime: number; avg: number | null; returned: number; electronic: number }>();
    const at = (agency: string, procedure: string, m: string) => {
      const k = `${agency}|${procedure}|${m}`;
      let r = rows.get(k);
      if (!r) {
        r = { agency, procedure, month: m, received: 0, online: 0, completed: 0, onTime: 0, avg: null, returned: 0, electronic: 0 };
        rows.set(k, r);
      }
      return r;
    };
    for (const r of received) Object.assign(at(r.agency, r.procedure, r.month), { received: Number(r.received), online: Number(r.online) });
    for (const r of completed) {
      Object.assign(at(r.agency, r.procedure, r.month), {
        completed: Number(r.completed),
        onTime: Number(r.on_time),
        avg: r.avg_seconds === null ? null : Number(r.avg_seconds) / 86_400,
        returned: Number(r.returned),
        electronic: Number(r.returned_electronic),
      });
    }
    return [...rows.values()]
      .filter((r) => (!f.fromMonth || r.month >= f.fromMonth) && (!f.toMonth || r.month <= f.toMonth))
      .sort((a, b) => b.month.localeCompare(a.month) || a.agency.localeCompare(b.agency) || a.procedure.localeCompare(b.procedure))
      .map((r) => ({
        agencyCode: r.agency,
        procedureCode: r.procedure,
        month: r.month,
        received: r.received,
        receivedOnline: r.online,
        onlineShare: share(r.online, r.received),
        completed: r.completed,
        completedOnTime: r.onTime,
        onTimeShare: share(r.onTime, r.completed),
        averageHandlingDays: r.avg === null ? null : Math.round(r.avg * 100) / 100,
        resultsReturned: r.returned,
        resultsReturnedElectronically: r.electronic,
        electronicResultShare: share(r.electronic, r.returned),
      }));
  }

  /** Open dossiers and those past their due date right now, per agency and procedure. */
  async overdueNow(f: QualityFilter, now: number): Promise<OverdueRow[]> {
    const overdueQuery = this.filtered(f)
      .select(this.db.raw("coalesce(receiving_agency_code, '(none)') as agency"), this.db.raw("coalesce(procedure_code, '(none)') as procedure"))
      .count({ open: '*' })
      .select(this.db.raw('count(*) filter (where due_at < ?) as overdue', [new Date(now)]))
      .whereNull('completed_at')
      .whereNotIn('status', CLOSED)
      .groupByRaw('1, 2')
      .orderByRaw('4 desc, 1, 2');
    const rows = (await overdueQuery) as { agency: string; procedure: string; open: string; overdue: string }[];
    return rows.map((r) => ({ agencyCode: r.agency, procedureCode: r.procedure, open: Number(r.open), overdueNow: Number(r.overdue) }));
  }

  async count(): Promise<number> {
    const r = (await this.db('dossiers').count({ n: '*' }).first()) as { n: string } | undefined;
    return Number(r?.n ?? 0);
  }
}
