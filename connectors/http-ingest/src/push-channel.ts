import {
  canonicalMapping,
  connectorParts,
  type ConnectorInstance,
  type ConnectorMetrics,
  type Entity,
  type GoodRecord,
  type Mapper,
  type ObservationSink,
  type RecordError,
  type StatusTracker,
  type RuntimeDeps,
} from '@hub/connector-runtime';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { Logger } from '@hub/log';
import type { HttpIngestConfig, IngestSource } from './config.js';
import { GroupCommit } from './group-commit.js';

type Outcome = Awaited<ReturnType<ObservationSink['publish']>>['outcomes'][number];

/** Records per producer send when requests are coalesced (the publisher splits requests by bytes). */
const GROUP_MAX_RECORDS = 2000;

export type RecordResult =
  | { index: number; status: 'accepted'; recordId: string; eventId: string }
  | { index: number; status: 'rejected'; recordId: string | null; errors: readonly RecordError[] };

/**
 * One department's push channel: its mappers and sinks per entity, its status and heartbeat
 * (connector id `<config id>-<system>`). `ingest` resolves only after Kafka acknowledged the accepted
 * records; rejected ones are returned to the sender with their reasons (and counted as rejected).
 */
export class PushChannel implements ConnectorInstance {
  readonly id: string;
  readonly status: StatusTracker;
  private readonly parts = new Map<
    Entity,
    { sink: ObservationSink; mapper: Mapper; sends: GroupCommit<GoodRecord, Outcome> }
  >();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    config: HttpIngestConfig,
    readonly source: IngestSource,
    deps: Pick<RuntimeDeps, 'kafka' | 'registry' | 'registerSchemas'> & { metrics: ConnectorMetrics },
    private readonly logger: Logger,
    private readonly heartbeatIntervalMs: number,
    /** Longest wait for Kafka's acknowledgement before a request is refused (503); 0 = no bound. */
    private readonly publishTimeoutMs = 0,
  ) {
    this.id = `${config.id}-${source.system}`;
    let status: StatusTracker | undefined;
    for (const [name, setting] of Object.entries(source.entities)) {
      const entity = name as Entity;
      const mapping = setting?.mapping ?? canonicalMapping(entity);
      const observations = config.topics.observations?.[entity];
      const p = connectorParts(
        {
          id: this.id,
          kind: 'http-ingest',
          source: { system: source.system, ...(source.agencyCode ? { agencyCode: source.agencyCode } : {}) },
          mapping,
          batchSize: config.maxBatchRecords,
          pollIntervalMs: 1000,
          heartbeatIntervalMs: config.heartbeatIntervalMs,
          countIntervalMs: 0,
          topics: observations ? { observations } : {},
        },
        { ...deps, logger },
        config.topics.status,
      );
      status ??= p.status;
      // Concurrent requests share one producer send (group commit); each is answered after its own
      // records were acknowledged, and a failed send fails exactly the requests in it.
      const sends = new GroupCommit<GoodRecord, Outcome>(
        async (records) => (await p.sink.publish(records)).outcomes,
        { maxItems: Math.max(config.maxBatchRecords, GROUP_MAX_RECORDS) },
      );
      this.parts.set(entity, { sink: p.sink, mapper: p.mapper, sends });
    }
    if (!status) throw new Error(`source ${source.system} allows no entity`);
    this.status = status;
  }

  /** Producer sends made and requests they carried (group commit), over all entities. */
  sendStats(): { sends: number; submissions: number } {
    let sends = 0;
    let submissions = 0;
    for (const p of this.parts.values()) {
      sends += p.sends.stats.sends;
      submissions += p.sends.stats.submissions;
    }
    return { sends, submissions };
  }

  allows(entity: Entity): boolean {
    return this.parts.has(entity);
  }

  async start(): Promise<void> {
    for (const p of this.parts.values()) await p.sink.start();
    this.status.schemaIds = [...this.parts.values()].flatMap((p) => p.sink.schemaIds);
    this.status.setState('RUNNING');
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatIntervalMs);
    this.timer.unref();
    await this.heartbeat();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.status.setState('STOPPED');
    await this.heartbeat();
    for (const p of this.parts.values()) await p.sink.stop().catch(() => undefined);
  }

  async pause(): Promise<void> {
    this.paused = true;
    this.status.setState('PAUSED');
    await this.heartbeat();
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.status.setState('RUNNING');
    await this.heartbeat();
  }

  health(): ReturnType<ConnectorInstance['health']> {
    return {
      ok: this.status.state === 'RUNNING' || this.status.state === 'PAUSED',
      state: this.status.state,
    };
  }

  private async heartbeat(): Promise<void> {
    const first = this.parts.values().next().value;
    try {
      await first?.sink.heartbeat(this.status.snapshot());
    } catch (e) {
      this.logger.warn({ connectorId: this.id, err: errorMessage(e) }, 'heartbeat_failed');
    }
  }

  /** Validate, map and publish records; per record accepted (with its eventId) or rejected (with reasons). */
  async ingest(entity: Entity, records: readonly unknown[]): Promise<RecordResult[]> {
    if (this.paused)
      throw new DependencyUnavailableError(
        this.id,
        `intake of ${this.source.system} is paused by an operator; retry later`,
      );
    const p = this.parts.get(entity);
    if (!p) throw new Error(`entity ${entity} not allowed`);
    this.status.read(records.length);
    const results: RecordResult[] = new Array<RecordResult>(records.length);
    const good: Array<GoodRecord & { index: number }> = [];
    records.forEach((rec, index) => {
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
        results[index] = {
          index,
          status: 'rejected',
          recordId: null,
          errors: [
            { field: '(record)', code: 'NOT_AN_OBJECT', problem: 'each record must be a JSON object' },
          ],
        };
        return;
      }
      const m = p.mapper.map({ data: rec as Record<string, unknown> });
      if (m.ok) good.push({ index, key: m.key, value: m.value, recordId: m.recordId, raw: m.raw });
      else results[index] = { index, status: 'rejected', recordId: m.recordId, errors: m.errors };
    });
    // While Kafka cannot acknowledge (below min.insync.replicas, no leader, unreachable) the producer
    // retries without end: bound the sender's wait so it gets a 503 with Retry-After, not silence.
    const signal = this.publishTimeoutMs > 0 ? AbortSignal.timeout(this.publishTimeoutMs) : undefined;
    try {
      const outcomes = await p.sends.submit(good, signal).catch((e: unknown) => {
        if (!signal?.aborted) throw e;
        throw new DependencyUnavailableError(
          'kafka',
          `Kafka did not acknowledge the records within ${this.publishTimeoutMs / 1000} s; none is accepted — retry with the same Idempotency-Key`,
          { cause: e },
        );
      });
      let published = 0;
      outcomes.forEach((o, i) => {
        const g = good[i];
        if (!g) return;
        if (o.ok) published++;
        results[g.index] = o.ok
          ? { index: g.index, status: 'accepted', recordId: g.recordId, eventId: g.value.eventId }
          : { index: g.index, status: 'rejected', recordId: g.recordId, errors: o.bad.errors };
      });
      const newest = good.reduce<number | null>((acc, g) => {
        const u = (g.value.source as { updatedAt?: number | null }).updatedAt ?? null;
        return u !== null && (acc === null || u > acc) ? u : acc;
      }, null);
      this.status.published(published, newest);
    } catch (e) {
      this.status.error(errorMessage(e));
      throw e;
    }
    const rejected = results.filter((r) => r.status === 'rejected').length;
    if (rejected > 0) this.status.rejected(rejected);
    return results;
  }
}
