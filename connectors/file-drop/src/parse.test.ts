import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { toTcvn3 } from '@hub/departments';
import { FileDropConfigSchema } from './config.js';
import { decodeFile, repairField } from './encoding.js';
import { globToRegExp } from './file-drop-source.js';
import { parseCsv, parseXlsx } from './parse.js';

const opts = FileDropConfigSchema.shape.source.parse({ system: 'test', directory: '/tmp' });

describe('encodings', () => {
  it('reads UTF-8 (BOM or not), UTF-16 with BOM, and legacy bytes as Latin-1', () => {
    expect(decodeFile(Buffer.from('\uFEFFHọ và tên', 'utf8'))).toEqual({
      text: 'Họ và tên',
      encoding: 'utf8',
    });
    expect(decodeFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Nữ', 'utf16le')]))).toEqual({
      text: 'Nữ',
      encoding: 'utf16le',
    });
    const legacy = Buffer.from(toTcvn3('Nguyễn Thị Hoà'), 'latin1');
    expect(decodeFile(legacy).encoding).toBe('latin1');
    expect(repairField(decodeFile(legacy).text, 0.6)).toMatchObject({
      text: 'Nguyễn Thị Hoà',
      from: 'TCVN3',
    });
  });

  it('keeps Unicode and plain ASCII fields as they are', () => {
    expect(repairField('Lò Văn Páo', 0.6)).toEqual({ text: 'Lò Văn Páo' });
    expect(repairField('BTXH-12', 0.6)).toEqual({ text: 'BTXH-12' });
  });
});

describe('CSV', () => {
  it('repairs TCVN3 headers and fields, and reports broken lines with their numbers', () => {
    const csv = [
      'Mã đối tượng,Họ và tên,Giới tính',
      'B1,Nguyễn Thị Hoà,Nữ',
      'B2,Đặng Văn Tâm', // a field missing
      'B3,"Lý Thị Mai",Nữ',
      '',
      'B4,Hoàng A Páo,Nam',
    ].join('\r\n');
    const parsed = parseCsv(Buffer.from(toTcvn3(csv), 'latin1'), opts);
    expect(parsed.encoding).toBe('latin1');
    expect(
      parsed.rows.map((r) => [r.line, r.data['Mã đối tượng'], r.data['Họ và tên'], r.data['Giới tính']]),
    ).toEqual([
      [2, 'B1', 'Nguyễn Thị Hoà', 'Nữ'],
      [4, 'B3', 'Lý Thị Mai', 'Nữ'],
      [6, 'B4', 'Hoàng A Páo', 'Nam'],
    ]);
    expect(parsed.bad).toEqual([
      { line: 3, raw: expect.any(String) as string, problem: 'has 2 fields, the header has 3' },
    ]);
    expect(parsed.repairedFields).toBeGreaterThan(5);
  });

  it('an unclosed quote is one unparsable record; the lines before it still parse', () => {
    const parsed = parseCsv(Buffer.from('a,b\n1,2\n"3,4\n5,6\n'), opts);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.bad[0]?.problem).toMatch(/Quote Not Closed/);
  });
});

describe('XLSX', () => {
  it('reads the named sheet with the header row, numbers kept, rich text flattened', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Khac').addRow(['x']);
    const sheet = wb.addWorksheet('DanhSachChiTra');
    sheet.addRow(['Mã đối tượng', 'Họ và tên', 'Mức hưởng']);
    sheet.addRow(['B1', { richText: [{ text: 'Nguyễn ' }, { text: 'Văn A' }] }, 500000]);
    sheet.addRow([]);
    sheet.addRow(['B2', 'Ma Thị Bích', 750000]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const parsed = await parseXlsx(bytes, { ...opts, xlsx: { sheet: 'DanhSachChiTra' } });
    expect(parsed.rows).toEqual([
      { line: 2, data: { 'Mã đối tượng': 'B1', 'Họ và tên': 'Nguyễn Văn A', 'Mức hưởng': 500000 } },
      { line: 4, data: { 'Mã đối tượng': 'B2', 'Họ và tên': 'Ma Thị Bích', 'Mức hưởng': 750000 } },
    ]);
    await expect(parseXlsx(Buffer.from('not a zip'), opts)).rejects.toThrow();
  });
});

describe('file patterns', () => {
  it('match names case-insensitively with * and ?', () => {
    expect(globToRegExp('btxh_hg_*.csv').test('BTXH_HG_20250101-0001.CSV')).toBe(true);
    expect(globToRegExp('btxh_hg_*.csv').test('btxh_tq_1.csv')).toBe(false);
    expect(globToRegExp('a?.xlsx').test('ab.xlsx')).toBe(true);
  });
});
