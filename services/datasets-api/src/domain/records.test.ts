import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aliasKeysOf, citizenColumns, decide, type MasterChange, type StoredState } from './records.js';
import type { CitizenGolden } from '@hub/schemas';

const citizen = (version: number, over: Partial<CitizenGolden> = {}): CitizenGolden => ({
  eventId: `c:${version}`,
  occurredAt: 0,
  masterId: 'c',
  version,
  change: 'UPDATED',
  personalId: '008185000123',
  aliases: ['012345678'],
  fullName: 'Nguyễn Thị Thuỷ',
  dateOfBirth: { year: 1985, month: null, day: null, precision: 'YEAR' },
  sex: 'FEMALE',
  ethnicity: null,
  nationality: null,
  permanentAddress: { provinceCode: '08', districtCode: null, communeCode: '02215', validOn: null, currentCommuneCodes: ['02216'], detail: null, text: null },
  currentAddress: null,
  deceased: false,
  sources: [],
  mergedFrom: [],
  ...over,
});
const change = (value: CitizenGolden | null, version: number | null = value?.version ?? null): MasterChange => ({ dataset: 'citizen', masterId: 'c', version, value });
const live = (version: number): StoredState => ({ version, state: 'LIVE', mergedInto: null });

describe('read-model decisions', () => {
  it('applies exactly the versions above the stored one (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (stored, incoming) => {
        const d = decide(live(stored), change(citizen(incoming)));
        if (incoming > stored) expect(d.kind).toBe('apply');
        else expect(d).toEqual({ kind: 'ignore', reason: incoming === stored ? 'duplicate' : 'stale' });
      }),
    );
  });

  it('handles tombstones: end a live record, ignore stale, unknown and already-gone ones', () => {
    expect(decide(live(3), change(null, 3)).kind).toBe('apply');
    expect(decide(live(3), change(null, null)).kind).toBe('apply');
    expect(decide(live(3), change(null, 2))).toEqual({ kind: 'ignore', reason: 'stale' });
    expect(decide(undefined, change(null, 1))).toEqual({ kind: 'ignore', reason: 'unknown-record' });
    expect(decide({ version: 3, state: 'MERGED', mergedInto: 'x' }, change(null, 3))).toEqual({ kind: 'ignore', reason: 'already-gone' });
    // A deletion may later turn out to be a merge (the survivor's record arrives on another partition).
    expect(decide({ version: 3, state: 'DELETED', mergedInto: null }, change(null, 3)).kind).toBe('apply');
  });

  it('derives search columns and alias keys with accent-insensitive name tokens', () => {
    const cols = citizenColumns(citizen(1));
    expect(cols.name_tokens).toEqual(['nguyen', 'thi', 'thuy']);
    expect(cols.commune_codes).toEqual(['02215', '02216']);
    expect(aliasKeysOf('citizen', citizen(1))).toEqual(['PID:008185000123', 'CMND9:012345678']);
  });
});
