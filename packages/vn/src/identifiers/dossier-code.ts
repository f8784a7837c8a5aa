/**
 * Dossier codes (mã hồ sơ): `{agency code}-{YYMMDD received}-{sequence}`, e.g.
 * `000.00.01.H29-240115-0001`. The rule text (Circular 01/2018/TT-VPCP) was not found, so the pattern
 * is as observed. The date must be a real calendar date; the agency part is parsed tolerantly.
 */
import { fail, ok, problem, type ParseResult, type Problem } from '../problem.js';
import { parseAgencyCode, type AgencyCode, type ParseAgencyCodeOptions } from './agency-code.js';

export interface DossierCode {
  canonical: string;
  agency: AgencyCode;
  /** ISO date the dossier was received, from YYMMDD (years 2000–2099). */
  receivedOn: string;
  sequence: number;
  /** The sequence as written (zero-padded). */
  sequenceText: string;
  warnings: Problem[];
}

export interface ParseDossierCodeOptions extends ParseAgencyCodeOptions {
  /** Digits in the sequence part. Default 4, as observed; set a different width if a system uses one. */
  sequenceLength?: number;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function parseDossierCode(
  input: string,
  options: ParseDossierCodeOptions = {},
): ParseResult<DossierCode> {
  const text = input.trim().toUpperCase();
  const match = /^(.+)-(\d+)-(\d+)$/.exec(text);
  if (!match) {
    return fail([
      problem('WRONG_SHAPE', `a dossier code is {agency code}-{YYMMDD}-{sequence}; got "${input}"`, {
        field: 'dossierCode',
        hint: 'example: 000.00.01.H60-250715-0001',
      }),
    ]);
  }
  const [, agencyText = '', dateText = '', sequenceText = ''] = match;
  const problems: Problem[] = [];
  const agency = parseAgencyCode(agencyText, options);
  if (!agency.ok)
    problems.push(...agency.problems.map((p) => ({ ...p, field: `agencyCode.${p.field ?? ''}` })));
  let receivedOn = '';
  if (dateText.length !== 6) {
    problems.push(
      problem('DATE_WRONG_LENGTH', `the date part has 6 digits YYMMDD; got "${dateText}"`, {
        field: 'receivedOn',
      }),
    );
  } else {
    const year = 2000 + Number(dateText.slice(0, 2));
    const month = Number(dateText.slice(2, 4));
    const day = Number(dateText.slice(4, 6));
    if (!isRealDate(year, month, day)) {
      problems.push(
        problem(
          'DATE_NOT_REAL',
          `date part "${dateText}" is not a real date (YYMMDD → ${year}-${dateText.slice(2, 4)}-${dateText.slice(4, 6)})`,
          {
            field: 'receivedOn',
            hint: 'the middle part is year, month, day of receipt; check for a swapped day and month',
          },
        ),
      );
    } else {
      receivedOn = `${year}-${dateText.slice(2, 4)}-${dateText.slice(4, 6)}`;
    }
  }
  const width = options.sequenceLength ?? 4;
  if (sequenceText.length !== width) {
    problems.push(
      problem('SEQUENCE_WRONG_LENGTH', `the sequence has ${width} digits; got "${sequenceText}"`, {
        field: 'sequence',
        hint: `zero-pad it (e.g. ${'1'.padStart(width, '0')}) or set options.sequenceLength for this system`,
      }),
    );
  }
  if (problems.length > 0 || !agency.ok) return fail(problems);
  return ok({
    canonical: `${agency.value.canonical}-${dateText}-${sequenceText}`,
    agency: agency.value,
    receivedOn,
    sequence: Number(sequenceText),
    sequenceText,
    warnings: agency.value.warnings,
  });
}

/** Builds a dossier code; the inverse of `parseDossierCode`. */
export function formatDossierCode(
  agencyCode: string,
  receivedOn: string,
  sequence: number,
  sequenceLength = 4,
): string {
  const yymmdd = receivedOn.slice(2, 4) + receivedOn.slice(5, 7) + receivedOn.slice(8, 10);
  return `${agencyCode.toUpperCase()}-${yymmdd}-${String(sequence).padStart(sequenceLength, '0')}`;
}
