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

/** A consumed batch of these observations at offsets `at`, `at + 1`, … of partition 0 of `topic`. */
export function batchOf(
  topic: string,
  values: readonly Observation[],
  at: number,
): ConsumedBatch<Observation> {
  const messages: DecodedMessage<Observation>[] = values.map((value, j) => ({
    topic,
    partition: 0,
    offset: String(at + j),
    key: `${value.source.system}:${value.source.recordId}`,
    headers: {},
    schemaId: 1,
    correlationId: undefined,
    value,
    original: { topic, partition: 0, offset: String(at + j), key: null, value: null, headers: {} },
  }));
  return {
    topic,
    partition: 0,
    messages,
    firstOffset: String(at),
    nextOffset: String(at + values.length),
    deadLetter: () => Promise.reject(new Error('test data is valid')),
  };
}
