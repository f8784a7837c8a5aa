import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Overview } from './domain/health.js';

const LIGHT = { green: 0, amber: 1, red: 2 } as const;

/** The console's Prometheus metrics; names end in their unit (STYLE.md). */
export class Metrics {
  readonly registry = new Registry();
  readonly overallStatus = new Gauge({ name: 'hub_console_overall_status_level', help: 'Overall hub health: 0 green, 1 amber, 2 red', registers: [this.registry] });
  readonly sourceStatus = new Gauge({ name: 'hub_console_source_status_level', help: 'Per-source health: 0 green, 1 amber, 2 red', labelNames: ['connector', 'source'], registers: [this.registry] });
  readonly connectorUp = new Gauge({ name: 'hub_console_connector_up_ratio', help: '1 when the connector heartbeat is within the timeout', labelNames: ['connector'], registers: [this.registry] });
  readonly heartbeatAge = new Gauge({ name: 'hub_console_connector_heartbeat_age_seconds', help: 'Age of the last heartbeat', labelNames: ['connector'], registers: [this.registry] });
  readonly freshness = new Gauge({ name: 'hub_console_source_freshness_seconds', help: 'Age of the newest source record seen', labelNames: ['connector', 'source'], registers: [this.registry] });
  readonly freshnessSlo = new Gauge({ name: 'hub_console_source_freshness_slo_seconds', help: 'Freshness SLO of the source', labelNames: ['connector', 'source'], registers: [this.registry] });
  readonly reconciliation = new Gauge({ name: 'hub_console_reconciliation_difference_records', help: 'Source record count minus hub count', labelNames: ['connector', 'source'], registers: [this.registry] });
  readonly deadLetters = new Gauge({ name: 'hub_console_dead_letters_open_messages', help: 'Dead letters not replayed, per dead-letter topic', labelNames: ['topic'], registers: [this.registry] });
  readonly lag = new Gauge({ name: 'hub_console_consumer_lag_messages', help: 'Consumer group lag (end offset minus committed)', labelNames: ['group', 'topic'], registers: [this.registry] });
  readonly alertsFiring = new Gauge({ name: 'hub_console_alerts_firing_count', help: 'Alerts firing, per rule', labelNames: ['rule'], registers: [this.registry] });
  readonly replays = new Counter({ name: 'hub_console_replays_total', help: 'Dead letters replayed', labelNames: ['outcome'], registers: [this.registry] });
  readonly webhookFailures = new Counter({ name: 'hub_console_alert_webhook_failures_total', help: 'Alert webhook deliveries that failed', registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'hub_console_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'hub_console_' });
  }

  /** Gauges follow the latest overview; series of vanished connectors/groups are dropped. */
  update(o: Overview, firing: ReadonlyMap<string, number>): void {
    for (const g of [this.sourceStatus, this.connectorUp, this.heartbeatAge, this.freshness, this.freshnessSlo, this.reconciliation, this.deadLetters, this.lag, this.alertsFiring]) g.reset();
    this.overallStatus.set(LIGHT[o.light]);
    for (const s of o.sources) {
      const labels = { connector: s.connector.connectorId, source: s.connector.sourceSystem };
      this.sourceStatus.set(labels, LIGHT[s.light]);
      this.connectorUp.set({ connector: labels.connector }, s.up ? 1 : 0);
      this.heartbeatAge.set({ connector: labels.connector }, s.heartbeatAgeMs / 1000);
      if (s.freshness.ageMs !== null) this.freshness.set(labels, s.freshness.ageMs / 1000);
      this.freshnessSlo.set(labels, s.freshness.sloMs / 1000);
      if (s.reconciliation.difference !== null) this.reconciliation.set(labels, s.reconciliation.difference);
      if (s.deadLetters) this.deadLetters.set({ topic: s.deadLetters.topic }, s.deadLetters.open);
    }
    for (const d of o.otherDeadLetters) this.deadLetters.set({ topic: d.topic }, d.open);
    for (const c of o.consumers) this.lag.set({ group: c.groupId, topic: c.topic }, c.lag);
    for (const [rule, n] of firing) this.alertsFiring.set({ rule }, n);
  }
}
