import { z } from 'zod';
import { connectorConfigSchema } from '@hub/connector-runtime';
import { DEFAULT_XLSX_LIMITS } from './xlsx-guard.js';

const EnvName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an UPPER_SNAKE environment variable name');

export const FileDropSourceShape = {
  /** The drop folder. */
  directory: z.string().min(1),
  /** Environment variable that, when set, overrides `directory`. */
  directoryEnv: EnvName.optional(),
  /**
   * File names this connector takes (`*` and `?` wildcards, case-insensitive), e.g. `btxh_hg_*.csv`.
   * Several connectors may share a folder with different patterns. Dot files are always ignored.
   */
  include: z.array(z.string().min(1)).min(1).default(['*.csv', '*.xlsx']),
  /** Where finished and failed files are moved (same filesystem: the move is an atomic rename). */
  processedDir: z.string().min(1).optional(),
  failedDir: z.string().min(1).optional(),
  /** A file is taken only once it is this old (for writers that do not write-then-rename). */
  minAgeMs: z.number().int().min(0).default(2_000),
  csv: z
    .object({
      delimiter: z.string().min(1).max(2).default(','),
      /** auto: UTF-8 (with or without BOM), UTF-16 with BOM, else single-byte legacy text. */
      encoding: z.enum(['auto', 'utf8', 'utf16le', 'latin1']).default('auto'),
    })
    .strict()
    .default({ delimiter: ',', encoding: 'auto' }),
  xlsx: z
    .object({
      sheet: z.string().min(1).optional(),
      /**
       * Refuse a workbook (→ failed/, without expanding it) whose zip entries declare more than this
       * many bytes in all, more than `maxEntries` entries, or an entry of 1 MiB or more compressed
       * more than `maxCompressionRatio`:1 (zip bombs). Exceljs expands the whole workbook in memory.
       */
      maxUncompressedBytes: z.number().int().min(1).default(DEFAULT_XLSX_LIMITS.maxUncompressedBytes),
      maxCompressionRatio: z.number().min(1).default(DEFAULT_XLSX_LIMITS.maxCompressionRatio),
      maxEntries: z.number().int().min(1).default(DEFAULT_XLSX_LIMITS.maxEntries),
    })
    .strict()
    .default({ ...DEFAULT_XLSX_LIMITS }),
  /** Row number of the header (1-based); data follows it. */
  headerRow: z.number().int().min(1).default(1),
  /** Repair TCVN3 / VNI / mojibake per field (and in headers) when the detector is confident enough. */
  legacyText: z
    .object({ repair: z.boolean().default(true), minConfidence: z.number().min(0).max(1).default(0.6) })
    .strict()
    .default({ repair: true, minConfidence: 0.6 }),
  /** A row whose column equals one of `deletedValues` (case and accents ignored) is published as a DELETE. */
  softDelete: z
    .object({ column: z.string().min(1), deletedValues: z.array(z.string()).min(1) })
    .strict()
    .optional(),
};

export const FileDropConfigSchema = connectorConfigSchema('file-drop', FileDropSourceShape);
export type FileDropConfig = z.infer<typeof FileDropConfigSchema>;
export type FileDropSourceConfig = FileDropConfig['source'];
