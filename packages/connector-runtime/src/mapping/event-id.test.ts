import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rawJson } from './event-id.js';

/** The replacer-based text rawJson always produced: the fast path for flat rows must give the same. */
function reference(data: unknown): string {
  return JSON.stringify(data, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (
      typeof v === 'object' &&
      v !== null &&
      (v as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((v as { data?: unknown }).data)
    )
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    return v;
  });
}

const value = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.bigInt(), fc.integer())),
);

describe('rawJson', () => {
  it('gives the same text as the replacer for any row (flat fast path or not)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (row) => {
        expect(rawJson(row)).toBe(reference(row));
      }),
      { numRuns: 500 },
    );
    const rowWithoutPrototype = Object.assign(Object.create(null) as object, { a: 1, b: 'x' });
    expect(rawJson(rowWithoutPrototype)).toBe(reference(rowWithoutPrototype));
  });
});
