import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { errorMessage } from '@hub/errors';
import type { Logger } from '@hub/log';
import { silentLogger } from '@hub/log';
import { retry } from './backoff.js';
import type { KafkaClient } from './client.js';
import { AvroCodec, initCodecs } from './codec.js';
import { onFatalCrash } from './crash.js';
import type { DeadLetterWriter, OriginalMessage } from './dead-letter.js';
import { HEADERS, readHeaders, type Headers } from './headers.js';
import { deadLetter, type Outcome } from './outcome.js';
import { classifyHandlerError, messageFailureAction, RACE_RETRIES, recordRef } from './poison-batch.js';
import type { SchemaRegistry } from './schema-registry.js';

export interface MessageContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Headers;
  readonly schemaId: number;
  readonly correlationId: string | undefined;
  readonly logger: Logger;
}

export interface InputDefinition {
  readonly topic: string;
  /** Reader schema (from schemas/); older writer schemas are resolved to it. */
  readonly schema: object;
  readonly subject?: string;
}

export interface ConsumerRunnerOptions<T> {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  /** `<service>.<purpose>`. */
  readonly groupId: string;
  readonly inputs: readonly InputDefinition[];
  readonly handler: (value: T, ctx: MessageContext) => Promise<Outcome>;
  readonly deadLetters: DeadLetterWriter;
  readonly logger?: Logger;
  /**
   * Called once if kafkajs gives the consumer up for good (a non-retriable failure): the service
   * should exit so that its supervisor starts it again; health() is not ok from then on.
   */
  readonly onFatal?: (error: Error) => void;
  /** Attempts per message for retriable failures before the partition is paused. */
  readonly retry?: { attempts: number; baseMs: number; maxMs: number };
  /** How long a blocked partition stays paused before it is tried again. */
  readonly pauseMs?: number;
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  /**
   * A message with a null value on a compacted topic is a tombstone (delete or merge-away), not a
   * poison message. Given this handler, tombstones are passed to it in partition order; without
   * it they are dead-lettered as NOT_WIRE_FORMAT (right for topics that never carry tombstones).
   */
  readonly onTombstone?: (ctx: MessageContext) => Promise<Outcome>;
}

export interface ConsumerStats {
  processed: number;
  deadLettered: number;
  skipped: number;
  retries: number;
  blocked: number;
  batches: number;
}

export interface ConsumerHealth {
  readonly ok: boolean;
  readonly running: boolean;
  readonly pausedPartitions: readonly string[];
  readonly lastError?: string;
}

type Processed = 'done' | 'blocked';

/**
 * Runs one consumer group. Per message: decode → handler → outcome. Offsets are committed only for
 * messages whose outcome is final (processed, skipped or safely in the dead-letter topic), in
 * partition order; a message that keeps failing for a retriable reason pauses its partition and is
 * read again later — it is never skipped.
 *
 * A handler failure is classified like the batch consumer's (`classifyHandlerError`, decision 0008):
 * a message PostgreSQL refuses for its data (SQLSTATE class 22, 54, or 23 — 23505, 23P01 and 23503
 * only after `RACE_RETRIES` retries, as they may be a race between instances) or a
 * `PoisonMessageError`/`ValidationError` is dead-lettered with the batch path's reason
 * (`DATABASE_REJECTED` or the poison error's own) and an error naming it (`record topic/partition/
 * offset (event …) fails on its own: PostgreSQL 22P02 …`), and the partition goes on. Outages
 * (connection errors, 57P01, 40001, 40P01, timeouts, anything declared retriable or without a
 * SQLSTATE) are retried with backoff and then pause the partition; they are never dead-lettered.
 */
export class ConsumerRunner<T> {
  private readonly consumer: Consumer;
  private readonly codecs = new Map<string, AvroCodec<T>>();
  private readonly logger: Logger;
  private readonly paused = new Map<string, NodeJS.Timeout>();
  private running = false;
  /** Set by stop(): a start still waiting for the schema registry gives up. */
  private startAborted = false;
  private stopping = false;
  private lastError: string | undefined;
  readonly stats: ConsumerStats = {
    processed: 0,
    deadLettered: 0,
    skipped: 0,
    retries: 0,
    blocked: 0,
    batches: 0,
  };

  constructor(private readonly opts: ConsumerRunnerOptions<T>) {
    this.logger = (opts.logger ?? silentLogger()).child({ component: 'consumer', groupId: opts.groupId });
    this.consumer = opts.kafka.raw.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
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
  }

