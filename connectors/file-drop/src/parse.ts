import { parse as parseCsvText } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { decodeFile, repairField, type FileEncoding } from './encoding.js';
import type { Mapping } from '@hub/connector-runtime';
import type { FileDropSourceConfig } from './config.js';
import { checkXlsxArchive } from './xlsx-guard.js';

export interface ParsedRow {
  /** Line (CSV) or row (XLSX) number in the file, 1-based. */
  readonly line: number;
  readonly data: Record<string, unknown>;
}

export interface UnparsableRow {
  readonly line: number;
  readonly raw: string;
  readonly problem: string;
}

export interface ParsedFile {
  readonly rows: ParsedRow[];
  readonly bad: UnparsableRow[];
  readonly encoding: FileEncoding | 'xlsx';
  /** Column names of the header row (empty when the file has none). */
  readonly columns: readonly string[];
  /** Fields (headers included) whose legacy encoding was repaired. */
  readonly repairedFields: number;
}

type ParseOptions = Pick<FileDropSourceConfig, 'csv' | 'xlsx' | 'headerRow' | 'legacyText'>;

class Repairer {
  count = 0;
  constructor(private readonly opts: ParseOptions['legacyText']) {}
  text(v: string): string {
    if (!this.opts.repair) return v.normalize('NFC');
    const r = repairField(v, this.opts.minConfidence);
    if (r.from) this.count++;
    return r.text;
  }

  /**
   * A header row is repaired as one text: a short name such as "Sè CCCD/CMND" holds too few legacy
   * characters to be recognised alone (it stayed unrepaired, and the column was never read), but the
   * row as a whole is clearly TCVN3. Cells are rejoined with a tab; a row whose cells hold tabs, or
   * that does not come back with as many cells, is repaired cell by cell as before.
   */
  row(cells: readonly string[]): string[] {
    if (!this.opts.repair || cells.some((c) => c.includes('\t'))) return cells.map((c) => this.text(c));
    const r = repairField(cells.join('\t'), this.opts.minConfidence);
    const split = r.text.split('\t');
    if (!r.from || split.length !== cells.length) return cells.map((c) => this.text(c));
    this.count += cells.filter((c, i) => c !== split[i]).length;
    return split;
  }
}

function headersOf(cells: readonly unknown[], fix: Repairer): string[] {
  const seen = new Map<string, number>();
  const texts = fix.row(cells.map((c) => cellText(c)));
  return texts.map((text, i) => {
    let name = text.trim() || `column_${i + 1}`;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    if (n > 0) name = `${name}_${n + 1}`; // duplicate headers stay distinct
    return name;
  });
}

/** A CSV file: rows whose column count differs from the header's, or broken quoting, are unparsable. */
export function parseCsv(bytes: Buffer, opts: ParseOptions): ParsedFile {
  const { text, encoding } = decodeFile(bytes, opts.csv.encoding);
  const fix = new Repairer(opts.legacyText);
  const bad: UnparsableRow[] = [];
  const records = parseCsvText(text, {
    delimiter: opts.csv.delimiter,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      bad.push({
        line: Number(err?.lines ?? 0),
        raw: raw ?? '',
        problem: err?.message ?? 'unreadable CSV record',
      });
      return undefined;
    },
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  const headerAt = records.findIndex((r) => r.info.lines >= opts.headerRow);
  const header = records[headerAt];
  if (!header) return { rows: [], bad, encoding, columns: [], repairedFields: fix.count };
  const columns = headersOf(header.record, fix);
  const rows: ParsedRow[] = [];
  for (const { record, info } of records.slice(headerAt + 1)) {
    if (record.length !== columns.length) {
      bad.push({
        line: info.lines,
        raw: record.join(opts.csv.delimiter),
        problem: `has ${record.length} fields, the header has ${columns.length}`,
      });
      continue;
    }
    const data: Record<string, unknown> = {};
    columns.forEach((c, i) => (data[c] = fix.text(record[i] ?? '')));
    rows.push({ line: info.lines, data });
  }
  return {
    rows,
    bad: bad.sort((a, b) => a.line - b.line),
    encoding,
    columns,
    repairedFields: fix.count,
  };
}

/** Text of an exceljs cell value (rich text, formula results, hyperlinks, dates as ISO days). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') {
    const o = v as { richText?: Array<{ text: string }>; result?: unknown; text?: unknown; error?: string };
    if (Array.isArray(o.richText)) return o.richText.map((t) => t.text).join('');
    if ('result' in o) return cellText(o.result);
    if (o.text !== undefined) return cellText(o.text);
    if (o.error) return '';
  }
  return JSON.stringify(v);
}

function cellValue(v: unknown, fix: Repairer): unknown {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  const text = cellText(v);
  return text === '' ? null : fix.text(text);
}

/** An XLSX workbook: the named sheet (or the first), header on `headerRow`. */
export async function parseXlsx(bytes: Buffer, opts: ParseOptions): Promise<ParsedFile> {
  // Before exceljs expands anything: refuse zip bombs, oversized and non-zip files (XlsxRefusedError).
  await checkXlsxArchive(bytes, opts.xlsx);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = opts.xlsx.sheet ? workbook.getWorksheet(opts.xlsx.sheet) : workbook.worksheets[0];
  if (!sheet) throw new Error(`the workbook has no sheet ${opts.xlsx.sheet ?? ''}`.trim());
  const fix = new Repairer(opts.legacyText);
  const headerCells = (sheet.getRow(opts.headerRow).values as unknown[]).slice(1);
  const columns = headersOf(headerCells, fix);
  const rows: ParsedRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    if (line <= opts.headerRow) return;
    const values = (row.values as unknown[]).slice(1);
    if (values.every((v) => v === null || v === undefined || v === '')) return;
    const data: Record<string, unknown> = {};
    columns.forEach((c, i) => (data[c] = cellValue(values[i], fix)));
    rows.push({ line, data });
  });
  return { rows, bad: [], encoding: 'xlsx', columns, repairedFields: fix.count };
}

