/**
 * Imports an official unit catalogue (CSV) that a province or the statistics office supplies, so
 * the registry can be extended or refreshed without a code change. Column names are configurable;
 * every problem names its line and column.
 */
import { parse } from 'csv-parse/sync';
import { fail, ok, problem, type ParseResult, type Problem } from '../problem.js';
import { REFORM_DATE, LAST_PRE_2025_DAY } from './default-catalogue.js';
import type { AdminUnit, Era, UnitLevel } from './types.js';

export interface ImportCommuneCatalogueOptions {
  /** Header names of the columns to read. `type` and `parentCode` are optional. */
  columns?: { code?: string; name?: string; type?: string; parentCode?: string };
  /** Field delimiter (default `,`; official exports are often `;`). */
  delimiter?: string;
  era: Era;
  level?: UnitLevel;
  /** Parent for every row when the file has no parent column (e.g. the province code `08`). */
  parentCode?: string;
  validFrom?: string;
  validTo?: string;
  /** Left-pad numeric codes that a spreadsheet stored as numbers (`691` → `00691`). Default false. */
  padCodes?: boolean;
  /** Split a leading unit-type word off the name ("Xã Lâm Bình" → xã, "Lâm Bình"). Default true. */
  splitTypeFromName?: boolean;
}

const WIDTH: Record<UnitLevel, number> = { province: 2, district: 3, commune: 5 };
const TYPE_WORDS = ['thành phố', 'thị trấn', 'thị xã', 'phường', 'huyện', 'quận', 'tỉnh', 'đặc khu', 'xã'];

export function splitUnitType(fullName: string): { type: string | undefined; name: string } {
  const name = fullName.normalize('NFC').trim();
  const lower = name.toLowerCase();
  for (const word of TYPE_WORDS) {
    if (lower.startsWith(`${word} `)) return { type: word, name: name.slice(word.length + 1).trim() };
  }
  return { type: undefined, name };
}

export function importCommuneCatalogue(
  csvText: string,
  options: ImportCommuneCatalogueOptions,
): ParseResult<AdminUnit[]> {
  const level = options.level ?? 'commune';
  const width = WIDTH[level];
  const columns = { code: 'code', name: 'name', ...options.columns };
  type Row = { record: Record<string, string>; info: { lines: number } };
  let records: Row[];
  try {
    records = parse<Row>(csvText, {
      columns: (header: string[]) => header.map((h) => h.normalize('NFC').trim()),
      delimiter: options.delimiter ?? ',',
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    });
  } catch (error: unknown) {
    const line =
      typeof error === 'object' && error !== null && 'lines' in error && typeof error.lines === 'number'
        ? error.lines
        : undefined;
    const message = error instanceof Error ? error.message : String(error);
    return fail([
      problem('CSV_SYNTAX', `the file is not valid CSV: ${message}`, {
        line,
        hint: 'check quotes and the delimiter option',
      }),
    ]);
  }
  const header = Object.keys(records[0]?.record ?? {});
  const problems: Problem[] = [];
  const wanted: Array<[string, string | undefined]> = [
    ['code', columns.code],
    ['name', columns.name],
    ['type', columns.type],
    ['parentCode', columns.parentCode],
  ];
  for (const [role, name] of wanted) {
    if (name !== undefined && records.length > 0 && !header.includes(name)) {
      problems.push(
        problem('MISSING_COLUMN', `column "${name}" (${role}) is not in the header [${header.join(', ')}]`, {
          line: 1,
          field: name,
          hint: `set options.columns.${role} to the header used by this file`,
        }),
      );
    }
  }
  if (records.length === 0) problems.push(problem('EMPTY_FILE', 'the file has no data rows', { line: 1 }));
  if (problems.length > 0) return fail(problems);

  const era = options.era;
  const validFrom = options.validFrom ?? (era === 'CURRENT' ? REFORM_DATE : undefined);
  const validTo = options.validTo ?? (era === 'PRE_2025' ? LAST_PRE_2025_DAY : undefined);
  const seen = new Map<string, number>();
  const units: AdminUnit[] = [];
  for (const { record, info } of records) {
    const line = info.lines;
    let code = (record[columns.code] ?? '').trim();
    if (options.padCodes && /^\d+$/.test(code) && code.length < width) code = code.padStart(width, '0');
    if (code === '') {
      problems.push(
        problem('EMPTY_CODE', `line ${line}: column "${columns.code}" is empty`, {
          line,
          field: columns.code,
        }),
      );
      continue;
    }
    if (!/^\d+$/.test(code) || code.length !== width) {
      const short = /^\d+$/.test(code) && code.length < width;
      problems.push(
        problem(
          'MALFORMED_CODE',
          `line ${line}: column "${columns.code}" = "${code}" is not a ${width}-digit ${level} code`,
          {
            line,
            field: columns.code,
            hint: short
              ? 'a spreadsheet probably dropped the leading zeros; set padCodes: true or fix the file'
              : undefined,
          },
        ),
      );
      continue;
    }
    const firstLine = seen.get(code);
    if (firstLine !== undefined) {
      problems.push(
        problem('DUPLICATE_CODE', `line ${line}: code ${code} already appears on line ${firstLine}`, {
          line,
          field: columns.code,
        }),
      );
      continue;
    }
    seen.set(code, line);
    const rawName = (record[columns.name] ?? '').normalize('NFC').trim();
    if (rawName === '') {
      problems.push(
        problem('EMPTY_NAME', `line ${line}: column "${columns.name}" is empty`, {
          line,
          field: columns.name,
        }),
      );
      continue;
    }
    const split =
      options.splitTypeFromName === false ? { type: undefined, name: rawName } : splitUnitType(rawName);
    const typeColumn =
      columns.type === undefined
        ? undefined
        : (record[columns.type] ?? '').normalize('NFC').trim().toLowerCase();
    const parentCode =
      columns.parentCode === undefined
        ? options.parentCode
        : (record[columns.parentCode] ?? '').trim() || options.parentCode;
    units.push({
      level,
      code,
      name: split.name,
      type: typeColumn || split.type,
      parentCode,
      era,
      validFrom,
      validTo,
    });
  }
  return problems.length > 0 ? fail(problems) : ok(units);
}
