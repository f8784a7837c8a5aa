import type { Knex } from 'knex';
import { alertKey, type DesiredAlert } from '../domain/alerts.js';

export interface AlertRecord {
  readonly id: number;
  readonly rule: string;
  readonly subject: string;
  readonly severity: string;
  readonly vi: string;
  readonly en: string;
  readonly startedAt: number;
  readonly resolvedAt: number | null;
  readonly notifiedFiringAt: number | null;
  readonly notifiedResolvedAt: number | null;
}

interface AlertRow {
  id: string;
  rule: string;
  subject: string;
  severity: string;
  message_vi: string;
  message_en: string;
  started_at: Date;
  resolved_at: Date | null;
  notified_firing_at: Date | null;
  notified_resolved_at: Date | null;
}

const toRecord = (r: AlertRow): AlertRecord => ({
  id: Number(r.id),
  rule: r.rule,
  subject: r.subject,
  severity: r.severity,
  vi: r.message_vi,
  en: r.message_en,
  startedAt: r.started_at.getTime(),
  resolvedAt: r.resolved_at?.getTime() ?? null,
  notifiedFiringAt: r.notified_firing_at?.getTime() ?? null,
  notifiedResolvedAt: r.notified_resolved_at?.getTime() ?? null,
});

export class AlertRepository {
  constructor(private readonly db: Knex) {}

  /** Open new alerts, refresh the text of firing ones, resolve the ones no longer desired. */
  async reconcile(desired: readonly DesiredAlert[], now: number): Promise<void> {
    const firing = await this.firing();
    const want = new Map(desired.map((d) => [alertKey(d), d]));
    for (const a of firing) {
      const d = want.get(alertKey(a));
      if (d) await this.db('alerts').where('id', a.id).update({ message_vi: d.vi, message_en: d.en, severity: d.severity });
      else await this.db('alerts').where('id', a.id).update({ resolved_at: new Date(now) });
    }
    const have = new Set(firing.map(alertKey));
    const fresh = desired.filter((d) => !have.has(alertKey(d)));
    if (fresh.length) {
      await this.db('alerts')
        .insert(fresh.map((d) => ({ rule: d.rule, subject: d.subject, severity: d.severity, message_vi: d.vi, message_en: d.en, started_at: new Date(now) })))
        .onConflict(this.db.raw('(rule, subject) where resolved_at is null'))
        .ignore();
    }
  }

  async firing(): Promise<AlertRecord[]> {
    return ((await this.db('alerts').whereNull('resolved_at').orderBy('started_at')) as AlertRow[]).map(toRecord);
  }

  async recent(limit: number): Promise<AlertRecord[]> {
    return ((await this.db('alerts').orderBy('id', 'desc').limit(limit)) as AlertRow[]).map(toRecord);
  }

  /** Alerts whose firing or resolution has not been delivered to the webhook yet. */
  async pendingNotifications(): Promise<AlertRecord[]> {
    const rows = (await this.db('alerts')
      .whereRaw('notified_firing_at is null or (resolved_at is not null and notified_resolved_at is null)')
      .orderBy('id')
      .limit(100)) as AlertRow[];
    return rows.map(toRecord);
  }

  async markNotified(id: number, kind: 'firing' | 'resolved', now: number): Promise<void> {
    await this.db('alerts').where('id', id).update(kind === 'firing' ? { notified_firing_at: new Date(now) } : { notified_resolved_at: new Date(now) });
  }
}
