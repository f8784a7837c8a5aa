import { BatchConsumer, DeadLetterWriter, type ConsumedBatch, type DeadLetter, type KafkaClient, type OriginalMessage, type SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { catalog } from '@hub/schemas';
import type { GoldenValue } from '../domain/records.js';
import type { Dataset } from '../domain/scopes.js';
import type { ApplyStats, OffsetChange, ReadModelWriter } from '../db/read-model.writer.js';

/** Header the consolidation's outbox relay puts on tombstones: the version the tombstone ends. */
export const MASTER_VERSION_HEADER = 'hub-master-version';

interface Tombstone {
  readonly key: string;
  readonly version: number | null;
}

/**
 * `BatchConsumer` decodes every value and sends what does not decode to the dead-letter topic
 * before the batch is handed over. A tombstone (null value) is not poison on a compacted master
 * topic: it is how a record ends. This writer keeps tombstones out of the DLQ and parks them, by
 * offset, for the batch that covers them, so they are applied in partition order in the same
 * transaction as the records around them. Everything else goes to the DLQ as usual.
 */
export class TombstoneAwareDeadLetters extends DeadLetterWriter {
  private readonly parked = new Map<string, Map<string, Tombstone>>();

  override async write(original: OriginalMessage, letter: DeadLetter): Promise<boolean> {
    if (original.value === null && original.key !== null && letter.reason === 'NOT_WIRE_FORMAT') {
      const at = `${original.topic}/${original.partition}`;
      const slot = this.parked.get(at) ?? new Map<string, Tombstone>();
      const header = original.headers[MASTER_VERSION_HEADER];
      const version = header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : null;
      slot.set(original.offset, { key: original.key.toString('utf8'), version });
      this.parked.set(at, slot);
      return false;
    }
    return super.write(original, letter);
  }

  /** Tombstones parked for offsets in [first, next) of a partition; older leftovers are dropped. */
  take(topic: string, partition: number, first: string, next: string): { offset: string; tombstone: Tombstone }[] {
    const slot = this.parked.get(`${topic}/${partition}`);
    if (!slot) return [];
    const lo = BigInt(first);
    const hi = BigInt(next);
    const out: { offset: string; tombstone: Tombstone }[] = [];
    for (const [offset, tombstone] of slot) {
      const o = BigInt(offset);
      if (o < hi) slot.delete(offset);
      if (o >= lo && o < hi) out.push({ offset, tombstone });
    }
    return out;
  }
}

export interface MasterTopics {
  readonly citizen: string;
  readonly business: string;
  readonly dossier: string;
}

export interface MasterConsumerOptions {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly groupId: string;
  readonly topics: MasterTopics;
  readonly dlqTopic: string;
  readonly writer: ReadModelWriter;
  readonly logger: Logger;
  readonly maxBatchMessages: number;
  readonly onApplied?: (dataset: Dataset, stats: ApplyStats) => void;
  /** Kafka gave the consumer up for good (it is reported unhealthy either way). */
  readonly onFatal?: (error: Error) => void;
}

/** Consumer group `datasets-api.read-model`: master.citizen / master.business / master.dossier → read model. */
export function createMasterConsumer(opts: MasterConsumerOptions): BatchConsumer<GoldenValue> {
  const cat = catalog();
  const datasetOf = new Map<string, Dataset>([
    [opts.topics.citizen, 'citizen'],
    [opts.topics.business, 'business'],
    [opts.topics.dossier, 'dossier'],
  ]);
  const deadLetters = new TombstoneAwareDeadLetters(opts.kafka, opts.dlqTopic);
  const handleBatch = async (batch: ConsumedBatch<GoldenValue>): Promise<void> => {
    const dataset = datasetOf.get(batch.topic);
    if (!dataset) throw new Error(`no dataset for topic ${batch.topic}`);
    const changes: OffsetChange[] = batch.messages.map((m) => ({ dataset, masterId: m.value.masterId, version: m.value.version, value: m.value, offset: m.offset }));
    for (const { offset, tombstone } of deadLetters.take(batch.topic, batch.partition, batch.firstOffset, batch.nextOffset)) {
      changes.push({ dataset, masterId: tombstone.key, version: tombstone.version, value: null, offset });
    }
    changes.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    const stats = await opts.writer.applyBatch({ groupId: opts.groupId, topic: batch.topic, partition: batch.partition, nextOffset: batch.nextOffset }, changes);
    opts.logger.debug({ topic: batch.topic, partition: batch.partition, nextOffset: batch.nextOffset, ...stats }, 'batch_applied');
    opts.onApplied?.(dataset, stats);
  };
  return new BatchConsumer<GoldenValue>({
    kafka: opts.kafka,
    registry: opts.registry,
    groupId: opts.groupId,
    inputs: [
      { topic: opts.topics.citizen, subject: 'master.citizen-value', schema: cat.forTopic('master.citizen') },
      { topic: opts.topics.business, subject: 'master.business-value', schema: cat.forTopic('master.business') },
      { topic: opts.topics.dossier, subject: 'master.dossier-value', schema: cat.forTopic('master.dossier') },
    ],
    deadLetters,
    committedOffsets: (topic, partitions) => opts.writer.committedOffsets(opts.groupId, topic, partitions),
    handleBatch,
    logger: opts.logger,
    maxBatchMessages: opts.maxBatchMessages,
    sessionTimeoutMs: 10_000,
    ...(opts.onFatal ? { onFatal: opts.onFatal } : {}),
  });
}
