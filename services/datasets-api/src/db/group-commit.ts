/**
 * Batching of concurrent database work: items that arrive while a statement is in flight are
 * handled together by the next one (at most `maxInFlight` statements at a time, `maxBatch` items
 * each), and each caller's promise settles with its own result only when the statement holding its
 * item has finished (or failed). Under load, N requests cost one round trip instead of N.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    /** Results in the order of `items`. */
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { readonly maxBatch: number; readonly maxInFlight: number } = {
      maxBatch: 500,
      maxInFlight: 2,
    },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Items waiting for a statement (not yet sent). */
  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      let done: Promise<O[]>;
      try {
        done = this.run(batch.map((b) => b.item));
      } catch (e) {
        done = Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      done
        .then(
          (results) => {
            batch.forEach((b, i) => b.resolve(results[i] as O));
          },
          (e: unknown) => {
            for (const b of batch) b.reject(e);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}

/**
 * Group commit: concurrent callers' rows go into one multi-row INSERT; each caller's promise
 * resolves only once that INSERT has committed. Nothing is acknowledged before it is durable, so
 * callers keep "write first, then answer".
 */
export class GroupCommit<T> {
  private readonly batcher: Batcher<T, undefined>;

  constructor(
    write: (items: T[]) => Promise<void>,
    options?: { readonly maxBatch: number; readonly maxInFlight: number },
  ) {
    this.batcher = new Batcher<T, undefined>(async (items) => {
      await write(items);
      return items.map(() => undefined);
    }, options);
  }

  append(item: T): Promise<void> {
    return this.batcher.submit(item);
  }

  get pending(): number {
    return this.batcher.pending;
  }
}
