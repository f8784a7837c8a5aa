import type { Knex } from 'knex';
import type { ConsumedBatch, DecodedMessage } from '@hub/kafka';
import { describeError } from '@hub/kafka';
import { ValidationError } from '@hub/errors';
import type { Logger } from '@hub/log';
import { lockKeys, type Consolidator } from '../domain/consolidator.js';
import type { EntityKind } from '../domain/entity-kind.js';
import type { ConsolidationStore } from '../domain/store.js';
import type { EntityType, Observation } from '../domain/types.js';
import { BatchStore } from '../db/batch-store.js';
import { KnexStore } from '../db/knex-store.js';
import { lockOffset, saveOffset } from '../db/offsets.repository.js';
import type { Metrics } from '../metrics.js';
import { unstorableText } from '../domain/storable.js';

export interface ObservationHandlerDeps {
  readonly db: Knex;
  readonly consolidator: Consolidator;
  readonly kinds: Readonly<Record<EntityType, EntityKind>>;
  readonly groupId: string;
  /** Topic → the dataset its observations belong to. */
  readonly topicTypes: ReadonlyMap<string, EntityType>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Test seam: runs inside the transaction after every write, before COMMIT. */
  readonly beforeCommit?: (batch: ConsumedBatch<Observation>) => Promise<void>;
  /**
   * Runs after a batch that consolidated at least one observation has committed (its outbox rows are
   * visible now): the service wakes its outbox relay, so golden records do not wait for its next poll.
   */
  readonly afterCommit?: () => void;
  /**
   * Resolve the batch as a set (prefetch, resolve in memory, bulk writes; the default) or with a
   * statement per read and write (the reference the set-based path is tested against).
   */
  readonly mode?: 'batch' | 'per-statement';
}

/**
 * One consumed batch = one PostgreSQL transaction: golden-record changes, history, lineage, review
 * tasks, outbox rows, processed event ids and the partition's next offset commit together or not
 * at all. A crash anywhere leaves either the whole batch or none of it, and the consumer resumes from
 * the stored offset.
 */
export function createObservationHandler(
  deps: ObservationHandlerDeps,
): (batch: ConsumedBatch<Observation>) => Promise<void> {
  // Messages already dead-lettered by this process, so a retried transaction does not send them twice.
  const deadLettered = new Set<string>();
  return async (batch) => {
    const type = deps.topicTypes.get(batch.topic);
    if (!type) throw new Error(`no dataset configured for topic ${batch.topic}`);
    const kind = deps.kinds[type];
    const stop = deps.metrics.batchDuration.startTimer({ entity: type });
    const counts = new Map<string, number>();
    const count = (result: string): void => {
      counts.set(result, (counts.get(result) ?? 0) + 1);
    };
    await deps.db.transaction(async (trx) => {
      counts.clear();
      // The batch's statements are short, but without table statistics their cost estimates cross
      // jit_above_cost: compiling them took ~300 ms per batch for the candidate lookup alone.
      await trx.raw('set local jit = off');
      const stored = await lockOffset(trx, deps.groupId, batch.topic, batch.partition);
      if (stored !== null && BigInt(batch.nextOffset) <= stored) return; // another instance already did it
      const fresh = batch.messages.filter((m) => stored === null || BigInt(m.offset) >= stored);
      const valid: DecodedMessage<Observation>[] = [];
      for (const m of fresh) {
        const problems = [...unstorableText(m.value), ...kind.validate(m.value)];
        if (problems.length === 0) {
          valid.push(m);
          continue;
        }
        const id = `${m.topic}/${m.partition}/${m.offset}`;
        if (!deadLettered.has(id)) {
          const error = describeError(
            new ValidationError(`${type} observation ${m.value.eventId} is not usable`, {
              details: problems,
            }),
          );
          await batch.deadLetter(m, 'VALIDATION_FAILED', error);
          deadLettered.add(id);
        }
        count('dead_lettered');
      }
      const store: ConsolidationStore =
        deps.mode === 'per-statement'
          ? new KnexStore(trx)
          : new BatchStore(trx, deps.kinds, deps.consolidator.maxCandidates);
      const seen = await store.processedEventIds(valid.map((m) => m.value.eventId));
      const todo: DecodedMessage<Observation>[] = [];
      for (const m of valid) {
        if (seen.has(m.value.eventId)) {
          count('duplicate');
          continue;
        }
        seen.add(m.value.eventId);
        todo.push(m);
      }
      await store.lock(todo.flatMap((m) => lockKeys(kind, m.value)));
      // In order: a later observation of the same entity sees the effects of the earlier ones.
      await store.prepare?.(
        type,
        todo.map((m) => m.value),
      );
      for (const m of todo) {
        const result = await deps.consolidator.apply(store, type, m.value);
        store.markProcessed(m.value.eventId, m.topic, m.partition, m.offset);
        count(result);
      }
      await store.flush();
      await saveOffset(trx, deps.groupId, batch.topic, batch.partition, batch.nextOffset);
      await deps.beforeCommit?.(batch);
    });
    for (const [result, n] of counts) deps.metrics.observations.inc({ entity: type, result }, n);
    if ([...counts.keys()].some((result) => result !== 'duplicate' && result !== 'dead_lettered'))
      deps.afterCommit?.();
    for (const m of batch.messages) deadLettered.delete(`${m.topic}/${m.partition}/${m.offset}`);
    const seconds = stop();
    deps.logger.debug(
      {
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages.length,
        nextOffset: batch.nextOffset,
        seconds,
      },
      'batch_committed',
    );
  };
}
