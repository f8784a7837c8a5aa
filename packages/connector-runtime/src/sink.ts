import type { Logger } from '@hub/log';
import { DeadLetterWriter, HEADERS, Publisher, type KafkaClient, type SchemaRegistry } from '@hub/kafka';
import type { ConnectorStatusInput } from '@hub/schemas';
import type { MappedRecord, ObservationInput, RecordError } from './mapping/engine.js';
import { connectorStatusSchema, observationSchema, type Entity } from './mapping/targets.js';

/** Headers a connector adds to its dead letters, beside the bus's `hub-dlq-*`. */
export const CONNECTOR_DLQ_HEADERS = {
  recordId: 'hub-dlq-record-id',
  location: 'hub-dlq-location',
  details: 'hub-dlq-details',
  connectorKind: 'hub-dlq-connector-kind',
} as const;

export interface SinkTopics {
  readonly observations: string;
  readonly deadLetter: string;
  readonly status: string;
}

export interface ObservationSinkOptions {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly entity: Entity;
  readonly topics: SinkTopics;
  readonly connectorId: string;
  readonly connectorKind: string;
  readonly sourceSystem: string;
  /** Register missing schemas at start (tests); production registers with `npm run schemas:register`. */
  readonly registerSchemas?: boolean;
  /** Reports waits for an unreachable schema registry at start. */
  readonly logger?: Logger;
}

export interface GoodRecord {
  readonly key: string;
  readonly value: ObservationInput;
  readonly recordId: string;
  readonly raw: string;
  readonly location?: string;
}

export interface BadRecord {
  readonly key: string | null;
  readonly recordId: string | null;
  readonly raw: string;
  readonly location?: string;
  readonly reason: 'MAPPING_FAILED' | 'SCHEMA_VALIDATION_FAILED' | 'PARSE_FAILED';
  readonly errors: readonly RecordError[];
}

export interface DeliveryResult {
  /** Per good record, in order: published, or refused by the Avro schema (with its errors). */
  readonly outcomes: ReadonlyArray<{ ok: true } | { ok: false; bad: BadRecord }>;
  readonly published: number;
}

/** One line per problem: "field dateOfBirth (source ngay_sinh): DATE_INVALID … — hint". */
export function describeErrors(errors: readonly RecordError[]): string {
  return errors
    .map(
      (e) =>
        `${e.field}${e.source ? ` (source ${e.source})` : ''}: ${e.code}: ${e.problem}${e.hint ? ` — ${e.hint}` : ''}`,
    )
    .join('; ');
}

export function toBadRecord(
  m: Extract<MappedRecord, { ok: false }>,
  reason: BadRecord['reason'] = 'MAPPING_FAILED',
): BadRecord {
  return {
    key: m.key,
    recordId: m.recordId,
    raw: m.raw,
    reason,
    errors: m.errors,
    ...(m.location === undefined ? {} : { location: m.location }),
  };
}

/**
 * Where a connector's records go: observations to `obs.<entity>` through the bus's Publisher
 * (acks=all), records that cannot become observations to `dlq.<connector-id>` with the original
 * source record and the reason, heartbeats to `hub.connector-status`. Every method resolves only
 * after Kafka acknowledged, so the caller may then advance its cursor or answer the sender.
 */
export class ObservationSink {
  private readonly publisher: Publisher<Record<'observation' | 'status', { topic: string; schema: object }>>;
  private readonly dlq: DeadLetterWriter;

  constructor(private readonly opts: ObservationSinkOptions) {
    this.publisher = new Publisher({
      kafka: opts.kafka,
      registry: opts.registry,
      registerSchemas: opts.registerSchemas ?? false,
      ...(opts.logger ? { logger: opts.logger } : {}),
      outputs: {
        observation: {
          topic: opts.topics.observations,
          subject: `${opts.topics.observations}-value`,
          schema: observationSchema(opts.entity),
        },
        status: {
          topic: opts.topics.status,
          subject: `${opts.topics.status}-value`,
          schema: connectorStatusSchema(),
        },
      },
    });
    this.dlq = new DeadLetterWriter(opts.kafka, opts.topics.deadLetter);
  }

  get schemaIds(): number[] {
    const ids: number[] = [];
    for (const name of ['observation', 'status'] as const) {
      try {
        ids.push(this.publisher.codec(name).id);
      } catch {
        // not initialised yet
      }
    }
    return ids;
  }

  async start(): Promise<void> {
    await this.publisher.start();
    await this.dlq.start();
  }

  async stop(): Promise<void> {
    await this.publisher.stop();
    await this.dlq.stop();
  }

  health(): { ok: boolean } {
    return this.publisher.health();
  }

  /** Publish good records; those the Avro schema refuses come back as bad records (not sent). */
  async publish(records: readonly GoodRecord[]): Promise<DeliveryResult> {
    if (records.length === 0) return { outcomes: [], published: 0 };
    const results = await this.publisher.publishBatch(
      'observation',
      records.map((r) => ({ key: r.key, value: r.value, source: this.opts.sourceSystem })),
    );
    let published = 0;
    const outcomes = results.map((res, i) => {
      if (res.ok) {
        published++;
        return { ok: true as const };
      }
      const r = records[i] as GoodRecord;
      const errors: RecordError[] = res.error.details.map((d) => ({
        field: (d.field ?? '').replace(/^\//, '').replace(/\//g, '.') || '(record)',
        code: 'SCHEMA_MISMATCH',
        problem: d.problem,
        ...(d.hint ? { hint: d.hint } : {}),
      }));
      const bad: BadRecord = {
        key: r.key,
        recordId: r.recordId,
        raw: r.raw,
        reason: 'SCHEMA_VALIDATION_FAILED',
        errors,
        ...(r.location ? { location: r.location } : {}),
      };
      return { ok: false as const, bad };
    });
    return { outcomes, published };
  }

  /** Dead-letter bad records: the original source record as the value, the reason in headers. */
  async deadLetter(records: readonly BadRecord[]): Promise<void> {
    await Promise.all(
      records.map((r) =>
        this.dlq.write(
          {
            topic: `source:${this.opts.sourceSystem}`,
            partition: -1,
            offset: r.location ?? r.recordId ?? '',
            key: r.key === null ? null : Buffer.from(r.key),
            value: Buffer.from(r.raw),
            headers: {
              [HEADERS.source]: this.opts.sourceSystem,
              [CONNECTOR_DLQ_HEADERS.connectorKind]: this.opts.connectorKind,
              [CONNECTOR_DLQ_HEADERS.recordId]: r.recordId ?? '',
              [CONNECTOR_DLQ_HEADERS.location]: r.location ?? '',
              [CONNECTOR_DLQ_HEADERS.details]: JSON.stringify(r.errors).slice(0, 8000),
            },
          },
          {
            reason: r.reason,
            error: `record ${r.recordId ?? '(no id)'}${r.location ? ` at ${r.location}` : ''}: ${describeErrors(r.errors)}`,
            by: this.opts.connectorId,
          },
        ),
      ),
    );
  }

  async heartbeat(status: ConnectorStatusInput): Promise<void> {
    await this.publisher.publish('status', status, {
      key: status.connectorId,
      source: this.opts.sourceSystem,
    });
  }
}
