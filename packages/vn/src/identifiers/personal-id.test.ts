import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centurySexDigitFor, checkPersonalIdConsistency, parsePersonalId, type Sex } from './personal-id.js';
import { classifyPersonIdentifier } from './person-identifier.js';
import { personalIdRegistrationCodes } from './registration-codes.js';

const codes = [...personalIdRegistrationCodes().keys()];

const personalIdArb = fc
  .record({
    code: fc.constantFrom(...codes),
    birthYear: fc.integer({ min: 1900, max: 2025 }),
    sex: fc.constantFrom<Sex>('MALE', 'FEMALE'),
    serial: fc.integer({ min: 0, max: 999_999 }),
  })
  .map(({ code, birthYear, sex, serial }) => ({
    id: `${code}${centurySexDigitFor(birthYear, sex) ?? 0}${String(birthYear % 100).padStart(2, '0')}${String(serial).padStart(6, '0')}`,
    birthYear,
    sex,
    code,
  }));

describe('parsePersonalId', () => {
  it('reads registration province, century/sex and birth year', () => {
    const result = parsePersonalId('008185000123');
    expect(result).toMatchObject({
      ok: true,
      value: {
        registrationCode: '008',
        sex: 'FEMALE',
        birthYear: 1985,
        serial: '000123',
        registrationProvince: { provinceName: 'Tuyên Quang' },
      },
    });
  });

  it.each([
    ['002 Hà Giang keeps its prefix after the merger', '002090123456', true],
    ['spaces and dots typed by people', '008 185 000.123', true],
    ['unknown registration code 097', '097185000123', false],
    ['code 003 does not exist (no province 03)', '003185000123', false],
    ['11 digits', '00818500012', false],
    ['letters', '00818500012A', false],
  ])('%s', (_label, input, valid) => {
    expect(parsePersonalId(input, { maxBirthYear: 2026 }).ok).toBe(valid);
  });

  it('explains a 9-digit input as a CMND', () => {
    const result = parsePersonalId('123456789');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.hint).toMatch(/CMND/);
  });

  it('accepts a configured country code for births abroad', () => {
    expect(parsePersonalId('999185000123').ok).toBe(false);
    const abroad = parsePersonalId('999185000123', { countryCodes: ['999'] });
    expect(abroad).toMatchObject({
      ok: true,
      value: { registeredAbroad: true, registrationProvince: undefined },
    });
  });

  it('rejects birth years in the future', () => {
    const result = parsePersonalId('008425000123', { maxBirthYear: 2026 });
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual(['BIRTH_YEAR_IN_FUTURE']);
  });

  it('property: every generated valid number re-validates with its year and sex', () => {
    fc.assert(
      fc.property(personalIdArb, ({ id, birthYear, sex, code }) => {
        const result = parsePersonalId(id, { maxBirthYear: 2025 });
        expect(result).toMatchObject({
          ok: true,
          value: { birthYear, sex, registrationCode: code, value: id },
        });
        expect(
          checkPersonalIdConsistency(id, { dateOfBirth: `${birthYear}-06-01`, sex }, { maxBirthYear: 2025 }),
        ).toEqual([]);
      }),
    );
  });

  it('property: a date of birth in another century is always reported', () => {
    fc.assert(
      fc.property(personalIdArb, fc.constantFrom(-100, 100), ({ id, birthYear }, shift) => {
        const problems = checkPersonalIdConsistency(
          id,
          { dateOfBirth: birthYear + shift },
          { maxBirthYear: 2025 },
        );
        expect(problems.map((p) => p.code)).toContain('CENTURY_MISMATCH');
      }),
    );
  });
});

describe('checkPersonalIdConsistency', () => {
  it('flags a CCCD whose century digit contradicts the birth year, with the expected digits', () => {
    // Digit 4 = 0 (1900s male) but the person was born in 2005.
    const problems = checkPersonalIdConsistency('008005000123', { dateOfBirth: '2005-03-05', sex: 'MALE' });
    expect(problems.map((p) => p.code)).toEqual(['CENTURY_MISMATCH']);
    expect(problems[0]?.hint).toContain('008205');
  });

  it('flags a wrong year within the century and a wrong sex', () => {
    const problems = checkPersonalIdConsistency('008185000123', { dateOfBirth: 1986, sex: 'MALE' });
    expect(problems.map((p) => p.code)).toEqual(['BIRTH_YEAR_MISMATCH', 'SEX_MISMATCH']);
  });

  it('reports an unreadable date of birth instead of ignoring it', () => {
    expect(
      checkPersonalIdConsistency('008185000123', { dateOfBirth: '05/03/1985' }).map((p) => p.code),
    ).toEqual(['INVALID_DATE_OF_BIRTH']);
  });
});

describe('classifyPersonIdentifier', () => {
  it.each([
    ['123456789', 'CMND9', undefined, 'CMND9:123456789'],
    ['CMND: 123 456 789', 'CMND9', undefined, 'CMND9:123456789'],
    ['008185000123', 'CMND12_OR_CCCD', '008185000123', 'PID:008185000123'],
    ['Số CCCD 008185000123', 'CCCD', '008185000123', 'PID:008185000123'],
    ['CMND 008185000123', 'CMND12_OR_CCCD', '008185000123', 'PID:008185000123'],
    ['CMND/CCCD: 008185000123', 'CMND12_OR_CCCD', '008185000123', 'PID:008185000123'],
  ])('%s → %s', (input, kind, personalNumber, aliasKey) => {
    expect(classifyPersonIdentifier(input)).toMatchObject({
      ok: true,
      value: { kind, personalNumber, aliasKey },
    });
  });

  it('never treats a 9-digit CMND as a personal number, even if it is declared a CCCD', () => {
    const declared = classifyPersonIdentifier('123456789', { declared: 'CCCD' });
    expect(declared.ok ? 'ok' : declared.problems[0]?.code).toBe('CCCD_WITH_9_DIGITS');
  });

  it('rejects other lengths and text that is not a labelled number', () => {
    expect(classifyPersonIdentifier('1234567890').ok).toBe(false);
    expect(classifyPersonIdentifier('abc123456789').ok).toBe(false);
  });

  it('property: CMND-9 and 12-digit alias keys never collide', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{9}$/), personalIdArb, (cmnd, { id }) => {
        const a = classifyPersonIdentifier(cmnd);
        const b = classifyPersonIdentifier(id, { maxBirthYear: 2025 });
        expect(a.ok && b.ok && a.value.aliasKey !== b.value.aliasKey).toBe(true);
        expect(a.ok && a.value.personalNumber).toBe(undefined);
      }),
    );
  });
});
