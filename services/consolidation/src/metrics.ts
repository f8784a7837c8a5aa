import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one consolidation instance (own registry: several instances may share a process in tests). */
export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    observations: new Counter({
      name: 'hub_consolidation_observations_total',
      help: 'Observations consumed, by entity type and result (created, matched, merged, review, stale, deleted, unchanged, duplicate, dead_lettered).',
      labelNames: ['entity', 'result'] as const,
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'hub_consolidation_batch_duration_seconds',
      help: 'Time to apply one consumed batch in one PostgreSQL transaction.',
      labelNames: ['entity'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'hub_consolidation_outbox_published_total',
      help: 'Golden records and tombstones published to master.* topics.',
      labelNames: ['entity', 'kind'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'hub_consolidation_outbox_pending_messages',
      help: 'Outbox rows not yet published.',
      registers: [registry],
    }),
    reviewOpen: new Gauge({
      name: 'hub_consolidation_review_tasks_open',
      help: 'Open steward review tasks by kind.',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
