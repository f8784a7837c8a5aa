import { ConsumerRunner, DeadLetterWriter, ok, type KafkaClient, type SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { catalog, type DossierGolden } from '@hub/schemas';
import type { QualityRepository } from '../db/quality.repository.js';

export interface DossierQualityConsumerOptions {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly groupId: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly repository: QualityRepository;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  /** Kafka gave the consumer up for good (also reported by its health). */
  readonly onFatal?: (error: Error) => void;
}

/**
 * `<prefix>.dossier-quality`: dossier golden records from master.dossier into the console's
 * `dossiers` table, from which the service-quality indicators are computed. Upserts only move
 * forward in version, so redelivery and replays are harmless.
 */
export function createDossierQualityConsumer(o: DossierQualityConsumerOptions): ConsumerRunner<DossierGolden> {
  return new ConsumerRunner<DossierGolden>({
    kafka: o.kafka,
    registry: o.registry,
    groupId: o.groupId,
    inputs: [{ topic: o.topic, subject: 'master.dossier-value', schema: catalog().forTopic('master.dossier') }],
    deadLetters: new DeadLetterWriter(o.kafka, o.deadLetterTopic),
    logger: o.logger,
    fromBeginning: true,
    ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
    ...(o.onFatal ? { onFatal: o.onFatal } : {}),
    // Compacted topic: a null value means the dossier was deleted or merged away.
    onTombstone: async (ctx) => {
      if (ctx.key) await o.repository.markDeleted(ctx.key);
      return ok();
    },
    handler: async (dossier, ctx) => {
      await o.repository.upsert(dossier);
      ctx.logger.debug({ masterId: dossier.masterId, eventId: dossier.eventId }, 'dossier_recorded');
      return ok();
    },
  });
}
