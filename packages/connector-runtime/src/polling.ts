import type { Logger } from '@hub/log';
import { backoffDelay } from '@hub/kafka';
import { errorMessage } from '@hub/errors';
import type { ConnectorState } from '@hub/schemas';
import type { CursorStore, KnownKey } from './db/cursor-store.js';
import type { Mapper, SourceRecord } from './mapping/engine.js';
import { toBadRecord, type BadRecord, type GoodRecord, type ObservationSink } from './sink.js';
import type { StatusTracker } from './status.js';
import type { ConnectorMetrics } from './metrics.js';

/** A batch read from a source, and the position just after it. */
export interface SourceBatch {
  readonly records: readonly SourceRecord[];
  /** Opaque position after these records (JSON text), stored only after Kafka acknowledged them. */
  readonly cursor: string | undefined;
  /** True when more records are ready now (read again at once rather than after the poll interval). */
  readonly more: boolean;
  /** Records that could not even be parsed (a broken CSV line): dead-lettered as they are. */
  readonly unparsable?: readonly BadRecord[];
}

/** What a pulled source (database, REST API, folder) implements; the runtime does the rest. */
export interface PollSource {
  open(): Promise<void>;
  close(): Promise<void>;
  /** The records after `cursor` (undefined = from the start), at most `limit` of them. */
  read(cursor: string | undefined, limit: number): Promise<SourceBatch>;
  /** How many records the source holds now (reconciliation). */
  count?(): Promise<number>;
  /** Every record id the source holds now (delete detection by key comparison). */
  listKeys?(): Promise<Set<string>>;
  /** Called after a batch's cursor was committed (e.g. to move a finished file). */
  committed?(cursor: string | undefined): Promise<void>;
  /**
   * True when `read` has no side effects and depends on nothing but its cursor (a keyset query):
   * the runtime may then read and map the next batch, after a cursor not yet committed, while Kafka
   * acknowledges the current one. Cursors are still committed one batch at a time, in order, after
   * the acknowledgement. Leave it unset for sources whose `read` or `committed` change state
   * (a drop folder moving files).
   */
  readonly readAhead?: boolean;
}

/** A batch read and mapped, not yet published. */
interface PreparedBatch {
  readonly batch: SourceBatch;
  readonly good: GoodRecord[];
  readonly bad: BadRecord[];
}

/** Start/stop/pause/resume, as every connector instance exposes them. */
export interface ConnectorInstance {
  readonly id: string;
  readonly status: StatusTracker;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  health(): { ok: boolean; state: ConnectorState };
}

export interface PollingConnectorOptions {
  readonly id: string;
  readonly source: PollSource;
  readonly sink: ObservationSink;
  readonly cursors: CursorStore;
  readonly mapper: Mapper;
  readonly status: StatusTracker;
  readonly metrics: ConnectorMetrics;
  readonly logger: Logger;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly countIntervalMs: number;
  /** Compare the source's keys with the published ones every so often and publish deletions. */
  readonly deleteComparisonIntervalMs?: number;
  /** Backoff after a failed poll (source or Kafka down): doubles up to maxMs. */
  readonly retry?: { baseMs: number; maxMs: number };
}

/**
 * The loop every pulled connector runs: read a batch after the stored cursor → map → publish the
 * good records and dead-letter the bad ones → once Kafka acknowledged both, commit the cursor.
 * A crash between publish and commit re-reads the batch and re-sends the same events with the same
 * (deterministic) eventIds: nothing is lost, and duplicates are exact repeats consumers drop.
 * Failures (source or Kafka down) are retried with backoff from the last committed cursor.
 *
 * Pipelining (sources with `readAhead`): while batch n is published and acknowledged, batch n+1 is
 * read (after batch n's cursor) and mapped. Only one batch is ever being published, and a cursor is
 * committed only after its own batch — and therefore every earlier one — was acknowledged. A batch
 * read ahead is dropped, never published, when batch n fails or the connector stops or pauses; the
 * next attempt reads again from the committed cursor.
 */
export class PollingConnector implements ConnectorInstance {
  readonly id: string;
  readonly status: StatusTracker;
  private cursor: string | undefined;
  private stopping = false;
  private paused = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastCount = 0;
  private lastComparison = 0;
  private failures = 0;

  constructor(private readonly opts: PollingConnectorOptions) {
    this.id = opts.id;
    this.status = opts.status;
  }

