import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { Logger } from '@hub/log';
import { silentLogger } from '@hub/log';
import { retry } from './backoff.js';
import type { KafkaClient } from './client.js';
import { AvroCodec, initCodecs } from './codec.js';
import { onFatalCrash } from './crash.js';
import type { InputDefinition } from './consumer.js';
import type { DeadLetterWriter, OriginalMessage } from './dead-letter.js';
import { HEADERS, readHeaders, type Headers } from './headers.js';
import { deadLetterFor, isPoison } from './outcome.js';
import {
  classifyHandlerError,
  isolatePoison,
  recordRef,
  shouldRetryBatch,
  type HandlerFailure,
} from './poison-batch.js';
import type { SchemaRegistry } from './schema-registry.js';

/**
 * A batch consumer for components that keep their consumed offsets in their own database, in the
 * same transaction as the effects of the messages (exactly-once effect). Kafka's group coordinator
 * only assigns partitions; the position of each partition comes from the caller's store:
 *
 * - on (re)assignment the runner asks `committedOffsets` and seeks there;
 * - `handleBatch` receives decoded messages plus `nextOffset` and must store that offset atomically
 *   with its writes (and should ignore messages below the offset it finds stored: another instance
 *   may have processed them while this one still held a stale assignment);
 * - after a successful batch the offset is also committed to Kafka, as a monitoring mirror only
 *   (lag dashboards, `groupLag`); it never decides where reading starts.
 *
 * Poison messages (undecodable, wrong schema) go to the dead-letter topic before the batch that
 * covers their offset is handed over, so an offset stored by the caller never skips an unsaved
 * message. A crash between the two may dead-letter a message twice (at-least-once into the DLQ;
 * readers dedupe on the `hub-dlq-source` header).
 *
 * A handler failure is classified (`classifyHandlerError`): an outage is retried with backoff, then
 * the partition is paused and resumed later, as before. A record that can never be stored (a
 * PostgreSQL data error, SQLSTATE class 22, 23 or 54, or a `PoisonMessageError`/`ValidationError`
 * thrown by the handler) would fail its batch forever and block the partition, so the batch is split
 * in halves (`isolatePoison`) down to that record, which is dead-lettered with the reason
 * `DATABASE_REJECTED` (or the poison error's own) and an error naming its offset and event id; every
 * other record is handed over once, each half storing its own offset with its effects. `handleBatch`
 * may therefore be called with a sub-range of a chunk, or with no messages but an offset to store.
 */
export interface DecodedMessage<T> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Headers;
  readonly schemaId: number;
  readonly correlationId: string | undefined;
  readonly value: T;
  /** Everything needed to dead-letter this message as it was read. */
  readonly original: OriginalMessage;
}

export interface ConsumedBatch<T> {
  readonly topic: string;
  readonly partition: number;
  /** Decoded messages in offset order (poison ones are already in the dead-letter topic). */
  readonly messages: readonly DecodedMessage<T>[];
  /** Offset of the first message of this chunk, poison or not. */
  readonly firstOffset: string;
  /** The offset to store: one past the last message of this chunk, poison or not. */
  readonly nextOffset: string;
  /** Dead-letter a message the caller rejects (validation); resolves once the DLQ has it. */
  readonly deadLetter: (message: DecodedMessage<T>, reason: string, error: string) => Promise<void>;
}

export interface BatchConsumerOptions<T> {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  /** `<service>.<purpose>`. */
  readonly groupId: string;
  readonly inputs: readonly InputDefinition[];
  readonly deadLetters: DeadLetterWriter;
  /** Next offset to read per partition, from the caller's store; partitions absent start at the earliest offset. */
  readonly committedOffsets: (
    topic: string,
    partitions: readonly number[],
  ) => Promise<ReadonlyMap<number, string>>;
  readonly handleBatch: (batch: ConsumedBatch<T>) => Promise<void>;
  readonly logger?: Logger;
  /**
   * Called once if kafkajs gives the consumer up for good (a non-retriable failure): the service
   * should exit so that its supervisor starts it again; health() is not ok from then on.
   */
  readonly onFatal?: (error: Error) => void;
  /** Messages per `handleBatch` call (one transaction each). */
  readonly maxBatchMessages?: number;
  /**
   * How many assigned partitions are handled at the same time (1 by default). Each partition's
   * batches stay in order; batches of different partitions may run concurrently, each in its own
   * transaction, so the handler must be as safe against itself as two instances of the service are.
   * A process whose batches wait on its database half of the time keeps a core busy meanwhile.
   */
  readonly partitionsConsumedConcurrently?: number;
  readonly retry?: { attempts: number; baseMs: number; maxMs: number };
  readonly pauseMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
}

