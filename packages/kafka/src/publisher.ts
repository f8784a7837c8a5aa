import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Producer, type RecordMetadata } from 'kafkajs';
import { DependencyUnavailableError, ValidationError, errorMessage } from '@hub/errors';
import type { KafkaClient } from './client.js';
import type { Logger } from '@hub/log';
import { AvroCodec, initCodecs } from './codec.js';
import { HEADERS, type Headers } from './headers.js';
import type { SchemaRegistry } from './schema-registry.js';

export interface OutputDefinition {
  readonly topic: string;
  /** Subject of the value schema; `<topic>-value` by default. */
  readonly subject?: string;
  /** The Avro schema (from schemas/), never inferred from the object. */
  readonly schema: object;
}

export interface PublishOptions {
  /** Entity or source key: all events of one entity land in one partition, in order. */
  readonly key: string;
  readonly correlationId?: string;
  /** Source system (department) the record came from. */
  readonly source?: string;
  readonly headers?: Headers;
}

export interface PublishItem<T> extends PublishOptions {
  readonly value: T;
}

export type PublishResult =
  | { readonly ok: true; readonly index: number }
  | { readonly ok: false; readonly index: number; readonly error: ValidationError };

export interface CreatePublisherOptions<O extends Record<string, OutputDefinition>> {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly outputs: O;
  /** Register missing schemas at start (tests); production registers with `npm run schemas:register`. */
  readonly registerSchemas?: boolean;
  /** Upper bound of one produce request; bigger batches are sent in several requests. */
  readonly maxRequestBytes?: number;
  /** Reports waits for an unreachable schema registry at start. */
  readonly logger?: Logger;
}

/**
 * Publishes to named outputs (`publisher.publish('citizenObserved', event, { key })`), never to a
 * raw producer and a topic string. Idempotent producer with acks=all: a send resolves only once every
 * in-sync replica has the record, so an acknowledgement to a source is a promise kept.
 */
export class Publisher<O extends Record<string, OutputDefinition>> {
  private readonly producer: Producer;
  private readonly codecs = new Map<keyof O, AvroCodec>();
  private connected = false;
  private stopRequested = false;
  /** Record batches are compressed as the client says (gzip by default: the broker's CPU per record). */
  private readonly compression: CompressionTypes;

  constructor(private readonly opts: CreatePublisherOptions<O>) {
    this.producer = opts.kafka.raw.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // No retry limit: kafkajs warns that a bounded retry count breaks the idempotent producer's
      // sequence guarantees. A send keeps retrying (backoff up to 10 s) until Kafka answers; callers
      // bound the wait themselves (HTTP request timeouts, poll intervals).
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
    });
    this.compression = opts.kafka.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    for (const [name, def] of Object.entries(opts.outputs)) {
      this.codecs.set(name, new AvroCodec(opts.registry, def.subject ?? `${def.topic}-value`, def.schema));
    }
  }

  /** Resolve the schema ids (waiting while the registry is unreachable) and connect. */
  async start(): Promise<void> {
    this.stopRequested = false;
    await initCodecs(this.codecs.values(), {
      register: this.opts.registerSchemas ?? false,
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      cancelled: () => this.stopRequested,
    });
    await this.producer.connect();
    this.connected = true;
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  health(): { ok: boolean } {
    return { ok: this.connected };
  }

  codec(name: keyof O): AvroCodec {
    const c = this.codecs.get(name);
    if (!c) throw new Error(`unknown output ${String(name)}`);
    return c;
  }

  /** Encode one value (throws ValidationError naming each bad field). */
  encode<T>(name: keyof O, value: T): Buffer {
    return this.codec(name).encode(value);
  }

  /** Publish one value; resolves with its partition and offset once Kafka acknowledged it. */
  async publish<T>(
    name: keyof O,
    value: T,
    options: PublishOptions,
  ): Promise<{ partition: number; offset: string }> {
    const def = this.definition(name);
    const message = this.toMessage(name, { ...options, value });
    const [meta] = await this.send(def.topic, [message]);
    return { partition: meta?.partition ?? 0, offset: meta?.baseOffset ?? meta?.offset ?? '' };
  }

  /**
   * Publish many values in one request. Values that do not fit the schema are reported per item and
   * not sent; the good ones are sent. Resolves after Kafka acknowledged them all (acks=all).
   */
  async publishBatch<T>(name: keyof O, items: readonly PublishItem<T>[]): Promise<PublishResult[]> {
    const def = this.definition(name);
    const results: PublishResult[] = new Array<PublishResult>(items.length);
    const messages: OutgoingMessage[] = [];
    const indexes: number[] = [];
    items.forEach((item, index) => {
      try {
        messages.push(this.toMessage(name, item));
        indexes.push(index);
      } catch (e) {
        const error =
          e instanceof ValidationError
            ? e
            : new ValidationError(errorMessage(e), { details: [{ problem: errorMessage(e) }] });
        results[index] = { ok: false, index, error };
      }
    });
    if (messages.length > 0) {
      await this.send(def.topic, messages);
      for (const index of indexes) results[index] = { ok: true, index };
    }
    return results;
  }

  private definition(name: keyof O): OutputDefinition {
    const def = this.opts.outputs[name];
    if (!def) throw new Error(`unknown output ${String(name)}`);
    return def;
  }

  private toMessage<T>(name: keyof O, item: PublishItem<T>): OutgoingMessage {
    const value = this.codec(name).encode(item.value);
    const headers: Headers = { ...item.headers, [HEADERS.correlationId]: item.correlationId ?? randomUUID() };
    if (item.source) headers[HEADERS.source] = item.source;
    const eventId = (item.value as { eventId?: unknown } | null)?.eventId;
    if (typeof eventId === 'string') headers[HEADERS.eventId] = eventId;
    return { key: item.key, value, headers };
  }

  private async send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    // One produce request must stay under the broker's message.max.bytes (1 MiB by default): split
    // big batches. If a later chunk fails, earlier ones are already acknowledged; the caller sends
    // the batch again and consumers drop the repeats by eventId.
    const out: RecordMetadata[] = [];
    for (const chunk of chunkBySize(messages, this.opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES)) {
      try {
        out.push(...(await this.producer.send({ topic, acks: -1, compression: this.compression, messages: chunk })));
      } catch (cause) {
        throw new DependencyUnavailableError(
          'kafka',
          `could not publish to ${topic}: ${errorMessage(cause)}`,
          { cause },
        );
      }
    }
    return out;
  }
}

interface OutgoingMessage {
  key: string;
  value: Buffer;
  headers: Headers;
}

/** Below the broker's default 1 MiB request limit, with room for the protocol's own overhead. */
export const DEFAULT_MAX_REQUEST_BYTES = 900 * 1024;

/** Split messages, in order, into chunks whose keys, values and headers add up to at most maxBytes. */
export function chunkBySize<M extends { key: string; value: Buffer; headers: Record<string, string> }>(
  messages: readonly M[],
  maxBytes: number,
): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const m of messages) {
    let bytes = Buffer.byteLength(m.key) + m.value.length + 64;
    for (const [k, v] of Object.entries(m.headers)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
