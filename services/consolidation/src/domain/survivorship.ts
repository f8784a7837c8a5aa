import type { SourceRef } from '@hub/schemas';
import type { LineageEntry, SourceRecord, SurvivorshipRule } from './types.js';

/** One golden attribute: where its candidates come from and how they compare. */
export interface AttributeSpec<O> {
  readonly name: string;
  /** Authority group (`identity`, `residence`, `civilStatus`, `businessRegistration`, …). */
  readonly group: string;
  /** The value an observation states; null/undefined/''/[] mean "says nothing". */
  readonly extract: (o: O) => unknown;
  /** Equality for conflict detection (default: structural). */
  readonly same?: (a: unknown, b: unknown) => boolean;
  /** Higher is more complete (default: count of non-empty leaves). */
  readonly completeness?: (v: unknown) => number;
}

/** Source systems in order of authority, per attribute group. Unlisted systems rank last. */
export type AuthorityConfig = Readonly<Record<string, readonly string[]>>;

export interface Pin {
  readonly attribute: string;
  readonly value: unknown;
  readonly source: SourceRef | null;
  readonly eventId: string | null;
}

export interface AttributeConflict {
  readonly attribute: string;
  readonly candidates: readonly { source: SourceRef; value: unknown; observedAt: number }[];
}

export interface SurvivorshipResult {
  readonly values: Record<string, unknown>;
  readonly lineage: LineageEntry[];
  readonly conflicts: AttributeConflict[];
}

export function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

/** Stable JSON (sorted keys) for structural equality and deterministic storage. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  // Plain loops and string concatenation: this runs several times per recompute (lineage hash).
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + stableJson(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + stableJson(x);
  }
  return `${out}}`;
}

/**
 * `stableJson(a) === stableJson(b)` without building the strings: a walk that stops at the first
 * difference (golden records and candidate values are compared on every recompute).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return stableJson(a) === stableJson(b); // primitives: null/undefined, NaN, … as JSON says
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k of Object.keys(x)) {
    const v = x[k];
    if (v === undefined) continue; // absent from the JSON
    n++;
    const w = y[k];
    if (w === undefined || !jsonEqual(v, w)) return false;
  }
  for (const k of Object.keys(y)) if (y[k] !== undefined) n--;
  return n === 0;
}

export function defaultCompleteness(v: unknown): number {
  if (isEmpty(v)) return 0;
  if (typeof v === 'string') return v.trim().length;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + defaultCompleteness(x), 0);
  if (typeof v === 'object')
    return Object.values(v as object).reduce<number>((n, x) => n + (isEmpty(x) ? 0 : 1), 0);
  return 1;
}

interface Candidate {
  readonly record: SourceRecord<unknown>;
  readonly value: unknown;
  readonly tier: number;
}

const refOf = (r: SourceRecord<unknown>): SourceRef => ({ system: r.system, recordId: r.recordId });

function compareRecords(a: SourceRecord<unknown>, b: SourceRecord<unknown>): number {
  if (a.system !== b.system) return a.system < b.system ? -1 : 1;
  return a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0;
}

/**
 * Per attribute: a steward's pinned value wins; otherwise the most authoritative source for the
 * attribute's group, then the most recent statement, then the most complete value, then a fixed
 * order of source records (so the result never depends on arrival order). Authoritative sources of
 * the top tier that disagree are reported as conflicts for the steward queue; the chosen value still
 * follows the rules, so replays give the same golden record.
 */
export function survive<O>(
  records: readonly SourceRecord<O>[],
  specs: readonly AttributeSpec<O>[],
  authorities: AuthorityConfig,
  pins: readonly Pin[] = [],
): SurvivorshipResult {
  const live = records.filter((r) => !r.deleted);
  const values: Record<string, unknown> = {};
  const lineage: LineageEntry[] = [];
  const conflicts: AttributeConflict[] = [];
  for (const spec of specs) {
    const pin = pins.find((p) => p.attribute === spec.name);
    if (pin) {
      values[spec.name] = pin.value;
      lineage.push({
        attribute: spec.name,
        value: pin.value,
        rule: 'STEWARD',
        source: pin.source,
        eventId: pin.eventId,
        pinned: true,
      });
      continue;
    }
    const order = authorities[spec.group] ?? [];
    const candidates: Candidate[] = [];
    for (const record of live) {
      const value = spec.extract(record.observation);
      if (isEmpty(value)) continue;
      const idx = order.indexOf(record.system);
      candidates.push({ record: record, value, tier: idx < 0 ? Number.MAX_SAFE_INTEGER : idx });
    }
    if (candidates.length === 0) {
      values[spec.name] = null;
      continue;
    }
    const { chosen, rule } = choose(candidates, spec);
    values[spec.name] = chosen.value;
    lineage.push({
      attribute: spec.name,
      value: chosen.value,
      rule,
      source: refOf(chosen.record),
      eventId: chosen.record.eventId,
      pinned: false,
    });
    const best = chosen.tier;
    if (best !== Number.MAX_SAFE_INTEGER) {
      const same = spec.same ?? jsonEqual;
      const top = candidates.filter((c) => c.tier === best);
      if (top.some((c) => !same(c.value, chosen.value))) {
        conflicts.push({
          attribute: spec.name,
          candidates: [...top]
            .sort((a, b) => compareRecords(a.record, b.record))
            .map((c) => ({ source: refOf(c.record), value: c.value, observedAt: c.record.observedAt })),
        });
      }
    }
  }
  return { values, lineage, conflicts };
}

function choose<O>(
  candidates: Candidate[],
  spec: AttributeSpec<O>,
): { chosen: Candidate; rule: SurvivorshipRule } {
  if (candidates.length === 1) return { chosen: candidates[0] as Candidate, rule: 'ONLY_SOURCE' };
  const complete = spec.completeness ?? defaultCompleteness;
  const sorted = [...candidates].sort(
    (a, b) =>
      a.tier - b.tier ||
      b.record.observedAt - a.record.observedAt ||
      complete(b.value) - complete(a.value) ||
      compareRecords(a.record, b.record),
  );
  const [first, second] = sorted as [Candidate, Candidate];
  let rule: SurvivorshipRule;
  if (first.tier !== second.tier) rule = 'AUTHORITY';
  else if (first.record.observedAt !== second.record.observedAt) rule = 'RECENCY';
  else if (complete(first.value) !== complete(second.value)) rule = 'COMPLETENESS';
  else rule = 'TIE_BREAK';
  return { chosen: first, rule };
}
