import { ConsumerRunner, DeadLetterWriter, ok, type KafkaClient, type SchemaRegistry } from '@hub/kafka';
import type { Logger } from '@hub/log';
import { catalog, type ConnectorStatus } from '@hub/schemas';
import type { HealthRepository } from '../db/health.repository.js';

export interface ConnectorStatusConsumerOptions {
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistry;
  readonly groupId: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly repository: HealthRepository;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  /** Kafka gave the consumer up for good (also reported by its health). */
  readonly onFatal?: (error: Error) => void;
}

/**
 * `<prefix>.connector-status`: every heartbeat on hub.connector-status into the console's own
 * tables (latest state per connector + time series). Idempotent by eventId.
 */
export function createConnectorStatusConsumer(o: ConnectorStatusConsumerOptions): ConsumerRunner<ConnectorStatus> {
  return new ConsumerRunner<ConnectorStatus>({
    kafka: o.kafka,
    registry: o.registry,
    groupId: o.groupId,
    inputs: [{ topic: o.topic, subject: 'hub.connector-status-value', schema: catalog().forTopic('hub.connector-status') }],
    deadLetters: new DeadLetterWriter(o.kafka, o.deadLetterTopic),
    logger: o.logger,
    fromBeginning: true,
    ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
    ...(o.onFatal ? { onFatal: o.onFatal } : {}),
    handler: async (status, ctx) => {
      await o.repository.recordHeartbeat(status);
      ctx.logger.debug({ connectorId: status.connectorId, eventId: status.eventId }, 'heartbeat_recorded');
      return ok();
    },
  });
}
