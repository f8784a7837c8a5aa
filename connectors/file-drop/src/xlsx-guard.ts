import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { errorMessage } from '@hub/errors';

/**
 * An XLSX is a zip archive, and exceljs expands every part of it in memory before it looks at any:
 * a 250 kB "zip bomb" declaring a 256 MB sheet costs 256 MB of heap and seconds of CPU before it is
 * refused with an exceljs internal error. This guard reads only the archive's central directory
 * (yauzl: the sizes each entry declares, nothing inflated) and refuses a file whose declared
 * expanded size, entry count or compression ratio is over the configured limits, or that is not a
 * zip archive at all. A file within the declared limits is then inflated once as a stream into
 * nothing, with yauzl checking that no entry expands past the size it declared: an archive that
 * lies about its sizes is refused after at most `maxUncompressedBytes` of inflating, never held in
 * memory. Only then is it handed to exceljs.
 */
export interface XlsxLimits {
  /** Sum of the declared uncompressed sizes of all entries. */
  readonly maxUncompressedBytes: number;
  /** Uncompressed ÷ compressed size of any one entry of at least 1 MiB (deflate tops out near 1 032). */
  readonly maxCompressionRatio: number;
  readonly maxEntries: number;
}

export const DEFAULT_XLSX_LIMITS: XlsxLimits = {
  maxUncompressedBytes: 200 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxEntries: 10_000,
};

/** Entries smaller than this are not judged by their ratio (a small, very regular part is harmless). */
const RATIO_MIN_BYTES = 1024 * 1024;

export type XlsxRefusalCode =
  'XLSX_TOO_LARGE' | 'XLSX_COMPRESSION_RATIO' | 'XLSX_TOO_MANY_ENTRIES' | 'XLSX_MALFORMED';

/** Why a workbook is refused before it is parsed; `problem` and `hint` are Vietnamese first, then English. */
export class XlsxRefusedError extends Error {
  constructor(
    readonly code: XlsxRefusalCode,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(problem);
    this.name = 'XlsxRefusedError';
  }
}

const MB = 1024 * 1024;
/** Sizes as people read them: `256 MB`, `1.5 MB`, `250 kB`, `12 B`. */
export function humanSize(bytes: number): string {
  if (bytes >= MB) return `${Number((bytes / MB).toFixed(bytes >= 10 * MB ? 0 : 1))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} B`;
}

const SPLIT_HINT =
  'Tệp được giữ trong thư mục failed/; hãy xuất lại thành nhiều tệp nhỏ hơn (hoặc dạng CSV) rồi thả lại. / ' +
  'The file is kept in failed/; export it again as several smaller files (or as CSV) and drop them again.';
const MALFORMED_HINT =
  'Tệp được giữ trong thư mục failed/; hãy mở và lưu lại bằng Excel (Lưu thành… .xlsx) hoặc xuất lại, rồi thả lại. / ' +
  'The file is kept in failed/; open and save it again as .xlsx from Excel, or export it again, then drop it again.';

const malformed = (vi: string, en: string, detail?: string): XlsxRefusedError =>
  new XlsxRefusedError(
    'XLSX_MALFORMED',
    `tệp .xlsx không phải là bảng tính Excel hợp lệ: ${vi} / the .xlsx file is not a valid Excel workbook: ${en}` +
      (detail ? ` (${detail})` : ''),
    MALFORMED_HINT,
  );

function openZip(bytes: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(
      bytes,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    ),
  );
}

/** Every entry of the central directory (nothing inflated). */
async function centralDirectory(zip: ZipFile, maxEntries: number): Promise<Entry[]> {
  if (zip.entryCount > maxEntries) {
    throw new XlsxRefusedError(
      'XLSX_TOO_MANY_ENTRIES',
      `tệp .xlsx chứa ${zip.entryCount} mục, vượt giới hạn ${maxEntries} / the .xlsx archive holds ${zip.entryCount} entries, over the limit of ${maxEntries}`,
      SPLIT_HINT,
    );
  }
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (e: Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/** Inflate one entry into nothing; yauzl fails the stream as soon as it outgrows its declared size. */
async function drain(zip: ZipFile, entry: Entry): Promise<void> {
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
  );
  await pipeline(
    stream,
    new Writable({
      write: (_chunk, _enc, done) => done(),
    }),
  );
}

/** Refuse (throw `XlsxRefusedError`) a workbook that is not a zip, or would expand past the limits. */
export async function checkXlsxArchive(
  bytes: Buffer,
  limits: XlsxLimits = DEFAULT_XLSX_LIMITS,
): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (e) {
    throw malformed(
      'không đọc được cấu trúc zip (tệp bị cắt ngắn hoặc không phải Excel)',
      'no readable zip structure (cut short, or not an Excel file)',
      errorMessage(e),
    );
  }
  try {
    let entries: Entry[];
    try {
      entries = await centralDirectory(zip, limits.maxEntries);
    } catch (e) {
      if (e instanceof XlsxRefusedError) throw e;
      throw malformed('mục lục zip bị hỏng', 'its zip directory is broken', errorMessage(e));
    }
    const total = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    const biggest = entries.reduce<Entry | undefined>(
      (max, e) => (max === undefined || e.uncompressedSize > max.uncompressedSize ? e : max),
      undefined,
    );
    const part = (e: Entry | undefined) =>
      e ? `${e.fileName}: ${humanSize(e.uncompressedSize)} từ/from ${humanSize(e.compressedSize)}` : '';
    if (total > limits.maxUncompressedBytes) {
      throw new XlsxRefusedError(
        'XLSX_TOO_LARGE',
        `tệp .xlsx giải nén ra ${humanSize(total)}, vượt giới hạn ${humanSize(limits.maxUncompressedBytes)} (${part(biggest)}) / ` +
          `the .xlsx expands to ${humanSize(total)}, over the limit of ${humanSize(limits.maxUncompressedBytes)}; it was not expanded`,
        SPLIT_HINT,
      );
    }
    for (const e of entries) {
      if (e.uncompressedSize < RATIO_MIN_BYTES) continue;
      const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
      if (ratio > limits.maxCompressionRatio) {
        throw new XlsxRefusedError(
          'XLSX_COMPRESSION_RATIO',
          `tệp .xlsx có phần nén ${Math.round(ratio)}:1, vượt giới hạn ${limits.maxCompressionRatio}:1 (${part(e)}) — dấu hiệu của "zip bomb" / ` +
            `an entry of the .xlsx is compressed ${Math.round(ratio)}:1, over the limit of ${limits.maxCompressionRatio}:1 (a zip bomb); it was not expanded`,
          SPLIT_HINT,
        );
      }
    }
    if (!entries.some((e) => e.fileName === 'xl/workbook.xml')) {
      throw malformed('tệp zip không có xl/workbook.xml', 'a zip archive without xl/workbook.xml');
    }
    for (const e of entries) {
      if (e.isEncrypted() || !e.canDecodeFileData()) {
        throw malformed(
          `mục ${e.fileName} được mã hoá hoặc nén theo kiểu không hỗ trợ`,
          `entry ${e.fileName} is encrypted or uses an unsupported compression`,
        );
      }
    }
    // Within the declared limits: make sure the declarations are true before exceljs inflates the
    // whole archive in memory (the inflated bytes are dropped as they come).
    for (const e of entries) {
      try {
        await drain(zip, e);
      } catch (err) {
        throw malformed(
          `mục ${e.fileName} không giải nén được như kích thước đã khai`,
          `entry ${e.fileName} does not inflate as its declared size`,
          errorMessage(err),
        );
      }
    }
  } finally {
    zip.close();
  }
}