  async start(): Promise<void> {
    this.status.setState('STARTING');
    await this.opts.source.open();
    await this.opts.sink.start();
    this.status.schemaIds = this.opts.sink.schemaIds;
    this.cursor = await this.opts.cursors.load(this.id);
    this.status.committed(this.cursor ?? null);
    this.status.setState(this.paused ? 'PAUSED' : 'RUNNING');
    this.opts.logger.info({ connectorId: this.id, cursor: this.cursor ?? null }, 'connector_started');
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.opts.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    await this.heartbeat();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    await this.loop;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.status.setState('STOPPED');
    await this.heartbeat();
    await this.opts.sink.stop().catch(() => undefined);
    await this.opts.source.close().catch(() => undefined);
    this.opts.logger.info({ connectorId: this.id }, 'connector_stopped');
  }

  /** Finish the batch in hand, then read nothing until resumed. */
  async pause(): Promise<void> {
    this.paused = true;
    this.status.setState('PAUSED');
    await this.heartbeat();
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.status.setState('RUNNING');
    this.wake?.();
    await this.heartbeat();
  }

  health(): { ok: boolean; state: ConnectorState } {
    return {
      ok: this.status.state === 'RUNNING' || this.status.state === 'PAUSED',
      state: this.status.state,
    };
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.opts.sink.heartbeat(this.status.snapshot());
    } catch (e) {
      this.opts.logger.warn({ connectorId: this.id, err: errorMessage(e) }, 'heartbeat_failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.paused) {
        await this.sleep(60_000);
        continue;
      }
      try {
        const more = await this.batches();
        if (!more && !this.stopping) await this.sleep(this.opts.pollIntervalMs);
      } catch (e) {
        this.failures++;
        const message = errorMessage(e);
        this.status.error(message);
        if (this.failures >= 3) this.status.setState('FAILED');
        const delay = backoffDelay(this.failures - 1, {
          baseMs: this.opts.retry?.baseMs ?? 500,
          maxMs: this.opts.retry?.maxMs ?? 30_000,
          jitter: 0.3,
        });
        this.opts.logger.warn(
          { connectorId: this.id, err: message, attempt: this.failures, delayMs: delay },
          'poll_failed',
        );
        await this.heartbeat();
        if (!this.stopping) await this.sleep(delay);
        // Start again from what is durably committed: the failed batch is read again.
        this.cursor = await this.opts.cursors.load(this.id).catch(() => this.cursor);
      }
    }
  }

  /**
   * Batches end to end, one after the other, while the source has more ready (and the connector is
   * neither stopping nor paused). With `readAhead` the next batch is read and mapped while the current
   * one is being acknowledged. Returns whether more records are ready now.
   */
  private async batches(): Promise<boolean> {
    const readAhead = this.opts.source.readAhead === true;
    let pending: Promise<PreparedBatch> | undefined = this.prepare(this.cursor);
    try {
      for (;;) {
        // Read + map (what of it was not overlapped with the previous batch) + publish + commit.
        const timer = this.opts.metrics.batchDuration.startTimer({ connector: this.id });
        const current: PreparedBatch = await pending;
        pending = undefined;
        const goOn = () => current.batch.more && !this.stopping && !this.paused;
        // Read after a cursor that is not committed yet: it is committed only after `current`.
        if (readAhead && goOn()) pending = quiet(this.prepare(current.batch.cursor));
        await this.deliver(current);
        timer();
        if (this.failures > 0) {
          this.failures = 0;
          this.status.setState(this.paused ? 'PAUSED' : 'RUNNING');
          this.status.clearError();
        }
        await this.periodic(current.batch.more);
        if (!goOn()) return current.batch.more;
        pending ??= this.prepare(this.cursor);
      }
    } finally {
      // A batch read ahead and not delivered (failure, stop, pause) is dropped: the next run reads it
      // again from the committed cursor. Wait for its read to end so the source can be closed.
      if (pending) await pending.catch(() => undefined);
    }
  }

  /** Read a batch after `cursor` and map it (no Kafka, no cursor). */
  private async prepare(cursor: string | undefined): Promise<PreparedBatch> {
    const batch = await this.opts.source.read(cursor, this.opts.batchSize);
    const good: GoodRecord[] = [];
    const bad: BadRecord[] = [...(batch.unparsable ?? [])];
    for (const record of batch.records) {
      const m = this.opts.mapper.map(record);
      if (m.ok)
        good.push({
          key: m.key,
          value: m.value,
          recordId: m.recordId,
          raw: m.raw,
          ...(m.location ? { location: m.location } : {}),
        });
      else bad.push(toBadRecord(m));
    }
    return { batch, good, bad };
  }

  /** Publish a prepared batch, dead-letter its bad records, and once Kafka acknowledged both, commit its cursor. */
  private async deliver({ batch, good, bad }: PreparedBatch): Promise<void> {
    this.status.read(batch.records.length + (batch.unparsable?.length ?? 0));
    const delivery = await this.opts.sink.publish(good);
    const upsertKeys: KnownKey[] = [];
    let newest: number | null = null;
    delivery.outcomes.forEach((o, i) => {
      const g = good[i] as GoodRecord;
      if (!o.ok) {
        bad.push(o.bad);
        return;
      }
      const updatedAt = (g.value.source as { updatedAt?: number | null }).updatedAt ?? null;
      if (updatedAt !== null && (newest === null || updatedAt > newest)) newest = updatedAt;
      if (this.opts.deleteComparisonIntervalMs !== undefined && g.value.operation !== 'DELETE') {
        upsertKeys.push({
          recordId: g.recordId,
          versionToken: g.value.eventId,
          identity: this.opts.mapper.identityOf(g.value),
        });
      }
    });
    await this.opts.sink.deadLetter(bad);
    const deleted = delivery.outcomes.flatMap((o, i) =>
      o.ok && good[i]?.value.operation === 'DELETE' ? [good[i].recordId] : [],
    );
    await this.opts.cursors.commit(this.id, { cursor: batch.cursor, upsertKeys, deleteKeys: deleted });
    this.cursor = batch.cursor;
    await this.opts.source.committed?.(batch.cursor);
    this.status.published(delivery.published, newest);
    for (const b of bad) this.status.deadLettered(1, b.reason);
    this.status.committed(batch.cursor ?? null);
    if (bad.length > 0)
      this.opts.logger.warn({ connectorId: this.id, deadLettered: bad.length }, 'records_dead_lettered');
    if (batch.records.length > 0)
      this.opts.logger.debug(
        { connectorId: this.id, read: batch.records.length, published: delivery.published },
        'batch_committed',
      );
  }

  private async periodic(more: boolean): Promise<void> {
    const now = Date.now();
    if (
      this.opts.source.count &&
      this.opts.countIntervalMs > 0 &&
      now - this.lastCount >= this.opts.countIntervalMs
    ) {
      this.lastCount = now;
      this.status.setSourceCount(await this.opts.source.count());
    }
    const every = this.opts.deleteComparisonIntervalMs;
    if (every !== undefined && this.opts.source.listKeys && !more && now - this.lastComparison >= every) {
      this.lastComparison = now;
      await this.compareKeys(this.opts.source.listKeys.bind(this.opts.source));
    }
  }

  /** Publish a DELETE for every key published earlier that the source no longer holds. */
  private async compareKeys(listKeys: () => Promise<Set<string>>): Promise<void> {
    const [present, known] = await Promise.all([listKeys(), this.opts.cursors.knownKeys(this.id)]);
    const gone = [...known.values()].filter((k) => !present.has(k.recordId));
    for (let i = 0; i < gone.length; i += this.opts.batchSize) {
      const chunk = gone.slice(i, i + this.opts.batchSize);
      const good = chunk.map((k) => {
        const t = this.opts.mapper.tombstone(k.recordId, k.identity, k.versionToken);
        return { key: t.key, value: t.value, recordId: k.recordId, raw: t.raw };
      });
      const delivery = await this.opts.sink.publish(good);
      const failed = delivery.outcomes.flatMap((o) => (o.ok ? [] : [o.bad]));
      await this.opts.sink.deadLetter(failed);
      await this.opts.cursors.commit(this.id, {
        cursor: this.cursor,
        deleteKeys: chunk.map((k) => k.recordId),
      });
      this.status.published(delivery.published);
      this.opts.logger.info({ connectorId: this.id, deletions: delivery.published }, 'deletions_published');
    }
  }
}

/** The same promise, marked as handled: a read ahead that fails while nobody awaits it yet is no unhandled rejection. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
