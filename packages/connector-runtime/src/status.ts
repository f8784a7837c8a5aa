import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { ConnectorState, ConnectorStatusInput } from '@hub/schemas';
import type { ConnectorMetrics } from './metrics.js';

export interface StatusCounts {
  read: number;
  published: number;
  deadLettered: number;
  rejected: number;
}

const STATES: readonly ConnectorState[] = ['STARTING', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED'];

/**
 * Counts, cursor, freshness and last error of one connector instance: the content of its heartbeat
 * on `hub.connector-status` and of its Prometheus metrics. Counts are since this process started;
 * consumers compare successive heartbeats of one instanceId.
 */
export class StatusTracker {
  state: ConnectorState = 'STARTING';
  cursor: string | null = null;
  readonly counts: StatusCounts = { read: 0, published: 0, deadLettered: 0, rejected: 0 };
  sourceRecordCount: number | null = null;
  newestSourceUpdateAt: number | null = null;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  schemaIds: number[] = [];
  readonly instanceId = `${hostname()}:${process.pid}`;
  private sequence = 0;

  constructor(
    readonly connectorId: string,
    readonly connectorKind: string,
    readonly sourceSystem: string,
    private readonly metrics: ConnectorMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.setState('STARTING');
  }

  setState(state: ConnectorState): void {
    this.state = state;
    for (const s of STATES)
      this.metrics.up.set({ connector: this.connectorId, state: s }, s === state ? 1 : 0);
  }

  read(n: number): void {
    this.counts.read += n;
    this.metrics.recordsRead.inc({ connector: this.connectorId, source: this.sourceSystem }, n);
  }

  published(n: number, newestUpdateAt?: number | null): void {
    this.counts.published += n;
    this.metrics.recordsPublished.inc({ connector: this.connectorId, source: this.sourceSystem }, n);
    if (
      newestUpdateAt !== undefined &&
      newestUpdateAt !== null &&
      newestUpdateAt > (this.newestSourceUpdateAt ?? -Infinity)
    ) {
      this.newestSourceUpdateAt = newestUpdateAt;
      this.metrics.newestSourceUpdate.set({ connector: this.connectorId }, newestUpdateAt / 1000);
    }
  }

  deadLettered(n: number, reason: string): void {
    this.counts.deadLettered += n;
    this.metrics.recordsDeadLettered.inc(
      { connector: this.connectorId, source: this.sourceSystem, reason },
      n,
    );
  }

  rejected(n: number): void {
    this.counts.rejected += n;
    this.metrics.recordsRejected.inc({ connector: this.connectorId, source: this.sourceSystem }, n);
  }

  committed(cursor: string | null): void {
    this.cursor = cursor;
    this.metrics.lastBatchAt.set({ connector: this.connectorId }, this.now() / 1000);
  }

  setSourceCount(n: number): void {
    this.sourceRecordCount = n;
    this.metrics.sourceRecords.set({ connector: this.connectorId }, n);
  }

  error(message: string): void {
    this.lastError = message.slice(0, 2000);
    this.lastErrorAt = this.now();
    this.metrics.errors.inc({ connector: this.connectorId });
  }

  clearError(): void {
    this.lastError = null;
  }

  snapshot(): ConnectorStatusInput {
    const at = this.now();
    const eventId = createHash('sha256')
      .update(`${this.instanceId}:${this.connectorId}:${at}:${this.sequence++}`)
      .digest('hex')
      .slice(0, 32);
    return {
      eventId,
      occurredAt: at,
      connectorId: this.connectorId,
      connectorKind: this.connectorKind,
      sourceSystem: this.sourceSystem,
      instanceId: this.instanceId,
      state: this.state,
      cursor: this.cursor,
      recordsRead: this.counts.read,
      recordsPublished: this.counts.published,
      recordsDeadLettered: this.counts.deadLettered,
      recordsRejected: this.counts.rejected,
      sourceRecordCount: this.sourceRecordCount,
      newestSourceUpdateAt: this.newestSourceUpdateAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      schemaIds: this.schemaIds,
    };
  }
}
