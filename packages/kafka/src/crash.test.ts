import { describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { onFatalCrash } from './crash.js';

/** Only `events.CRASH` and `on` are used. */
function fakeConsumer() {
  const listeners: ((e: { payload: { error: Error; groupId: string; restart: boolean } }) => void)[] = [];
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (_event: string, l: (typeof listeners)[number]) => listeners.push(l),
  } as unknown as Consumer;
  const crash = (restart: boolean, message: string) =>
    listeners.forEach((l) =>
      l({ payload: { error: new Error(message), groupId: 'hub.consolidation', restart } }),
    );
  return { consumer, crash };
}

describe('onFatalCrash', () => {
  it('reports a crash kafkajs will not restart from, naming the group and the cause', () => {
    const { consumer, crash } = fakeConsumer();
    const reports: string[] = [];
    onFatalCrash(consumer, (m) => reports.push(m));
    crash(true, 'The group is rebalancing'); // kafkajs restarts the consumer by itself: not fatal
    expect(reports).toEqual([]);
    crash(false, 'Not authorized to access group');
    expect(reports).toEqual([
      'the Kafka consumer of group hub.consolidation stopped and will not restart: Not authorized to access group',
    ]);
  });
});
