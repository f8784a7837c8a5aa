import type { Consumer } from 'kafkajs';
import { errorMessage } from '@hub/errors';

/**
 * kafkajs restarts a consumer after a retriable failure by itself, but gives up for good after a
 * non-retriable one (`CRASH` with `restart: false`): the process would stay up, consuming nothing.
 * `report` is told once, with a sentence an operator can act on.
 */
export function onFatalCrash(consumer: Consumer, report: (message: string) => void): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart) return;
    report(
      `the Kafka consumer of group ${e.payload.groupId} stopped and will not restart: ${errorMessage(e.payload.error)}`,
    );
  });
}
