import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { KafkaClient } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { DeadLetterIndexer } from './dead-letter-indexer.js';

/** A stand-in for kafkajs's consumer: only what the indexer calls, and a way to emit CRASH. */
class FakeConsumer extends EventEmitter {
  readonly events = { CRASH: 'consumer.crash' };
  disconnected = false;
  connect = () => Promise.resolve();
  subscribe = () => Promise.resolve();
  run = () => Promise.resolve();
  disconnect = () => {
    this.disconnected = true;
    return Promise.resolve();
  };
}

function fakeKafka(consumers: FakeConsumer[]): KafkaClient {
  const raw = {
    admin: () => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      listTopics: () => Promise.resolve(['dlq.obs.citizen', 'obs.citizen']),
    }),
    consumer: () => {
      const c = new FakeConsumer();
      consumers.push(c);
      return c;
    },
  };
  return { raw } as unknown as KafkaClient;
}

describe('DeadLetterIndexer', () => {
  it('reports a consumer Kafka gave up for good, and subscribes a new one at the next discovery', async () => {
    const consumers: FakeConsumer[] = [];
    const fatal: Error[] = [];
    const indexer = new DeadLetterIndexer({
      kafka: fakeKafka(consumers),
      groupId: 'test.dead-letters',
      topicPrefix: 'dlq.',
      discoveryIntervalMs: 60_000,
      store: () => Promise.resolve(),
      logger: silentLogger(),
      onFatal: (e) => fatal.push(e),
    });
    await indexer.start();
    expect(consumers).toHaveLength(1);
    expect(indexer.health()).toMatchObject({ ok: true, topics: ['dlq.obs.citizen'] });

    // A retriable crash: kafkajs restarts the consumer itself; nothing to report.
    consumers[0]!.emit('consumer.crash', { payload: { restart: true, groupId: 'test.dead-letters', error: new Error('rebalance') } });
    expect(fatal).toEqual([]);
    expect(indexer.health().ok).toBe(true);

    consumers[0]!.emit('consumer.crash', { payload: { restart: false, groupId: 'test.dead-letters', error: new Error('not authorised') } });
    expect(fatal.map((e) => e.message)).toEqual([
      'the Kafka consumer of group test.dead-letters stopped and will not restart: not authorised',
    ]);
    expect(indexer.health()).toMatchObject({ ok: false, lastError: expect.stringContaining('will not restart') as unknown });

    await indexer.refresh();
    expect(consumers[0]!.disconnected).toBe(true);
    expect(consumers).toHaveLength(2);
    expect(indexer.health()).toMatchObject({ ok: true, topics: ['dlq.obs.citizen'] });
    await indexer.stop();
  });
});
