/**
 * Enterprise / tax codes (mã số doanh nghiệp / mã số thuế): `N1N2 N3…N9 N10[-N11N12N13]`.
 * Check digit per python-stdnum `vn/mst.py` (Circular 105/2020/TT-BTC; no official publication of
 * the algorithm was found). Since 1/7/2025 a household business uses its owner's 12-digit personal
 * number as its tax code (Circular 86/2024/TT-BTC), so 12 digits are accepted as that kind.
 */
import { fail, ok, problem, type ParseResult } from '../problem.js';
import { parsePersonalId, type ParsePersonalIdOptions, type PersonalId } from './personal-id.js';

export type TaxCodeKind = 'ENTERPRISE' | 'BRANCH' | 'HOUSEHOLD_PERSONAL_ID';

export interface TaxCode {
  kind: TaxCodeKind;
  /** `0100233488`, `0314409058-002` or the 12 digits of a personal number. */
  canonical: string;
  /** The 10-digit enterprise code (for a branch: its parent's code). Undefined for a personal number. */
  enterpriseCode: string | undefined;
  /** N11–N13 for a branch. */
  branch: string | undefined;
  personalId: PersonalId | undefined;
}

const WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3] as const;

/** N10 for the first nine digits, or undefined when the sum gives 10 (no valid code exists). */
export function computeTaxCheckDigit(firstNine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine[i]) * (WEIGHTS[i] ?? 0);
  const digit = 10 - (sum % 11);
  return digit === 10 ? undefined : digit;
}

export function parseTaxCode(input: string, options: ParsePersonalIdOptions = {}): ParseResult<TaxCode> {
  const compact = input
    .normalize('NFC')
    .trim()
    .replace(/[\s.\u00a0]/g, '');
  let digits: string;
  let branch: string | undefined;
  const dashed = /^(\d+)[-–_/](\d+)$/.exec(compact);
  if (dashed) {
    digits = dashed[1] ?? '';
    branch = dashed[2] ?? '';
    if (digits.length !== 10 || branch.length !== 3) {
      return fail([
        problem(
          'WRONG_LENGTH',
          `a branch tax code is 10 digits, a dash and 3 digits; got ${digits.length} and ${branch.length}`,
          {
            field: 'taxCode',
            hint: 'write it as 0314409058-002',
          },
        ),
      ]);
    }
  } else if (/^\d+$/.test(compact)) {
    digits = compact;
    if (compact.length === 13) {
      digits = compact.slice(0, 10);
      branch = compact.slice(10);
    } else if (compact.length === 12) {
      const personal = parsePersonalId(compact, options);
      if (!personal.ok) {
        return fail(
          personal.problems.map((p) => ({
            ...p,
            hint: `a 12-digit tax code is the owner's personal identification number (household business, from 1/7/2025). ${p.hint ?? ''}`.trim(),
          })),
        );
      }
      return ok({
        kind: 'HOUSEHOLD_PERSONAL_ID',
        canonical: compact,
        enterpriseCode: undefined,
        branch: undefined,
        personalId: personal.value,
      });
    } else if (compact.length !== 10) {
      return fail([
        problem(
          'WRONG_LENGTH',
          `a tax code has 10 digits, 13 with a branch suffix, or 12 for a household business; got ${compact.length}`,
          {
            field: 'taxCode',
            hint:
              compact.length === 9
                ? 'a leading zero may have been dropped by a spreadsheet (codes of Hà Nội start with 01)'
                : 'check for missing or extra digits',
          },
        ),
      ]);
    }
  } else {
    return fail([
      problem(
        'NOT_DIGITS',
        `a tax code has only digits and an optional "-NNN" branch suffix; got "${input}"`,
        { field: 'taxCode' },
      ),
    ]);
  }
  const problems = [];
  if (digits.slice(2, 9) === '0000000') {
    problems.push(
      problem('ZERO_SEQUENCE', 'digits 3–9 are 0000000, which is never issued', { field: 'sequence' }),
    );
  }
  const expected = computeTaxCheckDigit(digits);
  const actual = Number(digits[9]);
  if (expected === undefined) {
    problems.push(
      problem(
        'NO_VALID_CHECK_DIGIT',
        `digits 1–9 "${digits.slice(0, 9)}" give check value 10, so no valid code starts with them`,
        {
          field: 'checkDigit',
          hint: 'one of the first nine digits is mistyped',
        },
      ),
    );
  } else if (expected !== actual) {
    problems.push(
      problem('CHECK_DIGIT_MISMATCH', `check digit (10th) is ${actual} but digits 1–9 require ${expected}`, {
        field: 'checkDigit',
        hint: `a digit is mistyped or two are swapped; if digits 1–9 are right the code is ${digits.slice(0, 9)}${expected}`,
      }),
    );
  }
  if (branch === '000') {
    problems.push(
      problem('ZERO_BRANCH', 'branch suffix 000 is never issued (branches are 001–999)', {
        field: 'branch',
        hint: 'drop the suffix for the head office',
      }),
    );
  }
  if (problems.length > 0) return fail(problems);
  return ok({
    kind: branch === undefined ? 'ENTERPRISE' : 'BRANCH',
    canonical: branch === undefined ? digits : `${digits}-${branch}`,
    enterpriseCode: digits,
    branch,
    personalId: undefined,
  });
}
