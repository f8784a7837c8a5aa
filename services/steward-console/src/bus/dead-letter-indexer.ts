import { errorMessage } from '@hub/errors';
import { onFatalCrash, readHeaders, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { toDeadLetterEntry, type DeadLetterEntry } from '../domain/dead-letter.js';
import { listTopicsWithPrefix } from './lag.js';

type Consumer = ReturnType<KafkaClient['raw']['consumer']>;

export interface DeadLetterIndexerOptions {
  readonly kafka: KafkaClient;
  /** `<prefix>.dead-letters`. */
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly discoveryIntervalMs: number;
  /** Stores entries idempotently (by dlq coordinates); resolves once they are durable. */
  readonly store: (entries: readonly DeadLetterEntry[]) => Promise<void>;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  /** Kafka gave the consumer up for good (also reported by `health()`). */
  readonly onFatal?: (error: Error) => void;
}

/**
 * Reads every `dlq.*` topic as raw bytes (no decoding: a dead letter is by definition often
 * undecodable) into the console's index. The bus's ConsumerRunner always decodes with one reader
 * schema, so this uses a plain consumer from the exported client handle. kafkajs resolves a topic
 * subscription once, so new dead-letter topics are discovered by polling the topic list and
 * re-subscribing. Offsets are committed only after the batch is stored.
 */
export class DeadLetterIndexer {
  private consumer: Consumer | undefined;
  private topics: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private lastError: string | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  indexed = 0;

  constructor(private readonly opts: DeadLetterIndexerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
    this.timer = setInterval(() => {
      this.refreshing = this.refresh().catch((e: unknown) => {
        this.lastError = errorMessage(e);
        this.opts.logger.warn({ err: this.lastError }, 'dead_letter_discovery_failed');
      });
    }, this.opts.discoveryIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  health(): { ok: boolean; topics: readonly string[]; lastError?: string } {
    return { ok: !this.stopped && this.lastError === undefined, topics: this.topics, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Subscribe to the current set of dead-letter topics when it changed. */
  async refresh(): Promise<void> {
    const found = await listTopicsWithPrefix(this.opts.kafka, this.opts.topicPrefix);
    this.lastError = undefined;
    if (this.stopped || (found.length === this.topics.length && found.every((t, i) => t === this.topics[i]))) return;
    if (this.consumer) await this.consumer.disconnect();
    this.consumer = undefined;
    this.topics = found;
    if (found.length === 0) return;
    const consumer = this.opts.kafka.raw.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
    });
    onFatalCrash(consumer, (message) => {
      this.lastError = message;
      this.topics = []; // the next discovery subscribes a new consumer (if the process is not restarted first)
      this.opts.logger.error({ err: message }, 'consumer_crashed');
      this.opts.onFatal?.(new Error(message));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: found, fromBeginning: true });
    this.consumer = consumer;
    this.opts.logger.info({ topics: found.length }, 'dead_letter_topics_subscribed');
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const entries = batch.messages.map((m) =>
          toDeadLetterEntry({ topic: batch.topic, partition: batch.partition, offset: m.offset }, this.opts.topicPrefix, {
            key: m.key,
            value: m.value,
            headers: readHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }),
        );
        if (entries.length === 0) return;
        await this.opts.store(entries);
        this.indexed += entries.length;
        const last = batch.messages[batch.messages.length - 1];
        if (!last) return;
        payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }] });
        await payload.heartbeat();
      },
    });
  }
}
