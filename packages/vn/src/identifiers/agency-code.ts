/**
 * Agency identifiers (mã định danh, QCVN 102:2016/BTTTT): `V1V2V3.Z1Z2.Y1Y2.Hxx`, the provincial
 * People's Committee being `000.00.00.Hxx`. Shorter forms such as `38.98.H29` occur in real dossier
 * codes. The level-1 letter code is checked strictly (letter + 2 digits); the lower levels are
 * accepted with warnings because their rule is unverified.
 */
import { column, readDataCsv } from '../data-files.js';
import { fail, ok, problem, type ParseResult, type Problem } from '../problem.js';

export interface AgencyProvinceCode {
  letterCode: string;
  provinceName: string;
  pre2025ProvinceCode: string;
  status: 'observed' | 'inferred';
  source: string;
}

export interface AgencyCode {
  /** As entered, trimmed and upper-cased. */
  canonical: string;
  /** The level-1 code, e.g. `H60`. */
  levelOne: string;
  /** Lower levels from the most specific to level 2, e.g. `['000', '00', '00']`. */
  lowerLevels: string[];
  /** Whether it has the full four-part shape `NNN.NN.NN.Xnn`. */
  fullForm: boolean;
  /** The province of a `Hxx` code when the table knows it. */
  province: AgencyProvinceCode | undefined;
  warnings: Problem[];
}

const FILE = 'identifiers/agency-province-codes.csv';
let table: ReadonlyMap<string, AgencyProvinceCode> | undefined;

/** Level-1 province letter codes from `data/identifiers/agency-province-codes.csv`. */
export function agencyProvinceCodes(): ReadonlyMap<string, AgencyProvinceCode> {
  if (table) return table;
  const map = new Map<string, AgencyProvinceCode>();
  for (const row of readDataCsv(FILE)) {
    const letterCode = column(row, 'letter_code', FILE);
    map.set(letterCode, {
      letterCode,
      provinceName: column(row, 'province_name', FILE),
      pre2025ProvinceCode: column(row, 'pre2025_province_code', FILE),
      status: column(row, 'status', FILE) === 'observed' ? 'observed' : 'inferred',
      source: column(row, 'source', FILE),
    });
  }
  table = map;
  return map;
}

export interface ParseAgencyCodeOptions {
  provinceCodes?: ReadonlyMap<string, AgencyProvinceCode>;
}

const FULL_WIDTHS = [3, 2, 2] as const;

export function parseAgencyCode(
  input: string,
  options: ParseAgencyCodeOptions = {},
): ParseResult<AgencyCode> {
  const canonical = input.trim().toUpperCase();
  if (canonical === '') return fail([problem('EMPTY', 'the agency code is empty', { field: 'agencyCode' })]);
  if (!/^[0-9A-Z.]+$/.test(canonical)) {
    return fail([
      problem('INVALID_CHARACTERS', `an agency code has only digits, letters and dots; got "${input}"`, {
        field: 'agencyCode',
        hint: 'example: 000.00.00.H60',
      }),
    ]);
  }
  const parts = canonical.split('.');
  const levelOne = parts[parts.length - 1] ?? '';
  if (!/^[A-Z]\d{2}$/.test(levelOne)) {
    return fail([
      problem(
        'INVALID_LEVEL_ONE',
        `the last part "${levelOne}" must be a letter and two digits (e.g. H60 for a province)`,
        {
          field: 'levelOne',
          hint: 'agency codes end with the ministry (G..) or province (H..) code',
        },
      ),
    ]);
  }
  const lowerLevels = parts.slice(0, -1);
  const warnings: Problem[] = [];
  if (lowerLevels.some((p) => p === '')) {
    return fail([problem('EMPTY_PART', 'the code has an empty part between dots', { field: 'agencyCode' })]);
  }
  const fullForm =
    lowerLevels.length === 3 && lowerLevels.every((p, i) => p.length === FULL_WIDTHS[i] && /^\d+$/.test(p));
  if (!fullForm) {
    warnings.push(
      problem(
        'NON_STANDARD_SHAPE',
        `"${canonical}" is not the four-part form NNN.NN.NN.${levelOne}; accepted because shorter forms occur in practice`,
        {
          field: 'agencyCode',
        },
      ),
    );
  }
  if (!levelOne.startsWith('H') && !levelOne.startsWith('G')) {
    warnings.push(
      problem(
        'UNUSUAL_LEVEL_ONE',
        `level-1 code ${levelOne} is neither a province (H) nor a ministry (G) code`,
        { field: 'levelOne' },
      ),
    );
  }
  const province = levelOne.startsWith('H')
    ? (options.provinceCodes ?? agencyProvinceCodes()).get(levelOne)
    : undefined;
  if (levelOne.startsWith('H') && !province) {
    warnings.push(
      problem('UNKNOWN_PROVINCE_CODE', `province letter code ${levelOne} is not in the table`, {
        field: 'levelOne',
        hint: `add it to data/${FILE}`,
      }),
    );
  } else if (province?.status === 'inferred') {
    warnings.push(
      problem(
        'INFERRED_PROVINCE_CODE',
        `${levelOne} = ${province.provinceName} is inferred, not confirmed by an official list`,
        { field: 'levelOne' },
      ),
    );
  }
  return ok({ canonical, levelOne, lowerLevels, fullForm, province, warnings });
}
