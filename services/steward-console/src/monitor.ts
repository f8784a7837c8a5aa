import { NotFoundError, errorMessage } from '@hub/errors';
import type { KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { listGroupLags } from './bus/lag.js';
import type { Config } from './config.js';
import type { ConsolidationClient } from './consolidation/client.js';
import type { AlertRepository, AlertRecord } from './db/alert.repository.js';
import type { DeadLetterRepository } from './db/dead-letter.repository.js';
import type { HealthRepository } from './db/health.repository.js';
import { desiredAlerts } from './domain/alerts.js';
import { evaluateOverview, type GroupLag, type HealthPolicy, type Overview } from './domain/health.js';
import type { Metrics } from './metrics.js';

export type MonitorConfig = Pick<
  Config,
  | 'HEARTBEAT_TIMEOUT_SECONDS'
  | 'DEFAULT_FRESHNESS_SLO_MINUTES'
  | 'SOURCE_SLOS'
  | 'LAG_WARN_MESSAGES'
  | 'DEAD_LETTER_RATE_PER_MINUTE'
  | 'LAG_GROWTH_MESSAGES'
  | 'ALERT_WINDOW_MINUTES'
  | 'ALERT_WEBHOOK_URL'
  | 'SAMPLE_INTERVAL_MS'
  | 'HISTORY_RETENTION_DAYS'
>;

export interface MonitorDeps {
  readonly config: MonitorConfig;
  readonly kafka: KafkaClient;
  readonly health: HealthRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly alerts: AlertRepository;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Which consumer groups to watch (all by default). */
  readonly includeGroup?: (groupId: string) => boolean;
  readonly now?: () => number;
  /** Consolidation's API, for the records it holds per source (reconciliation). */
  readonly consolidation?: Pick<ConsolidationClient, 'sourceCounts'>;
}

/** A count of consolidated records older than this is no longer used (the heartbeat basis is shown instead). */
const HUB_RECORDS_MAX_AGE_MS = 10 * 60_000;

/** How long one computed overview is served to concurrent and repeated requests. */
const OVERVIEW_CACHE_MS = 2000;

/** Window over which throughput per minute is averaged. */
const THROUGHPUT_WINDOW_MS = 5 * 60_000;

export function healthPolicy(c: MonitorConfig): HealthPolicy {
  return {
    heartbeatTimeoutMs: c.HEARTBEAT_TIMEOUT_SECONDS * 1000,
    recentErrorMs: c.ALERT_WINDOW_MINUTES * 60_000,
    lagWarnMessages: c.LAG_WARN_MESSAGES,
    freshnessSloMs: (connectorId, source) => ((c.SOURCE_SLOS[connectorId] ?? c.SOURCE_SLOS[source])?.freshnessMinutes ?? c.DEFAULT_FRESHNESS_SLO_MINUTES) * 60_000,
  };
}

/**
 * Samples what is only visible from Kafka (consumer lag) into memory and the lag time series,
 * evaluates the alert rules on the same state the overview shows, and delivers alert changes to
 * the webhook (retrying undelivered ones on the next round).
 */
export class HealthMonitor {
  private lags: readonly GroupLag[] = [];
  private lagsAt = 0;
  private lagError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private hubRecords: { at: number; byConnector: ReadonlyMap<string, number> } | undefined;
  private overviewCache: { at: number; value: Promise<Overview> } | undefined;
  private hubRecordsSampling: Promise<void> | undefined;
  readonly policy: HealthPolicy;
  private readonly now: () => number;

  constructor(private readonly d: MonitorDeps) {
    this.policy = healthPolicy(d.config);
    this.now = d.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => {
      this.running = this.sample();
    }, this.d.config.SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.hubRecordsSampling;
  }

  health(): { ok: boolean; lagsAt: number; lastError?: string } {
    return { ok: this.lagError === undefined, lagsAt: this.lagsAt, ...(this.lagError ? { lastError: this.lagError } : {}) };
  }

  /**
   * The overview, shared for OVERVIEW_CACHE_MS by every request that asks meanwhile (one computation
   * however many stewards, dashboards and scripts poll it); each sampling round refreshes it.
   */
  async overview(): Promise<Overview> {
    const now = this.now();
    const cached = this.overviewCache;
    if (cached && now >= cached.at && now - cached.at < OVERVIEW_CACHE_MS) return cached.value;
    return this.refreshOverview(now);
  }

  private refreshOverview(now: number): Promise<Overview> {
    const value = this.computeOverview(now);
    this.overviewCache = { at: now, value };
    value.catch(() => {
      if (this.overviewCache?.value === value) this.overviewCache = undefined; // a failure is not served again
    });
    return value;
  }

  private async computeOverview(now: number): Promise<Overview> {
    const [connectors, deadLetters, throughput] = await Promise.all([
      this.d.health.listConnectors(),
      this.d.deadLetters.summaries(),
      this.d.health.throughput(now - THROUGHPUT_WINDOW_MS),
    ]);
    const hub = this.hubRecords && now - this.hubRecords.at <= HUB_RECORDS_MAX_AGE_MS ? { hubRecords: this.hubRecords.byConnector } : {};
    return evaluateOverview({ connectors, deadLetters, throughput, lags: this.lags, now, ...hub }, this.policy);
  }

  latestLags(): readonly GroupLag[] {
    return this.lags;
  }

  /** One round: lag, alerts, webhook, metrics, pruning. Never throws (logged instead). */
  async sample(): Promise<void> {
    const now = this.now();
    try {
      this.lags = await listGroupLags(this.d.kafka, this.d.includeGroup ?? (() => true));
      this.lagsAt = now;
      this.lagError = undefined;
      await this.d.health.recordLagSamples(now, this.lags);
    } catch (e) {
      this.lagError = errorMessage(e);
      this.d.logger.warn({ err: this.lagError }, 'lag_sample_failed');
    }
    // In the background: the first count at province scale takes seconds and must not hold up alerts.
    this.hubRecordsSampling ??= this.sampleHubRecords(now).finally(() => {
      this.hubRecordsSampling = undefined;
    });
    try {
      const overview = await this.refreshOverview(this.now());
      const windowStart = now - this.d.config.ALERT_WINDOW_MINUTES * 60_000;
      const desired = desiredAlerts(
        { overview, deadLettersInWindow: await this.d.deadLetters.arrivedSince(windowStart), lagGrowth: await this.d.health.lagGrowth(windowStart) },
        {
          windowMinutes: this.d.config.ALERT_WINDOW_MINUTES,
          deadLetterRatePerMinute: this.d.config.DEAD_LETTER_RATE_PER_MINUTE,
          lagGrowthMessages: this.d.config.LAG_GROWTH_MESSAGES,
        },
      );
      await this.d.alerts.reconcile(desired, now);
      const firing = new Map<string, number>();
      for (const a of await this.d.alerts.firing()) firing.set(a.rule, (firing.get(a.rule) ?? 0) + 1);
      this.d.metrics.update(overview, firing);
      await this.notify(now);
      if (now - this.lastPrune > 3_600_000) {
        this.lastPrune = now;
        await this.d.health.prune(now - this.d.config.HISTORY_RETENTION_DAYS * 86_400_000);
      }
    } catch (e) {
      this.d.logger.error({ err: errorMessage(e) }, 'health_evaluation_failed');
    }
  }

  /** Records consolidation holds per connector, asked once per round (consolidation caches the count). */
  private async sampleHubRecords(now: number): Promise<void> {
    if (!this.d.consolidation) return;
    try {
      const counts = await this.d.consolidation.sourceCounts();
      const byConnector = new Map<string, number>();
      for (const c of counts.items) if (c.connectorId !== null) byConnector.set(c.connectorId, (byConnector.get(c.connectorId) ?? 0) + c.records);
      this.hubRecords = { at: now, byConnector };
    } catch (e) {
      if (e instanceof NotFoundError) this.hubRecords = undefined; // a consolidation without the endpoint
      else this.d.logger.warn({ err: errorMessage(e) }, 'source_counts_failed');
    }
  }

  private async notify(now: number): Promise<void> {
    const url = this.d.config.ALERT_WEBHOOK_URL;
    if (!url) return;
    for (const a of await this.d.alerts.pendingNotifications()) {
      const kind = a.notifiedFiringAt === null ? 'firing' : 'resolved';
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(webhookBody(a, kind)),
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
        await this.d.alerts.markNotified(a.id, kind, now);
        this.d.logger.info({ alertId: a.id, rule: a.rule, kind }, 'alert_notified');
      } catch (e) {
        this.d.metrics.webhookFailures.inc();
        this.d.logger.warn({ alertId: a.id, err: errorMessage(e) }, 'alert_webhook_failed');
        return; // keep order; try the rest next round
      }
    }
  }
}

/** What the webhook receives (README "Alerts"). */
export function webhookBody(a: AlertRecord, kind: 'firing' | 'resolved') {
  return {
    status: kind,
    alertId: a.id,
    rule: a.rule,
    subject: a.subject,
    severity: a.severity,
    message: { vi: a.vi, en: a.en },
    startedAt: new Date(a.startedAt).toISOString(),
    resolvedAt: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
  };
}
