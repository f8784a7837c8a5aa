import type { ErrorDetail } from '@hub/errors';
import type { CitizenObserved } from '@hub/schemas';
import { classifyPersonIdentifier, matchKey } from '@hub/vn';
import { citizenBlockingKeys, citizenFeatures, scoreCitizens } from './citizen-matching.js';
import type { EntityKind } from './entity-kind.js';
import type { AttributeSpec } from './survivorship.js';
import type { Identifier } from './types.js';

/** `PID:` for 12-digit personal numbers (a 12-digit CMND kept its number), `CMND9:` for legacy ones. */
export function personIdentifier(raw: string, declared?: 'CCCD' | 'CMND'): Identifier | ErrorDetail {
  const parsed = classifyPersonIdentifier(raw, declared ? { declared } : {});
  if (!parsed.ok) {
    const p = parsed.problems[0];
    return { problem: p?.message ?? 'not a personal number or CMND', ...(p?.hint ? { hint: p.hint } : {}) };
  }
  const [scheme = 'PID', value = raw] = parsed.value.aliasKey.split(':');
  return { scheme, value };
}

const isIdentifier = (x: Identifier | ErrorDetail): x is Identifier => 'scheme' in x;

/**
 * Per-observation memo: resolution asks for the same identifiers, features and keys of an
 * observation many times in a batch (locks, prefetch, resolution, every comparison). Observations
 * are never mutated, so the results are cached by object identity and frozen.
 */
function memo<K extends object, V>(compute: (k: K) => V): (k: K) => V {
  const cache = new WeakMap<K, V>();
  return (k) => {
    if (cache.has(k)) return cache.get(k) as V;
    const v = compute(k);
    if (typeof v === 'object' && v !== null) Object.freeze(v);
    cache.set(k, v);
    return v;
  };
}

const featuresOf = memo(citizenFeatures);

function civilDeath(o: CitizenObserved): boolean | null {
  return o.civilEvents.length ? o.civilEvents.some((e) => e.kind === 'DEATH') : null;
}

const sameName = (a: unknown, b: unknown): boolean =>
  typeof a === 'string' && typeof b === 'string' && matchKey(a) === matchKey(b);
const dateCompleteness = (v: unknown): number => {
  const p = (v as { precision?: string } | null)?.precision;
  return p === 'DAY' ? 3 : p === 'MONTH' ? 2 : 1;
};

const ATTRIBUTES: readonly AttributeSpec<CitizenObserved>[] = [
  { name: 'personalId', group: 'identity', extract: (o) => o.personalId },
  { name: 'fullName', group: 'identity', extract: (o) => o.fullName, same: sameName },
  { name: 'dateOfBirth', group: 'identity', extract: (o) => o.dateOfBirth, completeness: dateCompleteness },
  { name: 'sex', group: 'identity', extract: (o) => (o.sex === 'UNKNOWN' ? null : o.sex) },
  { name: 'ethnicity', group: 'identity', extract: (o) => o.ethnicity },
  { name: 'nationality', group: 'identity', extract: (o) => o.nationality },
  { name: 'permanentAddress', group: 'residence', extract: (o) => o.permanentAddress },
  { name: 'currentAddress', group: 'residence', extract: (o) => o.currentAddress },
  { name: 'deceased', group: 'civilStatus', extract: civilDeath },
];

export const citizenKind: EntityKind<CitizenObserved> = {
  type: 'citizen',
  validate(o) {
    const problems: ErrorDetail[] = [];
    if (o.personalId !== null) {
      const id = personIdentifier(o.personalId, 'CCCD');
      if (!isIdentifier(id)) problems.push({ ...id, field: '/personalId' });
    }
    o.legacyIds.forEach((l, i) => {
      if (l.kind !== 'CMND9' && l.kind !== 'CMND12') return;
      const id = personIdentifier(l.value, 'CMND');
      if (!isIdentifier(id)) problems.push({ ...id, field: `/legacyIds/${i}/value` });
    });
    if (
      o.operation === 'UPSERT' &&
      o.personalId === null &&
      (o.fullName === null || o.fullName.trim() === '') &&
      o.legacyIds.length === 0
    ) {
      problems.push({
        field: '/fullName',
        problem: 'a citizen observation needs a personal number, a legacy id or a name',
        hint: 'send at least one identifying field',
      });
    }
    return problems;
  },
  identifiers: memo((o: CitizenObserved) => {
    const ids: Identifier[] = [];
    const push = (id: Identifier | ErrorDetail): void => {
      if (isIdentifier(id) && !ids.some((x) => x.scheme === id.scheme && x.value === id.value)) ids.push(id);
    };
    if (o.personalId !== null) push(personIdentifier(o.personalId, 'CCCD'));
    for (const l of o.legacyIds) {
      if (l.kind === 'CMND9' || l.kind === 'CMND12') push(personIdentifier(l.value, 'CMND'));
      else if (l.kind === 'PASSPORT' && l.value.trim() !== '')
        push({ scheme: 'PASSPORT', value: l.value.trim().toUpperCase() });
    }
    return ids;
  }),
  primaryScheme: 'PID',
  primary: memo((o: CitizenObserved): Identifier | null => {
    if (o.personalId === null) return null;
    const id = personIdentifier(o.personalId, 'CCCD');
    return isIdentifier(id) ? id : null;
  }),
  blockingKeys: memo((o: CitizenObserved) => citizenBlockingKeys(featuresOf(o))),
  score: (a, b) => scoreCitizens(featuresOf(a), featuresOf(b)),
  attributes: ATTRIBUTES,
  links: () => [],
  golden(values, ctx) {
    const personalId = (values.personalId as string | null) ?? null;
    // Legacy numbers of the same person: CMND-9s, and 12-digit numbers other than the chosen one.
    const aliases = ctx.identifiers
      .filter((i) => i.scheme === 'CMND9' || (i.scheme === 'PID' && i.value !== personalId))
      .map((i) => i.value)
      .sort();
    return {
      personalId,
      aliases,
      fullName: values.fullName ?? null,
      dateOfBirth: values.dateOfBirth ?? null,
      sex: values.sex ?? null,
      ethnicity: values.ethnicity ?? null,
      nationality: values.nationality ?? null,
      permanentAddress: values.permanentAddress ?? null,
      currentAddress: values.currentAddress ?? null,
      deceased: values.deceased === true,
      sources: ctx.sources,
      mergedFrom: ctx.mergedFrom,
    };
  },
};
