import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, ValidationError } from '@hub/errors';
import type { Logger } from '@hub/log';
import { AvroCodec, frame, initCodecs } from './codec.js';
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

describe('initCodecs: a component that starts while the schema registry is down waits for it', () => {
  const down = () =>
    new DependencyUnavailableError(
      'schema-registry',
      'looking up a schema under test-value: the schema registry is unreachable or failing (ECONNREFUSED)',
    );
  /** A registry that is unreachable for its first `failures` lookups, then answers `id`. */
  const flaky = (failures: number, id = 7) => {
    let calls = 0;
    const r = {
      lookup: () => (++calls <= failures ? Promise.reject(down()) : Promise.resolve(id)),
      calls: () => calls,
    };
    return r;
  };
  const recorder = () => {
    const lines: { msg: string; fields: Record<string, unknown> }[] = [];
    const log = (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg });
    return { lines, logger: { warn: log, info: log } as unknown as Logger };
  };

  it('retries with backoff, logging each wait, and resolves the ids once the registry answers', async () => {
    const r = flaky(3);
    const codec = new AvroCodec(r as unknown as SchemaRegistry, 'test-value', schema);
    const { lines, logger } = recorder();
    await initCodecs([codec], { logger, baseMs: 1, maxMs: 4 });
    expect(codec.id).toBe(7);
    expect(r.calls()).toBe(4);
    expect(lines.map((l) => l.msg)).toEqual([
      'schema_registry_unavailable_waiting',
      'schema_registry_unavailable_waiting',
      'schema_registry_unavailable_waiting',
      'schema_registry_available',
    ]);
    expect(lines[0]?.fields).toMatchObject({ subject: 'test-value', attempt: 1 });
    expect(String(lines[0]?.fields.err)).toContain('unreachable');
  });

  it('fails at once, without waiting, when the schema was never registered (not an outage)', async () => {
    const r = { lookup: () => Promise.resolve(undefined) };
    const codec = new AvroCodec(r as unknown as SchemaRegistry, 'test-value', schema);
    const { lines, logger } = recorder();
    await expect(initCodecs([codec], { logger, baseMs: 1, maxMs: 4 })).rejects.toThrow(
      /not registered in the schema registry; run `npm run schemas:register`/,
    );
    expect(lines).toEqual([]);
  });

  it('gives up with the registry error once the component is stopping', async () => {
    const r = flaky(Number.MAX_SAFE_INTEGER);
    const codec = new AvroCodec(r as unknown as SchemaRegistry, 'test-value', schema);
    let stopping = false;
    setTimeout(() => (stopping = true), 50);
    await expect(
      initCodecs([codec], { baseMs: 5, maxMs: 20, cancelled: () => stopping }),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(r.calls()).toBeGreaterThan(1);
  });
});
