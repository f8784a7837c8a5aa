/**
 * Reads the CSV files shipped in `packages/vn/data/`. The path is resolved relative to this module,
 * which sits one level below the package root both as `src/data-files.ts` (vitest, tsx) and as
 * `dist/data-files.js` (after `tsc`), so the same code finds the data in both layouts.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

const DATA_ROOT = new URL('../data/', import.meta.url);

export type CsvRow = Record<string, string>;

/** Parses CSV text with a header row into records keyed by column name. */
export function parseCsvRecords(text: string): CsvRow[] {
  return parse<CsvRow>(text, { columns: true, skip_empty_lines: true, bom: true, trim: true });
}

/** Reads `data/<relativePath>` synchronously and parses it. */
export function readDataCsv(relativePath: string): CsvRow[] {
  const text = readFileSync(new URL(relativePath, DATA_ROOT), 'utf8');
  return parseCsvRecords(text);
}

/** Column access that fails loudly when a shipped data file does not have the expected header. */
export function column(row: CsvRow, name: string, file: string): string {
  const value = row[name];
  if (value === undefined) throw new Error(`data file ${file} has no column "${name}"`);
  return value.normalize('NFC');
}
