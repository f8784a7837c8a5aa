import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { FileDropConfigSchema } from './config.js';
import { parseXlsx } from './parse.js';
import {
  DEFAULT_XLSX_LIMITS,
  XlsxRefusedError,
  checkXlsxArchive,
  humanSize,
  type XlsxLimits,
} from './xlsx-guard.js';

const opts = FileDropConfigSchema.shape.source.parse({ system: 'test', directory: '/tmp' });

/** A real workbook (exceljs, as departments' tools write them): `rows` rows of very regular text. */
async function workbook(rows: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('DanhSach');
  sheet.addRow(['Mã đối tượng', 'Họ và tên', 'Ghi chú']);
  for (let i = 0; i < rows; i++) sheet.addRow([`B${i}`, 'Nguyễn Văn A', 'x'.repeat(200)]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let big: Promise<Buffer> | undefined;
/** A sheet of ≈ 5 MB in a file of ≈ 100 kB (made once). */
const bigWorkbook = (): Promise<Buffer> => (big ??= workbook(20_000));

/** The refusal `checkXlsxArchive` throws (fails the test when it accepts the file). */
async function refusal(bytes: Buffer, limits: XlsxLimits = DEFAULT_XLSX_LIMITS): Promise<XlsxRefusedError> {
  const e = await checkXlsxArchive(bytes, limits).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof XlsxRefusedError)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e;
}

/** Offsets of every central-directory record (signature PK\1\2) of a zip. */
function centralRecords(zip: Buffer): number[] {
  const out: number[] = [];
  for (let i = zip.indexOf('PK\x01\x02', 0, 'latin1'); i >= 0; i = zip.indexOf('PK\x01\x02', i + 4, 'latin1'))
    out.push(i);
  return out;
}

describe('checkXlsxArchive', () => {
  it('accepts a real workbook within the limits, and parseXlsx reads it', async () => {
    const bytes = await workbook(50);
    await expect(checkXlsxArchive(bytes)).resolves.toBeUndefined();
    expect((await parseXlsx(bytes, opts)).rows).toHaveLength(50);
  });

  it('refuses a workbook whose declared expanded size is over the limit, naming sizes and the biggest part', async () => {
    const bytes = await bigWorkbook();
    const limits = { ...DEFAULT_XLSX_LIMITS, maxUncompressedBytes: 1024 * 1024, maxCompressionRatio: 10_000 };
    const e = await refusal(bytes, limits);
    expect(e.code).toBe('XLSX_TOO_LARGE');
    // Vietnamese first, English after the slash.
    expect(e.problem).toMatch(
      /^tệp \.xlsx giải nén ra \d+(\.\d)? MB, vượt giới hạn 1 MB \(xl\/worksheets\/sheet1\.xml: .*\) \/ the \.xlsx expands to/,
    );
    expect(e.problem).toContain('it was not expanded');
    expect(e.hint).toContain('failed/');
    // parseXlsx refuses it the same way, before exceljs sees it
    await expect(parseXlsx(bytes, { ...opts, xlsx: { ...opts.xlsx, ...limits } })).rejects.toBeInstanceOf(
      XlsxRefusedError,
    );
  });

  it('refuses an entry compressed more than the ratio limit (a zip bomb)', async () => {
    const e = await refusal(await bigWorkbook(), { ...DEFAULT_XLSX_LIMITS, maxCompressionRatio: 10 });
    expect(e.code).toBe('XLSX_COMPRESSION_RATIO');
    expect(e.problem).toMatch(
      /vượt giới hạn 10:1 .* \/ an entry of the \.xlsx is compressed \d+:1, over the limit of 10:1/,
    );
  });

  it('refuses an archive with more entries than allowed', async () => {
    const e = await refusal(await workbook(1), { ...DEFAULT_XLSX_LIMITS, maxEntries: 3 });
    expect(e.code).toBe('XLSX_TOO_MANY_ENTRIES');
  });

  it('refuses a file that is not a zip, or is cut short, with a clear reason', async () => {
    const notZip = await refusal(Buffer.from('Mã đối tượng,Họ và tên\nB1,Nguyễn Văn A\n'));
    expect(notZip.code).toBe('XLSX_MALFORMED');
    expect(notZip.problem).toMatch(
      /^tệp \.xlsx không phải là bảng tính Excel hợp lệ: không đọc được cấu trúc zip .* \/ the \.xlsx file is not a valid Excel workbook: no readable zip structure/,
    );
    const good = await workbook(5);
    expect((await refusal(good.subarray(0, Math.floor(good.length / 2)))).code).toBe('XLSX_MALFORMED');
    expect((await refusal(Buffer.alloc(0))).code).toBe('XLSX_MALFORMED');
  });

  it('refuses a zip that is not a workbook', async () => {
    // An exceljs workbook whose xl/workbook.xml entry was renamed in the central directory.
    const bytes = Buffer.from(await workbook(1));
    let renamed = 0;
    for (const at of centralRecords(bytes)) {
      const len = bytes.readUInt16LE(at + 28);
      const name = bytes.toString('latin1', at + 46, at + 46 + len);
      if (name === 'xl/workbook.xml') {
        bytes.write('xl/workbook.xmz', at + 46, 'latin1');
        renamed++;
      }
    }
    expect(renamed).toBe(1);
    const e = await refusal(bytes);
    expect(e.problem).toContain('xl/workbook.xml');
  });

  it('refuses an entry that expands past the size it declares, without trusting the declaration', async () => {
    const bytes = Buffer.from(await workbook(2_000));
    // Declare the sheet 1 kB long (central directory, offset 24): under every limit, but a lie.
    for (const at of centralRecords(bytes)) {
      const len = bytes.readUInt16LE(at + 28);
      if (bytes.toString('latin1', at + 46, at + 46 + len) === 'xl/worksheets/sheet1.xml')
        bytes.writeUInt32LE(1024, at + 24);
    }
    const e = await refusal(bytes);
    expect(e.code).toBe('XLSX_MALFORMED');
    expect(e.problem).toContain('xl/worksheets/sheet1.xml');
    expect(e.problem).toContain('does not inflate as its declared size');
  });

  it('has defaults in the configuration, overridable per connector', () => {
    expect(opts.xlsx).toMatchObject(DEFAULT_XLSX_LIMITS);
    const custom = FileDropConfigSchema.shape.source.parse({
      system: 'test',
      directory: '/tmp',
      xlsx: { maxUncompressedBytes: 1000 },
    });
    expect(custom.xlsx).toMatchObject({ ...DEFAULT_XLSX_LIMITS, maxUncompressedBytes: 1000 });
  });

  it('writes sizes as people read them', () => {
    expect([
      humanSize(12),
      humanSize(250 * 1024),
      humanSize(1.5 * 1024 * 1024),
      humanSize(256 * 1024 * 1024),
    ]).toEqual(['12 B', '250 kB', '1.5 MB', '256 MB']);
  });
});
