import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeTaxCheckDigit, parseTaxCode } from './tax-code.js';

const firstNineArb = fc
  .stringMatching(/^\d{9}$/)
  .filter((s) => s.slice(2) !== '0000000' && computeTaxCheckDigit(s) !== undefined);
const enterpriseArb = firstNineArb.map((s) => `${s}${computeTaxCheckDigit(s) ?? ''}`);

describe('parseTaxCode', () => {
  it.each([
    ['0100233488', 'ENTERPRISE', '0100233488'],
    ['0314409058-002', 'BRANCH', '0314409058-002'],
    ['0314409058 002', 'BRANCH', '0314409058-002'],
    ['0314409058002', 'BRANCH', '0314409058-002'],
    [' 0100 233 488 ', 'ENTERPRISE', '0100233488'],
    ['008185000123', 'HOUSEHOLD_PERSONAL_ID', '008185000123'],
  ])('%s is %s', (input, kind, canonical) => {
    expect(parseTaxCode(input)).toMatchObject({ ok: true, value: { kind, canonical } });
  });

  it('rejects a wrong check digit and says which digit is expected', () => {
    const result = parseTaxCode('0100233480');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems[0]).toMatchObject({ code: 'CHECK_DIGIT_MISMATCH', field: 'checkDigit' });
      expect(result.problems[0]?.hint).toContain('0100233488');
    }
  });

  it.each([
    ['0100000000', 'ZERO_SEQUENCE'],
    ['0314409058-000', 'ZERO_BRANCH'],
    ['031440905', 'WRONG_LENGTH'],
    ['0314409058-02', 'WRONG_LENGTH'],
    ['03144O9058', 'NOT_DIGITS'],
    ['097185000123', 'UNKNOWN_REGISTRATION_CODE'],
  ])('%s → %s', (input, code) => {
    const result = parseTaxCode(input);
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toContain(code);
  });

  it('reports nine digits whose check value is 10 (no valid code)', () => {
    const nine =
      fc.sample(
        fc.stringMatching(/^\d{9}$/).filter((s) => computeTaxCheckDigit(s) === undefined),
        1,
      )[0] ?? '';
    const result = parseTaxCode(`${nine}0`);
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toContain('NO_VALID_CHECK_DIGIT');
  });

  it('property: every generated code re-validates and its canonical form is a fixed point', () => {
    fc.assert(
      fc.property(
        enterpriseArb,
        fc.option(fc.integer({ min: 1, max: 999 }), { nil: undefined }),
        fc.constantFrom('-', ' ', ''),
        (code, branch, sep) => {
          const input = branch === undefined ? code : `${code}${sep}${String(branch).padStart(3, '0')}`;
          const result = parseTaxCode(input);
          expect(result.ok).toBe(true);
          if (result.ok) {
            expect(result.value.kind).toBe(branch === undefined ? 'ENTERPRISE' : 'BRANCH');
            expect(parseTaxCode(result.value.canonical)).toEqual(result);
          }
        },
      ),
    );
  });

  it('property: any single-digit substitution in the first ten digits is detected', () => {
    fc.assert(
      fc.property(
        enterpriseArb,
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (code, position, delta) => {
          const digit = (Number(code[position]) + delta) % 10;
          const mutated = code.slice(0, position) + String(digit) + code.slice(position + 1);
          expect(parseTaxCode(mutated).ok).toBe(false);
        },
      ),
    );
  });
});
