import { describe, expect, it } from 'vitest';
import { ValidationError } from '@hub/errors';
import { AvroCodec, frame } from './codec.js';
import type { SchemaRegistry } from './schema-registry.js';

const schema = {
  type: 'record',
  name: 'Note',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'text', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'extra', type: ['null', 'string'], default: null },
  ],
};

/** Only `lookup` is used by init({ register: false }). */
const registry = { lookup: () => Promise.resolve(42) } as unknown as SchemaRegistry;

describe('AvroCodec.encode', () => {
  it('gives the Confluent frame of avsc toBuffer for values of any size (scratch buffer reuse and growth)', async () => {
    const codec = new AvroCodec(registry, 'test-value', schema);
    await codec.init();
    // Small, around avsc's 1 KiB tap, past the 64 KiB scratch (it grows), then small again.
    const texts = [0, 10, 1000, 1020, 2000, 70_000, 300_000, 5, 1500].map((n) =>
      'Hầu A Lềnh x'.repeat(n).slice(0, n),
    );
    const notes = texts.map((text, i) => ({
      id: i,
      text,
      tags: ['a', text.slice(0, 3)],
      extra: i % 2 ? null : 'e',
    }));
    const encoded = notes.map((n) => codec.encode(n)); // several in a row: no buffer is shared
    notes.forEach((n, i) => {
      const bytes = encoded[i] as Buffer;
      expect(bytes.equals(frame(42, codec.type.toBuffer(n)))).toBe(true);
      const back = codec.decodeIfSameSchema(bytes)?.value as typeof n;
      expect(back.text === n.text && back.id === n.id && back.extra === n.extra).toBe(true);
    });
  });

  it('still names the bad field of a value that does not fit', async () => {
    const codec = new AvroCodec(registry, 'test-value', schema);
    await codec.init();
    let error: unknown;
    try {
      codec.encode({ id: 1, text: 5, tags: [] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.map((d) => d.field)).toContain('/text');
  });
});
