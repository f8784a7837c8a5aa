import { compactDigits, fail, ok, problem, type ParseResult, type Problem } from '../problem.js';
import { personalIdRegistrationCodes, type RegistrationCode } from './registration-codes.js';

export type Sex = 'MALE' | 'FEMALE';

/** A 12-digit personal identification number (số định danh cá nhân, printed on the CCCD). */
export interface PersonalId {
  /** The 12 digits, the canonical form. */
  value: string;
  /** Digits 1–3: province where the birth was registered, or a country code. */
  registrationCode: string;
  /** The province row when digits 1–3 are a province code; undefined for a country code. */
  registrationProvince: RegistrationCode | undefined;
  registeredAbroad: boolean;
  /** Digit 4. */
  centurySexDigit: number;
  sex: Sex;
  /** Full birth year from digits 4–6, e.g. 1985. */
  birthYear: number;
  /** Digits 7–12. */
  serial: string;
}

export interface ParsePersonalIdOptions {
  /** Registration-code table; defaults to `data/identifiers/personal-id-registration-codes.csv`. */
  registrationCodes?: ReadonlyMap<string, RegistrationCode>;
  /** Three-digit codes for births registered abroad. The official list is unverified, so none by default. */
  countryCodes?: readonly string[];
  /** Reject birth years after this year (default: the current year). */
  maxBirthYear?: number;
}

/** Century and sex from digit 4 (Circular 07/2016/TT-BCA): 0/1 → 1900s, 2/3 → 2000s, … 8/9 → 2300s. */
export function decodeCenturySexDigit(digit: number): { century: number; sex: Sex } {
  return { century: 1900 + Math.floor(digit / 2) * 100, sex: digit % 2 === 0 ? 'MALE' : 'FEMALE' };
}

/** The digit 4 that a person of this birth year and sex must carry. */
export function centurySexDigitFor(birthYear: number, sex: Sex): number | undefined {
  const step = Math.floor((birthYear - 1900) / 100);
  if (step < 0 || step > 4) return undefined;
  return step * 2 + (sex === 'FEMALE' ? 1 : 0);
}

const TWELVE_DIGITS = /^\d{12}$/;

export function parsePersonalId(
  input: string,
  options: ParsePersonalIdOptions = {},
): ParseResult<PersonalId> {
  const digits = compactDigits(input);
  if (!TWELVE_DIGITS.test(digits)) {
    const length = digits.length;
    const nonDigit = /\D/.test(digits);
    return fail([
      problem(
        nonDigit ? 'NOT_DIGITS' : 'WRONG_LENGTH',
        nonDigit
          ? `a personal identification number has only digits; got "${input}"`
          : `a personal identification number has 12 digits; got ${length}`,
        {
          field: 'personalId',
          hint:
            length === 9
              ? 'a 9-digit number is a legacy CMND; use classifyPersonIdentifier and record it as an alias'
              : 'copy all 12 digits from the citizen identity card (CCCD) or the VNeID app',
        },
      ),
    ]);
  }
  const problems: Problem[] = [];
  const registrationCode = digits.slice(0, 3);
  const codes = options.registrationCodes ?? personalIdRegistrationCodes();
  const registrationProvince = codes.get(registrationCode);
  const registeredAbroad = !registrationProvince && (options.countryCodes ?? []).includes(registrationCode);
  if (!registrationProvince && !registeredAbroad) {
    problems.push(
      problem(
        'UNKNOWN_REGISTRATION_CODE',
        `digits 1–3 "${registrationCode}" are not a province code (001–096) nor a configured country code`,
        {
          field: 'registrationCode',
          hint: 'check the first three digits; for births registered abroad pass the country code in options.countryCodes',
        },
      ),
    );
  }
  const centurySexDigit = Number(digits[3]);
  const { century, sex } = decodeCenturySexDigit(centurySexDigit);
  const birthYear = century + Number(digits.slice(4, 6));
  const maxBirthYear = options.maxBirthYear ?? new Date().getFullYear();
  if (birthYear > maxBirthYear) {
    problems.push(
      problem(
        'BIRTH_YEAR_IN_FUTURE',
        `digits 4–6 "${digits.slice(3, 6)}" give birth year ${birthYear}, after ${maxBirthYear}`,
        {
          field: 'centurySexDigit',
          hint: 'digit 4 encodes century and sex (0/1 = 1900s male/female, 2/3 = 2000s); check it was typed correctly',
        },
      ),
    );
  }
  if (problems.length > 0) return fail(problems);
  return ok({
    value: digits,
    registrationCode,
    registrationProvince,
    registeredAbroad,
    centurySexDigit,
    sex,
    birthYear,
    serial: digits.slice(6),
  });
}

export interface PersonalFacts {
  /** ISO date `YYYY-MM-DD`, or a year (number) when only the year is known. */
  dateOfBirth?: string | number;
  sex?: Sex;
}

/**
 * Checks digits 4–6 of a personal number against a date of birth and sex from another record.
 * Returns the problems found (empty when consistent). Unparseable ids return the parse problems.
 */
export function checkPersonalIdConsistency(
  id: string | PersonalId,
  facts: PersonalFacts,
  options: ParsePersonalIdOptions = {},
): Problem[] {
  let parsed: PersonalId;
  if (typeof id === 'string') {
    const result = parsePersonalId(id, options);
    if (!result.ok) return result.problems;
    parsed = result.value;
  } else {
    parsed = id;
  }
  const problems: Problem[] = [];
  const year = birthYearOf(facts.dateOfBirth);
  if (facts.dateOfBirth !== undefined && year === undefined) {
    problems.push(
      problem(
        'INVALID_DATE_OF_BIRTH',
        `date of birth "${String(facts.dateOfBirth)}" is not YYYY-MM-DD or a year`,
        {
          field: 'dateOfBirth',
          hint: 'parse free-text dates with parseVietnameseDate first',
        },
      ),
    );
  }
  if (year !== undefined && year !== parsed.birthYear) {
    const expectedDigit = centurySexDigitFor(year, facts.sex ?? parsed.sex);
    const centuryWrong = Math.floor(year / 100) !== Math.floor(parsed.birthYear / 100);
    problems.push(
      problem(
        centuryWrong ? 'CENTURY_MISMATCH' : 'BIRTH_YEAR_MISMATCH',
        centuryWrong
          ? `digit 4 "${parsed.centurySexDigit}" puts the birth in the ${Math.floor(parsed.birthYear / 100) * 100}s, but the date of birth is in ${year}`
          : `digits 5–6 "${parsed.value.slice(4, 6)}" give birth year ${parsed.birthYear}, but the date of birth is in ${year}`,
        {
          field: centuryWrong ? 'centurySexDigit' : 'birthYear',
          hint:
            expectedDigit === undefined
              ? 'check both records against the identity card'
              : `for ${year} the number should read ${parsed.registrationCode}${expectedDigit}${String(year % 100).padStart(2, '0')}…; check both records against the identity card`,
        },
      ),
    );
  }
  if (facts.sex !== undefined && facts.sex !== parsed.sex) {
    problems.push(
      problem(
        'SEX_MISMATCH',
        `digit 4 "${parsed.centurySexDigit}" means ${parsed.sex}, but the record says ${facts.sex}`,
        {
          field: 'sex',
          hint: 'even digit 4 = male, odd = female; check which record is wrong',
        },
      ),
    );
  }
  return problems;
}

function birthYearOf(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  const match = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}