export interface BatchConsumerStats {
  batches: number;
  messages: number;
  deadLettered: number;
  retries: number;
  blocked: number;
  seeks: number;
  /** Chunks bisected to isolate a record that fails on its own. */
  bisections: number;
}

export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly codecs = new Map<string, AvroCodec<T>>();
  private readonly logger: Logger;
  /** Next offset per `topic/partition` as last loaded from the caller's store; cleared on rebalance. */
  private readonly positions = new Map<string, bigint | null>();
  private readonly paused = new Map<string, NodeJS.Timeout>();
  private readonly assigned = new Set<string>();
  private running = false;
  private stopping = false;
  /** Set by stop(): a start still waiting for the schema registry gives up. */
  private startAborted = false;
  private lastError: string | undefined;
  readonly stats: BatchConsumerStats = {
    batches: 0,
    messages: 0,
    deadLettered: 0,
    retries: 0,
    blocked: 0,
    seeks: 0,
    bisections: 0,
  };

  constructor(private readonly opts: BatchConsumerOptions<T>) {
    this.logger = (opts.logger ?? silentLogger()).child({
      component: 'batch-consumer',
      groupId: opts.groupId,
    });
    this.consumer = opts.kafka.raw.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    for (const input of opts.inputs) {
      this.codecs.set(
        input.topic,
        new AvroCodec<T>(opts.registry, input.subject ?? `${input.topic}-value`, input.schema),
      );
    }
    onFatalCrash(this.consumer, (message) => {
      this.running = false;
      this.lastError = message;
      this.logger.error({ err: message }, 'consumer_crashed');
      this.opts.onFatal?.(new Error(message));
    });
    // Whatever we knew about positions is stale after a rebalance: reload them from the store.
    this.consumer.on(this.consumer.events.REBALANCING, () => this.positions.clear());
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.positions.clear();
      this.assigned.clear();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const p of partitions) this.assigned.add(`${topic}/${p}`);
      }
    });
  }

  async start(): Promise<void> {
    this.startAborted = false;
    await initCodecs(this.codecs.values(), { logger: this.logger, cancelled: () => this.startAborted });
    await this.opts.deadLetters.start();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.codecs.keys()], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finish the batch in hand (its transaction commits or rolls back), leave the group. */
  async stop(): Promise<void> {
    this.startAborted = true;
    if (!this.running) return;
    this.stopping = true;
    for (const timer of this.paused.values()) clearTimeout(timer);
    await this.consumer.disconnect();
    await this.opts.deadLetters.stop();
    this.running = false;
  }

  health(): {
    ok: boolean;
    running: boolean;
    assignedPartitions: readonly string[];
    pausedPartitions: readonly string[];
    lastError?: string;
  } {
    return {
      ok: this.running && this.paused.size === 0,
      running: this.running,
      assignedPartitions: [...this.assigned],
      pausedPartitions: [...this.paused.keys()],
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private async position(topic: string, partition: number): Promise<bigint | null> {
    const key = `${topic}/${partition}`;
    if (this.positions.has(key)) return this.positions.get(key) ?? null;
    const stored = await this.opts.committedOffsets(topic, [partition]);
    const offset = stored.get(partition);
    const value = offset === undefined ? null : BigInt(offset);
    this.positions.set(key, value);
    return value;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    if (batch.messages.length === 0) return;
    let expected: bigint | null;
    try {
      expected = await this.position(topic, partition);
    } catch (e) {
      this.lastError = errorMessage(e);
      this.block(topic, partition, batch.firstOffset() ?? '0');
      return;
    }
    // Kafka may start us anywhere at or before the stored position (its mirror commit lags the
    // database); jump to where the database says this partition continues.
    const first = BigInt(batch.messages[0]?.offset ?? '0');
    if (expected !== null && first < expected) {
      const last = BigInt(batch.messages[batch.messages.length - 1]?.offset ?? '0');
      if (last < expected || first + 1000n < expected) {
        this.stats.seeks++;
        this.consumer.seek({ topic, partition, offset: expected.toString() });
        return;
      }
    }
    const fresh = batch.messages.filter((m) => expected === null || BigInt(m.offset) >= expected);
    const size = this.opts.maxBatchMessages ?? 500;
    for (let i = 0; i < fresh.length; i += size) {
      if (!payload.isRunning() || payload.isStale() || this.stopping) return;
      const chunk = fresh.slice(i, i + size);
      const done = await this.processChunk(topic, partition, chunk, heartbeat);
      if (!done) return;
      const next = BigInt(chunk[chunk.length - 1]?.offset ?? '0') + 1n;
      this.positions.set(`${topic}/${partition}`, next);
      payload.resolveOffset((next - 1n).toString());
      // Mirror only (monitoring); the database holds the offset that counts.
      await payload
        .commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: next.toString() }] }],
        })
        .catch((e: unknown) => {
          this.logger.warn({ topic, partition, err: errorMessage(e) }, 'offset_mirror_failed');
        });
      await heartbeat();
    }
  }

  private async processChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const firstOffset = chunk[0]?.offset ?? '0';
    const retryOpts = this.opts.retry ?? { attempts: 5, baseMs: 200, maxMs: 5000 };
    // Transient failures (outages, serialization failures, deadlocks) are retried with backoff;
    // record-level ones (a PostgreSQL data error, a poison message) would fail the same way forever.
    const withRetry = (slice: KafkaMessage[], excluded: ReadonlySet<number> = new Set()) =>
      retry(() => this.handleSlice(topic, partition, slice, excluded), {
        ...retryOpts,
        jitter: 0.5,
        retryIf: (e, attempt) => !this.stopping && shouldRetryBatch(classifyHandlerError(e), attempt),
        onRetry: async (e, attempt, delayMs) => {
          this.stats.retries++;
          this.lastError = classifyHandlerError(e).description;
          this.logger.warn(
            { topic, partition, firstOffset: slice[0]?.offset, attempt, delayMs, err: this.lastError },
            'batch_retry',
          );
          await heartbeat();
        },
      });
    try {
      try {
        await withRetry(chunk);
      } catch (e) {
        const failure = classifyHandlerError(e);
        if (failure.kind !== 'record' || this.stopping) throw e;
        // Some record of this chunk can never be stored: find it by bisection, dead-letter it and
        // commit the others (each committed half stores its own offset with its effects).
        this.stats.bisections++;
        this.logger.warn(
          { topic, partition, firstOffset, messages: chunk.length, err: failure.description },
          'batch_bisect',
        );
        await isolatePoison({
          count: chunk.length,
          failure,
          classify: classifyHandlerError,
          attempt: async (from, to, excluded) => {
            await withRetry(
              chunk.slice(from, to),
              new Set([...excluded].filter((i) => i >= from && i < to).map((i) => i - from)),
            );
            await heartbeat();
          },
          deadLetter: (index, why) => this.deadLetterRecord(topic, partition, chunk[index], why),
        });
      }
      return true;
    } catch (e) {
      this.lastError = classifyHandlerError(e).description;
      // The stored position is unknown after a failure (the transaction may or may not have
      // committed before the connection dropped): reload it before reading again.
      this.positions.delete(`${topic}/${partition}`);
      if (!this.stopping) this.block(topic, partition, firstOffset);
      return false;
    }
  }

  /**
   * One `handleBatch` call (one transaction) for `slice`: its offsets from the first message to one
   * past the last, its decoded messages except the `excluded` indices (already dead-lettered).
   */
  private async handleSlice(
    topic: string,
    partition: number,
    slice: KafkaMessage[],
    excluded: ReadonlySet<number>,
  ): Promise<void> {
    const firstOffset = slice[0]?.offset ?? '0';
    const nextOffset = (BigInt(slice[slice.length - 1]?.offset ?? '0') + 1n).toString();
    const messages = await this.decodeAll(
      topic,
      partition,
      slice.filter((_, i) => !excluded.has(i)),
    );
    await this.opts.handleBatch({
      topic,
      partition,
      messages,
      firstOffset,
      nextOffset,
      deadLetter: (m, reason, error) => this.writeDeadLetter(m.original, reason, error),
    });
    this.stats.batches++;
    this.stats.messages += slice.length;
  }

  /** Dead-letter a record that failed alone, naming it (offset, event id) and what PostgreSQL said. */
  private async deadLetterRecord(
    topic: string,
    partition: number,
    message: KafkaMessage | undefined,
    failure: Extract<HandlerFailure, { kind: 'record' }>,
  ): Promise<void> {
    if (message === undefined) throw new Error('bisection pointed outside the batch');
    const original = originalOf(topic, partition, message);
    let value: unknown;
    try {
      value = (await this.codecs.get(topic)?.decode(message.value))?.value;
    } catch {
      // Undecodable: the offset alone names it.
    }
    await this.writeDeadLetter(
      original,
      failure.reason,
      `record ${recordRef(topic, partition, message.offset, value)} fails on its own, the rest of its batch was stored: ${failure.description}`,
    );
  }

  private async decodeAll(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
  ): Promise<DecodedMessage<T>[]> {
    const codec = this.codecs.get(topic);
    if (!codec) throw new Error(`no reader schema for topic ${topic}`);
    const out: DecodedMessage<T>[] = [];
    for (const message of chunk) {
      const original = originalOf(topic, partition, message);
      const { headers } = original;
      try {
        const { schemaId, value } = await codec.decode(message.value);
        out.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          headers,
          schemaId,
          correlationId: headers[HEADERS.correlationId],
          value,
          original,
        });
      } catch (e) {
        if (!isPoison(e)) throw e;
        const outcome = deadLetterFor(e);
        if (outcome.kind !== 'deadLetter') throw e;
        await this.writeDeadLetter(original, outcome.reason, outcome.error);
      }
    }
    return out;
  }

  private async writeDeadLetter(original: OriginalMessage, reason: string, error: string): Promise<void> {
    const written = await this.opts.deadLetters.write(original, { reason, error, by: this.opts.groupId });
    if (!written) return; // kept back by the writer (e.g. a tombstone the handler applies): not a dead letter
    this.stats.deadLettered++;
    this.logger.warn(
      { topic: original.topic, partition: original.partition, offset: original.offset, reason },
      'message_dead_lettered',
    );
  }

  private block(topic: string, partition: number, offset: string): void {
    const key = `${topic}/${partition}`;
    this.stats.blocked++;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    this.consumer.seek({ topic, partition, offset });
    this.logger.error({ topic, partition, offset, lastError: this.lastError }, 'partition_paused');
    const timer = setTimeout(() => {
      this.paused.delete(key);
      if (this.stopping) return;
      this.logger.info({ topic, partition, offset }, 'partition_resumed');
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }, this.opts.pauseMs ?? 15_000);
    timer.unref();
    this.paused.set(key, timer);
  }
}

function originalOf(topic: string, partition: number, message: KafkaMessage): OriginalMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: readHeaders(message.headers),
  };
}

/**
 * Writes tombstones (key, null value) to compacted topics, e.g. a master record merged away.
 * `Publisher` always encodes a value; a tombstone has none. Idempotent producer with acks=all.
 */
export class TombstoneWriter {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: KafkaClient) {
    this.producer = kafka.raw.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async stop(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  async write(topic: string, items: readonly { key: string; headers?: Headers }[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.producer.send({
        topic,
        acks: -1,
        messages: items.map((i) => ({ key: i.key, value: null, headers: { ...i.headers } })),
      });
    } catch (cause) {
      throw new DependencyUnavailableError(
        'kafka',
        `could not write tombstones to ${topic}: ${errorMessage(cause)}`,
        { cause },
      );
    }
  }
}
