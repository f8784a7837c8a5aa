/**
 * Group commit: the records of concurrent requests go to Kafka in one send instead of one send per
 * request. The producer is idempotent with one request in flight, so sends are serialised anyway; what
 * arrives while a send is in flight is queued and goes out together in the next one.
 *
 * Guarantees, whatever the interleaving:
 * - a submission resolves only after the send holding all its items resolved (Kafka acknowledged),
 *   with exactly its own results, in its own order;
 * - a submission is never split over two sends;
 * - a failed send rejects exactly the submissions in it (with the send's error), no other;
 * - submissions go out in the order they were made (one send at a time);
 * - a submission whose signal aborts is rejected with the signal's reason at once: if it was still
 *   queued it is taken out and never sent; if its send is in flight, that send goes on (its items
 *   may still reach Kafka) and only this submission stops waiting for it.
 */
export interface GroupCommitOptions {
  /** Items per send, at most (a single bigger submission is sent alone, whole). */
  readonly maxItems: number;
}

interface Waiting<T, R> {
  readonly items: readonly T[];
  readonly resolve: (results: R[]) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Array<Waiting<T, R>> = [];
  private queued = 0;
  private sending = false;
  private scheduled = false;
  /** Sends made, and submissions per send (for tests and metrics). */
  readonly stats = { sends: 0, submissions: 0 };

  constructor(
    /** Sends items together; must resolve with one result per item, in order, or throw. */
    private readonly send: (items: T[]) => Promise<readonly R[]>,
    private readonly opts: GroupCommitOptions,
  ) {}

  /**
   * Resolves with the results of `items` once the send holding them resolved. `signal` (e.g.
   * `AbortSignal.timeout`) bounds the wait: see the class comment.
   */
  submit(items: readonly T[], signal?: AbortSignal): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<R[]>((resolve, reject) => {
      // The send's own error, whatever it is, as before (not wrapped).
      const fail: (error: unknown) => void = reject;
      const onAbort = () => {
        const at = this.queue.indexOf(waiting);
        if (at >= 0) {
          this.queue.splice(at, 1);
          this.queued -= items.length;
        }
        reject(signal?.reason as Error);
      };
      const waiting: Waiting<T, R> = {
        items,
        resolve: (results) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(results);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          fail(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiting);
      this.queued += items.length;
      this.stats.submissions++;
      this.schedule();
    });
  }

  /** Queued items not yet handed to a send. */
  get pending(): number {
    return this.queued;
  }

  private schedule(): void {
    if (this.sending || this.scheduled) return;
    // Wait for the end of this turn of the event loop: requests parsed in the same turn share a send.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private take(): Array<Waiting<T, R>> {
    const group: Array<Waiting<T, R>> = [];
    let n = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Waiting<T, R>;
      if (group.length > 0 && n + next.items.length > this.opts.maxItems) break;
      group.push(next);
      n += next.items.length;
      this.queue.shift();
    }
    this.queued -= n;
    return group;
  }

  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group = this.take();
        const items = group.flatMap((w) => w.items);
        this.stats.sends++;
        let results: readonly R[];
        try {
          results = await this.send(items);
          if (results.length !== items.length)
            throw new Error(`group send returned ${results.length} results for ${items.length} items`);
        } catch (e) {
          for (const w of group) w.reject(e);
          continue;
        }
        let at = 0;
        for (const w of group) {
          w.resolve(results.slice(at, at + w.items.length));
          at += w.items.length;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
