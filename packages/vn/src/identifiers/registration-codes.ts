import { column, readDataCsv } from '../data-files.js';

/** One row of `data/identifiers/personal-id-registration-codes.csv`. */
export interface RegistrationCode {
  /** Three digits, e.g. `008`. */
  code: string;
  /** Pre-2025 two-digit province code, e.g. `08`. */
  provinceCode: string;
  provinceName: string;
  /** `verified` when the source names it, `pattern` when it follows the `0` + province-code rule. */
  status: 'verified' | 'pattern';
}

const FILE = 'identifiers/personal-id-registration-codes.csv';
let cache: ReadonlyMap<string, RegistrationCode> | undefined;

/** The province-of-registration codes shipped with the package (loaded at first use). */
export function personalIdRegistrationCodes(): ReadonlyMap<string, RegistrationCode> {
  if (cache) return cache;
  const map = new Map<string, RegistrationCode>();
  for (const row of readDataCsv(FILE)) {
    const status = column(row, 'status', FILE);
    map.set(column(row, 'code', FILE), {
      code: column(row, 'code', FILE),
      provinceCode: column(row, 'province_code', FILE),
      provinceName: column(row, 'province_name', FILE),
      status: status === 'verified' ? 'verified' : 'pattern',
    });
  }
  cache = map;
  return map;
}
