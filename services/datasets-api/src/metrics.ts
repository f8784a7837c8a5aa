import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DATASETS, type Dataset } from './domain/scopes.js';

export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly changes: Counter<'dataset' | 'outcome'>;
  readonly accessLogRows: Counter<'dataset'>;
}

/** Prometheus metrics; `freshness` is read from the read model at scrape time (never assumed). */
export function createMetrics(freshness: (dataset: Dataset) => Promise<Date | null>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hub_datasets_api_' });
  const httpDuration = new Histogram({
    name: 'hub_datasets_api_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const changes = new Counter({
    name: 'hub_datasets_api_read_model_messages_total',
    help: 'Master-topic messages by outcome: applied, duplicate, stale, unknown-record, already-gone.',
    labelNames: ['dataset', 'outcome'] as const,
    registers: [registry],
  });
  const accessLogRows = new Counter({
    name: 'hub_datasets_api_access_log_rows_total',
    help: 'Access-log rows written (responses that contained personal data).',
    labelNames: ['dataset'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'hub_datasets_api_newest_change_age_seconds',
    help: 'Age of the newest change applied to the read model, per dataset (-1 when none yet).',
    labelNames: ['dataset'] as const,
    registers: [registry],
    async collect() {
      for (const dataset of DATASETS) {
        const at = await freshness(dataset).catch(() => null);
        this.set({ dataset }, at === null ? -1 : (Date.now() - at.getTime()) / 1000);
      }
    },
  });
  return { registry, httpDuration, changes, accessLogRows };
}