const quoted = (names: readonly string[], max = 30): string =>
  names.length === 0
    ? '(none)'
    : names
        .slice(0, max)
        .map((n) => JSON.stringify(n.length > 60 ? `${n.slice(0, 60)}…` : n))
        .join(', ') + (names.length > max ? ` … (${names.length} in all)` : '');

export interface HeaderCheck {
  /** The file is refused whole (else it is read, with a warning naming the missing columns). */
  readonly refuse: boolean;
  /** Names the missing mapped columns and the columns found. */
  readonly problem: string;
}

/**
 * The source columns a mapping reads, checked against a file's header (of a `from` list, one column
 * is enough). Undefined when all are there. The file is refused whole when a required one is missing
 * (the record id, a `required` rule without default), when no mapped column at all is there (the
 * wrong file, garbage), or when some are missing and the file holds no rows (an export cut inside its
 * header): read, it would be "processed" as 0 rows, silently. Otherwise the file is read and the
 * missing columns only reported.
 */
export function checkHeader(
  mapping: Mapping,
  columns: readonly string[],
  records: number,
): HeaderCheck | undefined {
  const groups = mappedColumnGroups(mapping);
  const has = new Set(columns);
  const missing = [...groups.entries()].filter(([, g]) => !g.alternatives.some((c) => has.has(c)));
  if (missing.length === 0) return undefined;
  const requiredMissing = missing.filter(([, g]) => g.required).map(([k]) => k);
  const found = `columns found: ${quoted(columns)}`;
  const lacks = `missing ${quoted(missing.map(([k]) => k))}`;
  if (missing.length === groups.size)
    return { refuse: true, problem: `none of the mapped columns is in the header: ${lacks}; ${found}` };
  if (requiredMissing.length > 0)
    return {
      refuse: true,
      problem: `the header lacks required mapped columns ${quoted(requiredMissing)}: ${lacks}; ${found}`,
    };
  if (records === 0)
    return {
      refuse: true,
      problem: `the header lacks mapped columns and the file holds no rows (an export cut short?): ${lacks}; ${found}`,
    };
  return { refuse: false, problem: `the header lacks mapped columns: ${lacks}; ${found}` };
}

/** The source columns a mapping reads, grouped by alternatives (`from: [a, b]`), with whether one is required. */
function mappedColumnGroups(mapping: Mapping): Map<string, { alternatives: string[]; required: boolean }> {
  const groups = new Map<string, { alternatives: string[]; required: boolean }>();
  const add = (alternatives: string[], required: boolean) => {
    const key = alternatives.join(' | ');
    groups.set(key, { alternatives, required: required || (groups.get(key)?.required ?? false) });
  };
  for (const c of [mapping.recordId].flat()) add([c], true);
  for (const c of [mapping.updatedAt, mapping.version]) if (c) add([c], false);
  if (mapping.addressAt && !/^\d{4}-\d{2}-\d{2}$/.test(mapping.addressAt)) add([mapping.addressAt], false);
  for (const rule of Object.values(mapping.fields)) {
    const required = rule.required && rule.default === undefined;
    if (rule.from !== undefined) add([rule.from].flat(), required);
    else if (rule.template !== undefined)
      for (const m of rule.template.matchAll(/\{([^}]+)\}/g)) add([(m[1] ?? '').trim()], required);
  }
  return groups;
}

const headerKey = (name: string): string =>
  name.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();

/**
 * Header names that differ from the mapping's only in letter case or spacing are read as the
 * mapping's: legacy TCVN3 programs have no byte for toned capitals ("Địa chỉ" arrives as "địa
 * chỉ"), and spreadsheets gain double spaces. An exact name always wins; nothing else is guessed.
 */
export function alignColumns(parsed: ParsedFile, mapping: Mapping): ParsedFile {
  const wanted = new Map<string, string>();
  for (const g of mappedColumnGroups(mapping).values())
    for (const c of g.alternatives) if (!wanted.has(headerKey(c))) wanted.set(headerKey(c), c);
  const present = new Set(parsed.columns);
  const renames = new Map<string, string>();
  for (const c of parsed.columns) {
    const target = wanted.get(headerKey(c));
    if (
      target !== undefined &&
      target !== c &&
      !present.has(target) &&
      ![...renames.values()].includes(target)
    )
      renames.set(c, target);
  }
  if (renames.size === 0) return parsed;
  const rename = (c: string): string => renames.get(c) ?? c;
  return {
    ...parsed,
    columns: parsed.columns.map(rename),
    rows: parsed.rows.map((r) => ({
      ...r,
      data: Object.fromEntries(Object.entries(r.data).map(([k, v]) => [rename(k), v])),
    })),
  };
}
