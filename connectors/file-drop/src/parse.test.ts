import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { toTcvn3 } from '@hub/departments';
import { FileDropConfigSchema } from './config.js';
import { decodeFile, repairField } from './encoding.js';
import { MappingSchema } from '@hub/connector-runtime';
import { globToRegExp, safeFileName } from './file-drop-source.js';
import { checkHeader, parseCsv, parseXlsx } from './parse.js';

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
    const parsed = await parseXlsx(bytes, { ...opts, xlsx: { ...opts.xlsx, sheet: 'DanhSachChiTra' } });
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

describe('header against the mapping (issue 11)', () => {
  const mapping = MappingSchema.parse({
    entity: 'citizen',
    recordId: 'Mã đối tượng',
    fields: {
      fullName: 'Họ và tên',
      dateOfBirth: 'Ngày sinh',
      sex: { from: ['Giới tính', 'Phái'], map: { Nam: 'MALE', Nữ: 'FEMALE' }, default: 'UNKNOWN' },
      personalId: { from: 'Số CCCD', required: true },
    },
  });
  const full = 'Mã đối tượng,Họ và tên,Ngày sinh,Phái,Số CCCD,Mức hưởng';

  it('passes a header with every mapped column (of a list, one is enough), other columns allowed, rows or not', () => {
    const parsed = parseCsv(Buffer.from(`${full}\nB1,A,01/01/1960,Nam,008160000001,1\n`), opts);
    expect(parsed.columns).toEqual(full.split(','));
    expect(checkHeader(mapping, parsed.columns, 1)).toBeUndefined();
    expect(checkHeader(mapping, parseCsv(Buffer.from(full), opts).columns, 0)).toBeUndefined();
  });

  it('refuses a header cut short, naming the missing mapped columns and the columns found', () => {
    const parsed = parseCsv(Buffer.from('Mã đối tượng,Họ'), opts);
    expect(parsed.rows).toEqual([]);
    const check = checkHeader(mapping, parsed.columns, 0);
    expect(check?.refuse).toBe(true);
    expect(check?.problem).toContain('missing "Họ và tên", "Ngày sinh", "Giới tính | Phái", "Số CCCD"');
    expect(check?.problem).toContain('columns found: "Mã đối tượng", "Họ"');
  });

  it('refuses a header without a required column or without the record id, rows or not', () => {
    const noId = checkHeader(mapping, ['Họ và tên', 'Ngày sinh', 'Phái', 'Số CCCD'], 5);
    expect(noId).toMatchObject({ refuse: true });
    expect(noId?.problem).toMatch(/^the header lacks required mapped columns "Mã đối tượng"/);
    const noRequired = checkHeader(mapping, ['Mã đối tượng', 'Họ và tên', 'Ngày sinh', 'Phái'], 5);
    expect(noRequired).toMatchObject({ refuse: true });
    expect(noRequired?.problem).toContain('"Số CCCD"');
  });

  it('refuses when no mapped column at all is present (another export, garbage, an empty file)', () => {
    expect(checkHeader(mapping, ['x', 'y'], 3)).toEqual({
      refuse: true,
      problem: expect.stringMatching(
        /^none of the mapped columns is in the header: .*columns found: "x", "y"$/,
      ) as string,
    });
    expect(checkHeader(mapping, parseCsv(Buffer.alloc(0), opts).columns, 0)?.problem).toMatch(
      /columns found: \(none\)$/,
    );
  });

  it('reads a file with rows whose header lacks only optional mapped columns, reporting them', () => {
    const check = checkHeader(mapping, ['Mã đối tượng', 'Họ và tên', 'Số CCCD'], 4);
    expect(check?.refuse).toBe(false);
    expect(check?.problem).toContain('missing "Ngày sinh", "Giới tính | Phái"');
  });
});

describe('file names', () => {
  it('replace control characters for a safe name in failed/', () => {
    expect(safeFileName('line\nbreak.csv')).toBe('line_break.csv');
    expect(safeFileName('a\t\r\u0000\u007f\u0085b.csv')).toBe('a_____b.csv');
    expect(safeFileName('Nguyễn-nfd.csv')).toBe('Nguyễn-nfd.csv');
  });
});

describe('headers of the legacy (TCVN3) office', () => {
  it('reads every mapped column of a Hà Giang export: short names repaired with their row, capitals lost to TCVN3 matched', async () => {
    const { parse: parseYaml } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const config = parseYaml(
      readFileSync(
        new URL('../../config/departments/file-drop/social-protection-hg.yaml', import.meta.url),
        'utf8',
      ),
    ) as { mapping: unknown };
    const mapping = MappingSchema.parse(config.mapping);
    const { alignColumns } = await import('./parse.js');
    const header = ['Mã đối tượng', 'Họ và tên', 'Ngày sinh', 'Giới tính', 'Số CCCD/CMND', 'Địa chỉ'];
    const row = [
      'HG1',
      'Nguyễn Thị Hoà',
      '02/03/1985',
      'Nữ',
      '002185001234',
      'xã Minh Tân, huyện Vị Xuyên, tỉnh Hà Giang',
    ];
    // As the legacy program writes it: TCVN3 single bytes, toned capitals typed in lower case.
    const bytes = Buffer.from(
      [header, row].map((r) => r.map((c) => `"${toTcvn3(c)}"`).join(',')).join('\r\n'),
      'latin1',
    );
    const parsed = alignColumns(
      parseCsv(bytes, { ...opts, csv: { ...opts.csv, encoding: 'auto' } }),
      mapping,
    );
    const mapped = Object.values(mapping.fields).flatMap((r) =>
      r.from === undefined ? [] : [r.from].flat(),
    );
    expect(mapped.filter((c) => !parsed.columns.includes(c))).toEqual([]);
    expect(checkHeader(mapping, parsed.columns, parsed.rows.length)).toBeUndefined();
    expect(parsed.rows[0]?.data).toMatchObject({ 'Số CCCD/CMND': '002185001234', 'Địa chỉ': row[5] });
  });
});
