import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonEqual, survive, stableJson, type AttributeSpec } from './survivorship.js';
import type { SourceRecord } from './types.js';

interface Obs {
  name: string | null;
  phone: string | null;
}

const specs: AttributeSpec<Obs>[] = [
  { name: 'name', group: 'identity', extract: (o) => o.name },
  { name: 'phone', group: 'contact', extract: (o) => o.phone },
];
const authorities = { identity: ['police', 'justice'] };

const rec = (system: string, recordId: string, observedAt: number, o: Partial<Obs>): SourceRecord<Obs> => ({
  system,
  recordId,
  masterId: 'm',
  eventId: `${system}-${recordId}-${observedAt}`,
  observedAt,
  deleted: false,
  observation: { name: null, phone: null, ...o },
});

describe('survivorship', () => {
  it('authority first, even over a more recent statement', () => {
    const r = survive(
      [rec('justice', '1', 200, { name: 'B' }), rec('police', '1', 100, { name: 'A' })],
      specs,
      authorities,
    );
    expect(r.values.name).toBe('A');
    expect(r.lineage.find((l) => l.attribute === 'name')).toMatchObject({
      rule: 'AUTHORITY',
      source: { system: 'police', recordId: '1' },
    });
  });

  it('then recency among equals, then completeness, then a fixed order', () => {
    expect(
      survive([rec('x', '1', 100, { phone: '1' }), rec('y', '1', 200, { phone: '2' })], specs, authorities)
        .lineage[0],
    ).toMatchObject({ rule: 'RECENCY', value: '2' });
    expect(
      survive([rec('x', '1', 100, { phone: '12' }), rec('y', '1', 100, { phone: '123' })], specs, authorities)
        .lineage[0],
    ).toMatchObject({ rule: 'COMPLETENESS', value: '123' });
    expect(
      survive(
        [rec('y', '1', 100, { phone: '999' }), rec('x', '1', 100, { phone: '111' })],
        specs,
        authorities,
      ).lineage[0],
    ).toMatchObject({ rule: 'TIE_BREAK', value: '111' });
  });

  it('reports disagreeing authoritative sources as a conflict, not a silent overwrite', () => {
    const r = survive(
      [rec('police', '1', 100, { name: 'A' }), rec('police', '2', 200, { name: 'B' })],
      specs,
      authorities,
    );
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]?.attribute).toBe('name');
    expect(
      survive(
        [rec('police', '1', 100, { name: 'A' }), rec('other', '2', 200, { name: 'B' })],
        specs,
        authorities,
      ).conflicts,
    ).toEqual([]);
  });

  it("a steward's pin wins and deleted records say nothing", () => {
    const r = survive(
      [rec('police', '1', 100, { name: 'A' }), { ...rec('police', '2', 300, { name: 'Z' }), deleted: true }],
      specs,
      authorities,
      [{ attribute: 'name', value: 'Pinned', source: null, eventId: null }],
    );
    expect(r.values.name).toBe('Pinned');
    expect(r.lineage[0]).toMatchObject({ rule: 'STEWARD', pinned: true });
  });

  it('does not depend on the order of the source records (replays and parallel instances agree)', () => {
    const arb = fc.array(
      fc.record({
        system: fc.constantFrom('police', 'justice', 'other'),
        id: fc.integer({ min: 1, max: 5 }),
        at: fc.integer({ min: 1, max: 4 }),
        name: fc.option(fc.constantFrom('A', 'B', 'CC'), { nil: null }),
        phone: fc.option(fc.constantFrom('1', '22'), { nil: null }),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(arb, fc.integer(), (rows, seed) => {
        const unique = [...new Map(rows.map((r) => [`${r.system}/${r.id}`, r])).values()];
        const records = unique.map((r) =>
          rec(r.system, String(r.id), r.at, { name: r.name, phone: r.phone }),
        );
        const shuffled = [...records].sort(
          (a, b) => ((a.recordId.charCodeAt(0) * seed) % 7) - ((b.recordId.charCodeAt(0) * seed) % 7),
        );
        expect(stableJson(survive(shuffled, specs, authorities))).toBe(
          stableJson(survive(records, specs, authorities)),
        );
      }),
    );
  });

  it('jsonEqual agrees with comparing stable JSON, key order and undefined keys included', () => {
    expect(stableJson({ b: [1, { d: null, c: 'x' }], a: undefined })).toBe('{"b":[1,{"c":"x","d":null}]}');
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, undefined, 0, 1, '', 'a', true, false),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(jsonEqual(a, b)).toBe(stableJson(a) === stableJson(b));
        expect(jsonEqual(a, structuredClone(a))).toBe(true);
      }),
    );
  });
});
