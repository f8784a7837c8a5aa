import type { Producer } from 'kafkajs';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { KafkaClient } from './client.js';
import { HEADERS, type Headers } from './headers.js';

/** A message as it was read: everything needed to put it back exactly as it was. */
export interface OriginalMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

export interface DeadLetter {
  /** Stable machine-readable reason (DECODE_FAILED, SCHEMA_MISMATCH, VALIDATION_FAILED, …). */
  readonly reason: string;
  /** Human-readable explanation: which field, what is wrong, how to fix. */
  readonly error: string;
  /** Who dead-lettered it (consumer group or connector id). */
  readonly by: string;
}

/**
 * Writes poison messages to `dlq.<id>` with the original key, bytes and headers untouched, plus
 * `hub-dlq-*` headers saying why, from where and when. Nothing is ever dropped: a message that cannot
 * be processed ends here, replayable.
 */
export class DeadLetterWriter {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: KafkaClient,
    readonly topic: string,
    private readonly now: () => Date = () => new Date(),
  ) {
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

  /**
   * Writes the message to the dead-letter topic; resolves `true` once Kafka acknowledged it. A
   * subclass that keeps a message back instead (e.g. a tombstone the consumer applies itself)
   * resolves `false`, and the consumer does not count or report it as dead-lettered.
   */
  async write(original: OriginalMessage, letter: DeadLetter): Promise<boolean> {
    const headers: Headers = {
      ...original.headers,
      [HEADERS.dlqReason]: letter.reason,
      [HEADERS.dlqSource]: `${original.topic}/${original.partition}/${original.offset}`,
      [HEADERS.dlqError]: letter.error.slice(0, 4000),
      [HEADERS.dlqAt]: this.now().toISOString(),
      [HEADERS.dlqConsumer]: letter.by,
    };
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: original.key, value: original.value, headers }],
      });
      return true;
    } catch (cause) {
      throw new DependencyUnavailableError(
        'kafka',
        `could not write to dead-letter topic ${this.topic}: ${errorMessage(cause)}`,
        { cause },
      );
    }
  }
}
