import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of every connector instance in this process, labelled by connector id. */
export class ConnectorMetrics {
  readonly registry: Registry;
  readonly recordsRead: Counter<'connector' | 'source'>;
  readonly recordsPublished: Counter<'connector' | 'source'>;
  readonly recordsDeadLettered: Counter<'connector' | 'source' | 'reason'>;
  readonly recordsRejected: Counter<'connector' | 'source'>;
  readonly batchDuration: Histogram<'connector'>;
  readonly errors: Counter<'connector'>;
  readonly up: Gauge<'connector' | 'state'>;
  readonly newestSourceUpdate: Gauge<'connector'>;
  readonly sourceRecords: Gauge<'connector'>;
  readonly lastBatchAt: Gauge<'connector'>;

  constructor(registry: Registry = new Registry(), opts: { defaultMetrics?: boolean } = {}) {
    this.registry = registry;
    if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
    const registers = [registry];
    this.recordsRead = new Counter({
      name: 'hub_connector_records_read_total',
      help: 'Source records read',
      labelNames: ['connector', 'source'],
      registers,
    });
    this.recordsPublished = new Counter({
      name: 'hub_connector_records_published_total',
      help: 'Observations acknowledged by Kafka',
      labelNames: ['connector', 'source'],
      registers,
    });
    this.recordsDeadLettered = new Counter({
      name: 'hub_connector_records_dead_lettered_total',
      help: 'Records written to the dead-letter topic',
      labelNames: ['connector', 'source', 'reason'],
      registers,
    });
    this.recordsRejected = new Counter({
      name: 'hub_connector_records_rejected_total',
      help: 'Pushed records refused back to the sender',
      labelNames: ['connector', 'source'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'hub_connector_batch_duration_seconds',
      help: 'Read + map + publish + cursor commit of one batch',
      labelNames: ['connector'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: 'hub_connector_errors_total',
      help: 'Failed polls / batches (retried)',
      labelNames: ['connector'],
      registers,
    });
    this.up = new Gauge({
      name: 'hub_connector_state',
      help: '1 for the current state of each connector',
      labelNames: ['connector', 'state'],
      registers,
    });
    this.newestSourceUpdate = new Gauge({
      name: 'hub_connector_newest_source_update_seconds',
      help: 'Update time (epoch) of the newest record seen',
      labelNames: ['connector'],
      registers,
    });
    this.sourceRecords = new Gauge({
      name: 'hub_connector_source_records',
      help: 'Records the source says it holds (reconciliation)',
      labelNames: ['connector'],
      registers,
    });
    this.lastBatchAt = new Gauge({
      name: 'hub_connector_last_batch_timestamp_seconds',
      help: 'When the last batch committed',
      labelNames: ['connector'],
      registers,
    });
  }
}
