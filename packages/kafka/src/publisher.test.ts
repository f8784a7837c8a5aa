import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkBySize } from './publisher.js';

const msg = (key: string, size: number) => ({ key, value: Buffer.alloc(size), headers: { 'hub-correlation-id': 'c' } });

describe('chunkBySize', () => {
  it('keeps a small batch in one request', () => {
    expect(chunkBySize([msg('a', 10), msg('b', 10)], 10_000)).toHaveLength(1);
  });

  it('splits a batch that would exceed the request limit, in order', () => {
    const chunks = chunkBySize([msg('a', 600), msg('b', 600), msg('c', 600)], 1000);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['a'], ['b'], ['c']]);
  });

  it('never loses, reorders or duplicates a message, and keeps every chunk under the limit unless one message alone is bigger', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }), fc.integer({ min: 200, max: 5000 }), (sizes, limit) => {
        const messages = sizes.map((s, i) => msg(`k${i}`, s));
        const chunks = chunkBySize(messages, limit);
        expect(chunks.flat().map((m) => m.key)).toEqual(messages.map((m) => m.key));
        for (const c of chunks) {
          const bytes = c.reduce((n, m) => n + m.key.length + m.value.length + 64 + 'hub-correlation-id'.length + 1, 0);
          if (c.length > 1) expect(bytes).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });
});
