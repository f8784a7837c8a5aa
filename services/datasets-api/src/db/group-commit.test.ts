import { describe, expect, it } from 'vitest';
import { Batcher, GroupCommit } from './group-commit.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('group commit', () => {
  it('batches items that arrive while a write is in flight, and settles each only after its batch is written', async () => {
    const writes: { items: number[]; done: ReturnType<typeof deferred> }[] = [];
    const gc = new GroupCommit<number>(
      (items) => {
        const done = deferred();
        writes.push({ items, done });
        return done.promise;
      },
      { maxBatch: 3, maxInFlight: 1 },
    );
    const settled: number[] = [];
    const all = [1, 2, 3, 4, 5].map((i) => gc.append(i).then(() => void settled.push(i)));
    expect(writes.map((w) => w.items)).toEqual([[1]]);
    await Promise.resolve();
    expect(settled).toEqual([]);
    writes[0]!.done.resolve();
    await all[0];
    expect(settled).toEqual([1]);
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4]]);
    writes[1]!.done.resolve();
    await all[3];
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3, 4], [5]]);
    expect(settled).toEqual([1, 2, 3, 4]);
    writes[2]!.done.resolve();
    await Promise.all(all);
    expect(settled).toEqual([1, 2, 3, 4, 5]);
  });

  it('rejects every item of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const written: number[][] = [];
    const gc = new GroupCommit<number>(
      (items) => {
        if (fail) return Promise.reject(new Error('database down'));
        written.push(items);
        return Promise.resolve();
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    await expect(gc.append(1)).rejects.toThrow('database down');
    fail = false;
    await gc.append(2);
    expect(written).toEqual([[2]]);
    expect(gc.pending).toBe(0);
  });

  it('a write function that throws synchronously rejects its batch', async () => {
    const gc = new GroupCommit<number>(() => {
      throw new Error('boom');
    });
    await expect(gc.append(1)).rejects.toThrow('boom');
  });
});

describe('batcher', () => {
  it('hands each caller its own result from a shared statement', async () => {
    const calls: string[][] = [];
    const b = new Batcher<string, number>(
      (keys) => {
        calls.push(keys);
        return Promise.resolve(keys.map((k) => k.length));
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.all(['a', 'bb', 'ccc', 'dddd'].map((k) => b.submit(k)));
    expect(results).toEqual([1, 2, 3, 4]);
    expect(calls).toEqual([['a'], ['bb', 'ccc', 'dddd']]);
  });
});