  async start(): Promise<void> {
    this.startAborted = false;
    await initCodecs(this.codecs.values(), { logger: this.logger, cancelled: () => this.startAborted });
    await this.opts.deadLetters.start();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.codecs.keys()],
      fromBeginning: this.opts.fromBeginning ?? true,
    });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finish the message in hand, commit what is final, leave the group. */
  async stop(): Promise<void> {
    this.startAborted = true;
    if (!this.running) return;
    this.stopping = true;
    for (const timer of this.paused.values()) clearTimeout(timer);
    await this.consumer.disconnect();
    await this.opts.deadLetters.stop();
    this.running = false;
  }

  health(): ConsumerHealth {
    return {
      ok: this.running && this.paused.size === 0,
      running: this.running,
      pausedPartitions: [...this.paused.keys()],
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    this.stats.batches++;
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    let lastDone: string | undefined;
    let sinceHeartbeat = 0;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.stopping) break;
      const result = await this.processOne(topic, partition, message, heartbeat);
      if (result === 'blocked') {
        this.block(topic, partition, message.offset);
        break;
      }
      payload.resolveOffset(message.offset);
      lastDone = message.offset;
      // kafkajs throttles heartbeats itself, but the call is still an await per message.
      if (++sinceHeartbeat >= 200) {
        sinceHeartbeat = 0;
        await heartbeat();
      }
    }
    if (lastDone !== undefined) {
      // Explicit offsets go straight to the group coordinator, also while the consumer is stopping
      // (consumer.commitOffsets would silently skip then). The committed offset is the next to read.
      const next = (BigInt(lastDone) + 1n).toString();
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: next }] }],
      });
    }
  }

  private block(topic: string, partition: number, offset: string): void {
    const key = `${topic}/${partition}`;
    this.stats.blocked++;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    // Read this message again when the partition resumes; nothing after it was resolved.
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

  private async processOne(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Processed> {
    const codec = this.codecs.get(topic);
    const ctx = new LazyContext(topic, partition, message, this.logger);
    const onTombstone = this.opts.onTombstone;
    const budget = this.opts.retry ?? { attempts: 5, baseMs: 200, maxMs: 5000 };
    // Set once the message reached the handler: a failure from there on names the record.
    let handled: { value: unknown } | undefined;
    const attempt = async (): Promise<Outcome> => {
      if (message.value === null && onTombstone) {
        handled = { value: undefined };
        return onTombstone(ctx);
      }
      if (!codec) throw new Error(`no reader schema for topic ${topic}`);
      const decoded = codec.decodeIfSameSchema(message.value) ?? (await codec.decode(message.value));
      ctx.schemaId = decoded.schemaId;
      handled = { value: decoded.value };
      return this.opts.handler(decoded.value, ctx);
    };
    // The batch consumer's classification (decision 0008): a record PostgreSQL refuses for its data
    // is dead-lettered, a possible race is retried a few times first, an outage is retried and then
    // pauses the partition.
    const decide = (e: unknown, n: number) =>
      messageFailureAction(classifyHandlerError(e), n, {
        attempts: budget.attempts,
        stopping: this.stopping,
      });
    let outcome: Outcome;
    let failedAttempt = 0;
    try {
      try {
        outcome = await attempt(); // fast path: no retry machinery unless something fails
      } catch (first) {
        if (decide(first, 0) !== 'retry') throw first;
        // Attempt 0 replays the failure we already have, so backoff and accounting start from it.
        outcome = await retry(
          (n) => {
            failedAttempt = n;
            return n === 0
              ? Promise.reject(first instanceof Error ? first : new Error(errorMessage(first)))
              : attempt();
          },
          {
            ...budget,
            // `decide` keeps outages within `budget.attempts`; a possible race may need more.
            attempts: Math.max(budget.attempts, RACE_RETRIES + 1),
            jitter: 0.5,
            retryIf: (e, n) => decide(e, n) === 'retry',
            onRetry: async (e, n, delayMs) => {
              this.stats.retries++;
              this.lastError = classifyHandlerError(e).description;
              ctx.logger.warn({ attempt: n, delayMs, err: this.lastError }, 'message_retry');
              await heartbeat();
            },
          },
        );
      }
    } catch (e) {
      const failure = classifyHandlerError(e);
      if (failure.kind !== 'record' || decide(e, failedAttempt) !== 'deadLetter') {
        this.lastError = failure.description;
        return 'blocked';
      }
      outcome = deadLetter(
        failure.reason,
        handled === undefined
          ? failure.description // undecodable: the codec's own explanation
          : `record ${recordRef(topic, partition, message.offset, handled.value)} fails on its own: ${failure.description}`,
      );
    }
    switch (outcome.kind) {
      case 'ok':
        this.stats.processed++;
        return 'done';
      case 'skip':
        this.stats.skipped++;
        ctx.logger.warn({ reason: outcome.reason }, 'message_skipped');
        return 'done';
      case 'deadLetter': {
        let written: boolean;
        try {
          const original: OriginalMessage = {
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers: ctx.headers,
          };
          written = await this.opts.deadLetters.write(original, {
            reason: outcome.reason,
            error: outcome.error,
            by: this.opts.groupId,
          });
        } catch (e) {
          this.lastError = errorMessage(e);
          return 'blocked';
        }
        if (!written) return 'done'; // kept back by the writer: final, but not a dead letter
        this.stats.deadLettered++;
        ctx.logger.warn(
          { reason: outcome.reason, dlq: this.opts.deadLetters.topic },
          'message_dead_lettered',
        );
        return 'done';
      }
    }
  }
}

/**
 * The handler's view of a message. Headers, key, correlation id and the child logger are computed
 * on first use: most handlers need few of them, and per-message allocations dominate the cost of a
 * fast consumer.
 */
class LazyContext implements MessageContext {
  schemaId = -1;
  private cachedHeaders: Headers | undefined;
  private cachedLogger: Logger | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly message: KafkaMessage,
    private readonly parentLogger: Logger,
  ) {}

  get offset(): string {
    return this.message.offset;
  }

  get key(): string | null {
    return this.message.key?.toString('utf8') ?? null;
  }

  get headers(): Headers {
    return (this.cachedHeaders ??= readHeaders(this.message.headers));
  }

  get correlationId(): string | undefined {
    return this.headers[HEADERS.correlationId];
  }

  get logger(): Logger {
    return (this.cachedLogger ??= this.parentLogger.child({
      topic: this.topic,
      partition: this.partition,
      offset: this.message.offset,
      correlationId: this.correlationId,
    }));
  }
}
