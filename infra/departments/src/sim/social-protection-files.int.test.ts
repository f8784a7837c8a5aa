import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTcvn3 } from '@hub/vn';
import { renderWorld } from '../departments/render.js';
import type { SourceRecord } from '../departments/types.js';
import { SocialProtectionExporter } from './social-protection-files.js';

const records: SourceRecord[] = [];
for (const { records: r } of renderWorld({ seed: 12, people: 20_000 }))
  records.push(...r['social-protection']);
const tq = records.filter((r) => r.row.van_phong === 'TQ').length;
const hg = records.length - tq;

async function check(path: string): Promise<'ok' | 'gone'> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone'; // pruned after listing: never partial
    throw e;
  }
  if (path.endsWith('.xlsx')) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(wb.getWorksheet('DanhSachChiTra')?.rowCount).toBeGreaterThanOrEqual(tq + 1);
  } else {
    const rows: string[][] = parse(bytes.toString('latin1'));
    expect(rows.length).toBeGreaterThanOrEqual(hg + 1);
    expect(rows.every((r) => r.length === 12)).toBe(true);
  }
  return 'ok';
}

describe('social-protection file drops', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dept-test-drop-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a reader polling the folder never sees a half-written file', async () => {
    const exporter = new SocialProtectionExporter({ dir, keep: 3 });
    await exporter.start();
    await exporter.load(records);
    let writing = true;
    let checked = 0;
    const reader = (async () => {
      while (writing) {
        for (const name of await readdir(dir)) {
          if (name.startsWith('.')) continue; // temporary files are dot-prefixed, readers skip them
          if ((await check(join(dir, name))) === 'ok') checked++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 8; i++) await exporter.exportNow();
    await exporter.tick(5);
    writing = false;
    await reader;
    expect(checked).toBeGreaterThan(0);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('.xlsx'))).toHaveLength(3);
    expect(names.filter((n) => n.endsWith('.csv'))).toHaveLength(3);
  });

  it('writes the Hà Giang export in TCVN3 bytes and the Tuyên Quang export as Unicode XLSX', async () => {
    const names = (await readdir(dir)).sort();
    const csvName = names.filter((n) => n.endsWith('.csv')).pop() ?? '';
    const rows: string[][] = parse((await readFile(join(dir, csvName))).toString('latin1'));
    expect(decodeTcvn3(rows[0]?.[1] ?? '')).toBe('Họ và tên');
    const xlsxName = names.filter((n) => n.endsWith('.xlsx')).pop() ?? '';
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(dir, xlsxName));
    const sheet = wb.getWorksheet('DanhSachChiTra');
    expect(sheet?.getRow(1).getCell(2).value).toBe('Họ và tên');
    const firstTq = records.find((r) => r.row.van_phong === 'TQ');
    const cells = sheet?.getRow(2).values as unknown[];
    expect(cells).toContain(firstTq?.row.ma_doi_tuong);
  });
});
