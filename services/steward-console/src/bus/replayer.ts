import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import type { KafkaClient } from '@hub/kafka';

type Producer = ReturnType<KafkaClient['raw']['producer']>;

/**
 * Puts dead letters back on their original topic byte for byte. The bus's Publisher only sends
 * Avro-encoded values to named outputs; a replay must send the original bytes (possibly not Avro
 * at all) to the topic named in `hub-dlq-source`, so this is a raw idempotent producer (acks=all).
 */
export class Replayer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: KafkaClient) {
    this.producer = kafka.raw.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
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

  health(): { ok: boolean } {
    return { ok: this.connected };
  }

  async send(message: { topic: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }): Promise<{ partition: number; offset: string }> {
    try {
      const [meta] = await this.producer.send({
        topic: message.topic,
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers: message.headers }],
      });
      return { partition: meta?.partition ?? 0, offset: meta?.baseOffset ?? meta?.offset ?? '' };
    } catch (cause) {
      throw new DependencyUnavailableError('kafka', `could not replay to ${message.topic}: ${errorMessage(cause)}`, { cause });
    }
  }
}
