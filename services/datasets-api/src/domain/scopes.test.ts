import fc from 'fast-check';
import { catalog } from '@hub/schemas';
import { describe, expect, it } from 'vitest';
import { ACCESS, ALL_SCOPES, DATASETS, parseScopes, project, requireGroupsFor, type Dataset } from './scopes.js';

const allFields = (d: Dataset): string[] => [...ACCESS[d].base, ...ACCESS[d].groups.flatMap((g) => g.fields)];
const fullRecord = (d: Dataset, kind = 'ENTERPRISE'): Record<string, unknown> => ({ ...Object.fromEntries(allFields(d).map((f) => [f, `value-of-${f}`])), kind });

describe('scopes and masking', () => {
  it('never returns a field of a group the caller has no scope for (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATASETS), fc.subarray([...ALL_SCOPES]), fc.constantFrom('ENTERPRISE', 'HOUSEHOLD_BUSINESS'), (dataset, scopes, kind) => {
        const granted = new Set(scopes);
        const p = project(dataset, fullRecord(dataset, kind), granted);
        for (const g of ACCESS[dataset].groups) {
          for (const f of g.fields) {
            if (granted.has(g.scope)) expect(p.value[f]).toBe(`value-of-${f}`);
            else {
              expect(p.value).not.toHaveProperty(f);
              expect(p.withheld).toContain(f);
            }
          }
        }
        // Every group field is either returned or reported withheld, never both.
        const groupFields = ACCESS[dataset].groups.flatMap((g) => g.fields);
        expect([...p.fields, ...p.withheld].sort()).toEqual([...groupFields].sort());
        // Base fields always come.
        for (const f of ACCESS[dataset].base) if (f !== 'kind') expect(p.value[f]).toBe(`value-of-${f}`);
      }),
    );
  });

  it('flags personal data: any citizen group, a business representative, household businesses, a dossier applicant', () => {
    expect(project('citizen', fullRecord('citizen'), new Set(['citizen.address'])).personal).toBe(true);
    expect(project('citizen', fullRecord('citizen'), new Set(['citizen.contact'])).personal).toBe(false); // reserved: no fields yet
    expect(project('business', fullRecord('business'), new Set(['business.registration'])).personal).toBe(false);
    expect(project('business', fullRecord('business', 'HOUSEHOLD_BUSINESS'), new Set(['business.registration'])).personal).toBe(true);
    expect(project('business', fullRecord('business'), new Set(['business.representative'])).personal).toBe(true);
    expect(project('dossier', fullRecord('dossier'), new Set(['dossier.processing'])).personal).toBe(false);
    expect(project('dossier', fullRecord('dossier'), new Set(['dossier.applicant'])).personal).toBe(true);
  });

  it('refuses filters on hidden field groups, naming the parameter and the scope', () => {
    expect(() => requireGroupsFor(new Set(['citizen.address']), 'citizen', { name: 'identity' })).toThrow(/name needs scope citizen.identity/);
    expect(() => requireGroupsFor(new Set(['citizen.address']), 'citizen', { commune: 'address' })).not.toThrow();
    expect(() => requireGroupsFor(new Set(['business.registration']), 'citizen', {})).toThrow(/no scope on the citizen dataset/);
  });

  it('validates scope names', () => {
    expect(parseScopes([' citizen.identity', 'steward', 'steward'])).toEqual(['citizen.identity', 'steward']);
    expect(() => parseScopes(['citizen.everything'])).toThrow(/unknown scope/);
    expect(() => parseScopes([])).toThrow(/at least one scope/);
  });
});

describe('field groups cover the golden records', () => {
  // A field added to a golden schema must be placed in a group (or the base) deliberately: without
  // this, it would be silently dropped from every response, or — worse — served without a scope.
  const GOLDEN = { citizen: 'hub.citizen.CitizenGolden', business: 'hub.business.BusinessGolden', dossier: 'hub.dossier.DossierGolden' } as const;
  /** Envelope fields of the topic that the API does not serve; `updatedAt` is the read model's own. */
  const NOT_SERVED = ['eventId'];
  const READ_MODEL_ONLY = ['updatedAt'];

  it.each(DATASETS)('every %s golden field is in the base or exactly one group', (d) => {
    const fields = (catalog().bundle(GOLDEN[d]).fields as { name: string }[]).map((f) => f.name);
    const placed = [...ACCESS[d].base, ...ACCESS[d].groups.flatMap((g) => g.fields)];
    expect(fields.filter((f) => !placed.includes(f) && !NOT_SERVED.includes(f))).toEqual([]);
    expect(placed.filter((f) => !fields.includes(f) && !READ_MODEL_ONLY.includes(f))).toEqual([]);
    expect(new Set(placed).size).toBe(placed.length);
  });
});
