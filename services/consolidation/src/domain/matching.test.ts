import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PrecisionDate } from '@hub/schemas';
import { aCitizenObserved, address, day, yearOnly } from '../fixtures.test-support.js';
import {
  citizenBlockingKeys,
  citizenFeatures,
  compareDates,
  compareNames,
  scoreCitizens,
} from './citizen-matching.js';
import { agreementWeight, decide } from './fellegi-sunter.js';
import { citizenKind } from './citizen.kind.js';

const dates: fc.Arbitrary<PrecisionDate> = fc.oneof(
  fc
    .record({
      year: fc.integer({ min: 1930, max: 2020 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 28 }),
    })
    .map((d) => day(d.year, d.month, d.day)),
  fc
    .record({ year: fc.integer({ min: 1930, max: 2020 }), month: fc.integer({ min: 1, max: 12 }) })
    .map((d) => ({ year: d.year, month: d.month, day: null, precision: 'MONTH' as const })),
  fc.integer({ min: 1930, max: 2020 }).map(yearOnly),
);

describe('date comparison with precision', () => {
  it('agrees on equal full dates, partially on a year-only date of the same year, disagrees otherwise', () => {
    expect(compareDates(day(1985, 3, 12), day(1985, 3, 12))).toBe('agree');
    expect(compareDates(day(1985, 3, 12), yearOnly(1985))).toBe('partial');
    expect(compareDates(day(1985, 3, 12), day(1985, 3, 13))).toBe('disagree');
    expect(compareDates(day(1985, 3, 12), yearOnly(1986))).toBe('disagree');
    expect(compareDates(null, yearOnly(1986))).toBe('missing');
  });

  it('is symmetric and reflexive (never disagrees with itself)', () => {
    fc.assert(
      fc.property(dates, dates, (a, b) => {
        expect(compareDates(a, b)).toBe(compareDates(b, a));
        expect(compareDates(a, a)).not.toBe('disagree');
      }),
    );
  });
});

describe('name comparison on Vietnamese keys', () => {
  it('ignores tone placement and case, tolerates a small typo, rejects another name', () => {
    expect(compareNames('Nguyễn Thị Hòa', 'NGUYỄN THỊ HOÀ')).toBe('agree');
    expect(compareNames('Nguyễn Văn Dũng', 'Nguyễn Văn Dung')).not.toBe('disagree');
    expect(compareNames('Nguyễn Văn Dũng', 'Trần Thị Mai')).toBe('disagree');
  });
});

describe('Fellegi–Sunter scoring', () => {
  const person = aCitizenObserved({
    system: 's',
    recordId: '1',
    fullName: 'Nguyễn Thị Hòa',
    dateOfBirth: day(1985, 3, 12),
    sex: 'FEMALE',
    currentAddress: address('02290'),
  });

  it('weights: agreement positive, disagreement negative, missing zero', () => {
    const w = { m: 0.9, u: 0.01 };
    expect(agreementWeight(w, 'agree')).toBeGreaterThan(0);
    expect(agreementWeight(w, 'disagree')).toBeLessThan(0);
    expect(agreementWeight(w, 'missing')).toBe(0);
  });

  it('name + full birth date match; name + birth year only is for review; a different person is not', () => {
    const t = { upper: 22, lower: 12 };
    const same = aCitizenObserved({
      system: 't',
      recordId: '2',
      fullName: 'Nguyễn Thị Hoà',
      dateOfBirth: day(1985, 3, 12),
      sex: 'FEMALE',
    });
    const vague = aCitizenObserved({
      system: 't',
      recordId: '3',
      fullName: 'Nguyễn Thị Hòa',
      dateOfBirth: yearOnly(1985),
      sex: 'FEMALE',
    });
    const other = aCitizenObserved({
      system: 't',
      recordId: '4',
      fullName: 'Nguyễn Thị Hòa',
      dateOfBirth: day(1990, 1, 2),
      sex: 'FEMALE',
      currentAddress: address('01234'),
    });
    expect(decide(scoreCitizens(citizenFeatures(person), citizenFeatures(same)).score, t)).toBe('match');
    expect(decide(scoreCitizens(citizenFeatures(person), citizenFeatures(vague)).score, t)).toBe('review');
    expect(decide(scoreCitizens(citizenFeatures(person), citizenFeatures(other)).score, t)).toBe('non-match');
  });

  it('is symmetric', () => {
    fc.assert(
      fc.property(
        dates,
        dates,
        fc.constantFrom('Nguyễn Văn An', 'Nguyễn Văn Ân', 'Lê Thị Mai'),
        (d1, d2, name) => {
          const a = citizenFeatures(
            aCitizenObserved({ system: 'a', recordId: '1', fullName: 'Nguyễn Văn An', dateOfBirth: d1 }),
          );
          const b = citizenFeatures(
            aCitizenObserved({ system: 'b', recordId: '2', fullName: name, dateOfBirth: d2 }),
          );
          expect(scoreCitizens(a, b).score).toBeCloseTo(scoreCitizens(b, a).score, 6);
        },
      ),
    );
  });

  it('blocks on name + year, given name + full date, name + commune; never on the name alone', () => {
    const keys = citizenBlockingKeys(citizenFeatures(person));
    expect(keys).toHaveLength(3);
    expect(keys.every((k) => /:(\d{4}|\d{4}-\d{2}-\d{2}|\d{5})$/.test(k))).toBe(true);
    expect(
      citizenBlockingKeys(
        citizenFeatures(aCitizenObserved({ system: 's', recordId: '1', fullName: 'Lê Mai' })),
      ),
    ).toEqual([]);
  });
});

describe('citizen identifiers', () => {
  it('keeps personal numbers and CMND-9 apart, and a 12-digit CMND is the personal number', () => {
    const o = aCitizenObserved({
      system: 's',
      recordId: '1',
      personalId: '008085000123',
      legacyIds: [
        { kind: 'CMND9', value: '070123456' },
        { kind: 'CMND12', value: '008085000123' },
      ],
    });
    expect(citizenKind.identifiers(o)).toEqual([
      { scheme: 'PID', value: '008085000123' },
      { scheme: 'CMND9', value: '070123456' },
    ]);
    expect(citizenKind.primary(o)).toEqual({ scheme: 'PID', value: '008085000123' });
  });

  it('names the field of an unusable identifier', () => {
    const problems = citizenKind.validate(
      aCitizenObserved({ system: 's', recordId: '1', personalId: '12345', fullName: 'A' }),
    );
    expect(problems.map((p) => p.field)).toEqual(['/personalId']);
  });
});
