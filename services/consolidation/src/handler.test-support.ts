import type { Knex } from 'knex';
import type { ConsumedBatch, DecodedMessage } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { createObservationHandler } from './consumers/observations.consumer.js';
import { Consolidator } from './domain/consolidator.js';
import type { EntityType, Observation } from './domain/types.js';
import { KINDS } from './kinds.js';
import { createMetrics } from './metrics.js';

export const TOPICS: Record<EntityType, string> = { citizen: 'obs.c', business: 'obs.b', dossier: 'obs.d' };

/** Source authorities of the tests and the bench. */
export const TEST_AUTHORITIES = {
  identity: ['population', 'civil-status'],
  residence: ['population'],
  civilStatus: ['civil-status'],
  businessRegistration: ['business-registry'],
  dossier: ['one-stop'],
};

/** Matching thresholds of the tests and the bench. */
export const TEST_MATCHING = {
  thresholds: { citizen: { upper: 22, lower: 12 }, business: { upper: 20, lower: 12 } },
  maxCandidates: 200,
};

/** The consumer's batch handler on `db`, with the equivalence test's configuration and master ids m000001, …. */
export function handlerFor(
  db: Knex,
  mode: 'batch' | 'per-statement',
  matching: typeof TEST_MATCHING = TEST_MATCHING,
) {
  let n = 0;
  return createObservationHandler({
    db,
    consolidator: new Consolidator({
      kinds: KINDS,
      authorities: TEST_AUTHORITIES,
      matching,
      newId: () => `m${String(++n).padStart(6, '0')}`,
    }),
    kinds: KINDS,
    groupId: 'equivalence',
    topicTypes: new Map(Object.entries(TOPICS).map(([t, topic]) => [topic, t as EntityType])),
    metrics: createMetrics(),
    logger: silentLogger(),
    mode,
  });
}

/** A consumed batch of these observations at offsets `at`, `at + 1`, … of `partition` of `topic`. */
export function batchOf(
  topic: string,
  values: readonly Observation[],
  at: number,
  partition = 0,
  deadLetter: ConsumedBatch<Observation>['deadLetter'] = () =>
    Promise.reject(new Error('test data is valid')),
): ConsumedBatch<Observation> {
  const messages: DecodedMessage<Observation>[] = values.map((value, j) => ({
    topic,
    partition,
    offset: String(at + j),
    key: `${value.source.system}:${value.source.recordId}`,
    headers: {},
    schemaId: 1,
    correlationId: undefined,
    value,
    original: { topic, partition, offset: String(at + j), key: null, value: null, headers: {} },
  }));
  return {
    topic,
    partition,
    messages,
    firstOffset: String(at),
    nextOffset: String(at + values.length),
    deadLetter,
  };
}

/** A stable partition for a message key (any fixed hash spreads keys as Kafka's partitioner does). */
export function partitionOf(key: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
  return h % partitions;
}

/**
 * Feed `values` to `handle` as the service's consumer would with `partitions` partitions consumed
 * concurrently (`CONSUMER_PARTITIONS_CONCURRENTLY`): spread by message key, each partition's batches
 * in order, the partitions at the same time; a batch PostgreSQL aborts as a deadlock or a
 * serialization failure is retried, as the consumer retries it. Returns how many were retried.
 */
export async function consumePartitioned(
  handle: (batch: ConsumedBatch<Observation>) => Promise<void>,
  topic: string,
  values: readonly Observation[],
  opts: {
    partitions?: number;
    batchSize?: number;
    deadLetter?: ConsumedBatch<Observation>['deadLetter'];
    onBatch?: (done: number) => void;
  } = {},
): Promise<{ retries: number }> {
  const partitions = opts.partitions ?? 1;
  const size = opts.batchSize ?? 500;
  const lanes = Array.from({ length: partitions }, () => [] as Observation[]);
  for (const v of values) lanes[partitionOf(`${v.source.system}:${v.source.recordId}`, partitions)]?.push(v);
  let retries = 0;
  let done = 0;
  await Promise.all(
    lanes.map(async (lane, p) => {
      for (let i = 0; i < lane.length; i += size) {
        const chunk = lane.slice(i, i + size);
        const batch = batchOf(topic, chunk, i, p, opts.deadLetter);
        for (;;) {
          try {
            await handle(batch);
            break;
          } catch (e) {
            const code = (e as { code?: unknown }).code;
            if (code !== '40P01' && code !== '40001') throw e;
            retries++;
          }
        }
        done += chunk.length;
        opts.onBatch?.(done);
      }
    }),
  );
  return { retries };
}
