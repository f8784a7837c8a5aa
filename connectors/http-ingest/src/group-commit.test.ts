import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GroupCommit } from './group-commit.js';

/** A send that waits until the test acknowledges or fails it, like a producer waiting for Kafka. */
class ControlledSend {
  calls: Array<{
    items: number[];
    ack: () => void;
    fail: (e: Error) => void;
    settled: boolean;
  }> = [];
  readonly send = (items: number[]): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const call = {
        items,
        settled: false,
        ack: () => {
          call.settled = true;
          resolve(items.map((i) => `ok:${i}`));
        },
        fail: (e: Error) => {
          call.settled = true;
          reject(e);
        },
      };
      this.calls.push(call);
    });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a promise settled, without awaiting it. */
function track<T>(p: Promise<T>) {
  const t = { done: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => {
      t.done = true;
      t.value = v;
    },
    (e: unknown) => {
      t.done = true;
      t.error = e;
    },
  );
  return t;
}

describe('GroupCommit', () => {
  it('sends concurrent submissions together and answers none of them before the send was acknowledged', async () => {
    const k = new ControlledSend();
    const g = new GroupCommit(k.send, { maxItems: 100 });
    const a = track(g.submit([1]));
    const b = track(g.submit([2, 3]));
    const c = track(g.submit([4]));
    await turn();
    expect(k.calls.map((c) => c.items)).toEqual([[1, 2, 3, 4]]); // one send for three requests
    await turn();
    expect([a.done, b.done, c.done]).toEqual([false, false, false]); // Kafka has not answered
    k.calls[0]?.ack();
    await turn();
    expect(a.value).toEqual(['ok:1']);
    expect(b.value).toEqual(['ok:2', 'ok:3']);
    expect(c.value).toEqual(['ok:4']);
  });

  it('queues what arrives during a send for the next one, and a failed send fails exactly its own submissions', async () => {
    const k = new ControlledSend();
    const g = new GroupCommit(k.send, { maxItems: 100 });
    const a = track(g.submit([1]));
    await turn();
    const b = track(g.submit([2])); // arrives while send 1 is in flight
    const c = track(g.submit([3]));
    await turn();
    expect(k.calls).toHaveLength(1); // one send at a time
    k.calls[0]?.fail(new Error('broker down'));
    await turn();
    expect(a.error).toEqual(new Error('broker down'));
    expect(b.done || c.done).toBe(false);
    expect(k.calls[1]?.items).toEqual([2, 3]);
    k.calls[1]?.ack();
    await turn();
    expect(b.value).toEqual(['ok:2']);
    expect(c.value).toEqual(['ok:3']);
    expect(b.error ?? c.error).toBeUndefined();
  });

  it('never splits a submission, keeps to maxItems, and sends a bigger submission alone', async () => {
    const k = new ControlledSend();
    const g = new GroupCommit(k.send, { maxItems: 4 });
    const subs = [[1, 2], [3, 4, 5], [6, 7, 8, 9, 10, 11], [12]].map((s) => track(g.submit(s)));
    for (let i = 0; i < 4; i++) {
      await turn();
      k.calls[i]?.ack();
    }
    await turn();
    expect(k.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4, 5], [6, 7, 8, 9, 10, 11], [12]]);
    expect(subs.every((s) => s.done && s.error === undefined)).toBe(true);
  });

  it('an aborted submission still queued is taken out and never sent; one in flight stops waiting, the others are unaffected', async () => {
    const k = new ControlledSend();
    const g = new GroupCommit(k.send, { maxItems: 100 });
    const inFlight = new AbortController();
    const a = track(g.submit([1], inFlight.signal));
    await turn();
    const queued = new AbortController();
    const b = track(g.submit([2, 3], queued.signal)); // waits behind send 1 (Kafka not answering)
    const c = track(g.submit([4]));
    await turn();
    expect(g.pending).toBe(3);
    queued.abort(new Error('timed out'));
    inFlight.abort(new Error('timed out too'));
    await turn();
    expect(b.error).toEqual(new Error('timed out'));
    expect(a.error).toEqual(new Error('timed out too'));
    expect(g.pending).toBe(1);
    k.calls[0]?.ack(); // the in-flight send still completes (its items may reach Kafka)
    await turn();
    expect(k.calls.map((x) => x.items)).toEqual([[1], [4]]); // 2 and 3 were never sent
    k.calls[1]?.ack();
    await turn();
    expect(c.value).toEqual(['ok:4']);
    expect(a.value).toBeUndefined();
    const late = track(g.submit([5], AbortSignal.abort(new Error('already'))));
    await turn();
    expect(late.error).toEqual(new Error('already'));
    expect(k.calls).toHaveLength(2);
  });

  it('property: each submission gets its own results in order after its send, failures hit only their send, order is kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ size: fc.integer({ min: 1, max: 7 }), turnsBefore: fc.integer({ min: 0, max: 2 }) }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        async (subs, failing, maxItems) => {
          const k = new ControlledSend();
          const g = new GroupCommit(k.send, { maxItems });
          let next = 1;
          const tracked: Array<{ items: number[]; t: ReturnType<typeof track<string[]>> }> = [];
          // The broker answers each send a turn later, failing the ones `failing` says.
          let answered = 0;
          const broker = setInterval(() => {
            const call = k.calls[answered];
            if (!call) return;
            answered++;
            if (failing[(answered - 1) % failing.length]) call.fail(new Error(`send ${answered} failed`));
            else call.ack();
          }, 0);
          for (const s of subs) {
            for (let i = 0; i < s.turnsBefore; i++) await turn();
            const items = Array.from({ length: s.size }, () => next++);
            tracked.push({ items, t: track(g.submit(items)) });
          }
          while (!tracked.every((x) => x.t.done)) await turn();
          clearInterval(broker);

          const sent = k.calls.flatMap((c) => c.items);
          expect(sent).toEqual(tracked.flatMap((x) => x.items)); // every item sent once, in order
          for (const x of tracked) {
            const call = k.calls.find((c) => c.items.includes(x.items[0] as number));
            expect(call).toBeDefined();
            expect(x.items.every((i) => call?.items.includes(i))).toBe(true); // not split
            expect(call?.settled).toBe(true);
            const index = k.calls.indexOf(call as (typeof k.calls)[number]);
            if (failing[index % failing.length]) {
              expect(x.t.error).toEqual(new Error(`send ${index + 1} failed`));
            } else {
              expect(x.t.error).toBeUndefined();
              expect(x.t.value).toEqual(x.items.map((i) => `ok:${i}`));
            }
          }
          for (const c of k.calls)
            if (c.items.length > maxItems)
              expect(tracked.some((x) => x.items.length === c.items.length)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
