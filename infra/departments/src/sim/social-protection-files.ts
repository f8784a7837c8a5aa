/**
 * Social-protection offices drop full exports of their allowance lists into a folder:
 *   btxh_tq_<stamp>.xlsx   former Tuyên Quang office, XLSX (exceljs), Unicode
 *   btxh_hg_<stamp>.csv    former Hà Giang office, legacy program: CSV whose text is TCVN3 bytes
 * Every file is written to a dot-prefixed temporary name in the same folder and renamed, so a
 * reader never sees a half-written file.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { ALLOWANCE, SOCIAL_COLUMNS } from '../departments/social-protection.js';
import type { SourceRecord } from '../departments/types.js';
import { formatAddress } from '../generator/places.js';
import { toTcvn3 } from '../noise/noise.js';
import { livePerson, liveRng } from './live-people.js';
import { emptyTick, type DepartmentSimulator, type GroundTruthCounts, type TickResult } from './types.js';

export const SOCIAL_HEADERS: Record<(typeof SOCIAL_COLUMNS)[number], string> = {
  ma_doi_tuong: 'Mã đối tượng',
  ho_ten: 'Họ và tên',
  ngay_sinh: 'Ngày sinh',
  gioi_tinh: 'Giới tính',
  so_cccd_cmnd: 'Số CCCD/CMND',
  dia_chi: 'Địa chỉ',
  ma_xa: 'Mã xã',
  loai_doi_tuong: 'Loại đối tượng',
  muc_huong: 'Mức hưởng',
  ngay_huong: 'Ngày hưởng',
  trang_thai: 'Trạng thái',
  van_phong: 'Văn phòng',
};

type Row = Record<string, unknown>;

export interface ExportResult {
  files: string[];
  rows: { TQ: number; HG: number };
}

/** Writes `content` to `dir/name` atomically (temp file in the same folder, then rename). */
export async function writeAtomically(dir: string, name: string, content: Buffer | string): Promise<string> {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  const final = join(dir, name);
  try {
    await writeFile(temp, content);
    await rename(temp, final);
  } catch (e: unknown) {
    await rm(temp, { force: true });
    throw e;
  }
  return final;
}

export class SocialProtectionExporter implements DepartmentSimulator {
  readonly id = 'social-protection';
  private readonly rows = new Map<string, Row>();
  private exportSeq = 0;
  private liveSeq = 0;

  /** `keep`: how many exports per office stay in the folder (older ones are removed). Default 20. */
  constructor(private readonly options: { dir: string; keep?: number }) {}

  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
  }

  load(records: readonly SourceRecord[]): Promise<void> {
    for (const r of records) this.rows.set(r.id, r.row);
    return Promise.resolve();
  }

  counts(): Promise<GroundTruthCounts> {
    const out: GroundTruthCounts = { TQ: { total: 0, live: 0 }, HG: { total: 0, live: 0 } };
    for (const row of this.rows.values()) {
      const office = out[row.van_phong === 'HG' ? 'HG' : 'TQ'];
      if (!office) continue;
      office.total++;
      if (row.trang_thai === 'Đang hưởng' || row.trang_thai === toTcvn3('Đang hưởng')) office.live++;
    }
    return Promise.resolve(out);
  }

  /** Writes one full export per office now. */
  async exportNow(): Promise<ExportResult> {
    const stamp = `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${String(this.exportSeq++).padStart(4, '0')}`;
    const tq = [...this.rows.values()].filter((r) => r.van_phong !== 'HG');
    const hg = [...this.rows.values()].filter((r) => r.van_phong === 'HG');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('DanhSachChiTra');
    sheet.addRow(SOCIAL_COLUMNS.map((c) => SOCIAL_HEADERS[c]));
    for (const row of tq) sheet.addRow(SOCIAL_COLUMNS.map((c) => row[c] ?? null));
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const csvText = stringify(
      [
        SOCIAL_COLUMNS.map((c) => toTcvn3(SOCIAL_HEADERS[c])),
        ...hg.map((row) => SOCIAL_COLUMNS.map((c) => row[c] ?? '')),
      ],
      { record_delimiter: '\r\n' },
    );
    const files = [
      await writeAtomically(this.options.dir, `btxh_tq_${stamp}.xlsx`, xlsx),
      // TCVN3 text is one byte per character: write the Latin-1 code units as bytes.
      await writeAtomically(this.options.dir, `btxh_hg_${stamp}.csv`, Buffer.from(csvText, 'latin1')),
    ];
    await this.prune();
    return { files, rows: { TQ: tq.length, HG: hg.length } };
  }

  private async prune(): Promise<void> {
    const keep = this.options.keep ?? 20;
    const names = (await readdir(this.options.dir)).filter((n) => /^btxh_(tq|hg)_/.test(n)).sort();
    for (const office of ['btxh_tq_', 'btxh_hg_']) {
      const mine = names.filter((n) => n.startsWith(office));
      for (const old of mine.slice(0, Math.max(0, mine.length - keep)))
        await rm(join(this.options.dir, old), { force: true });
    }
  }

  /** Adds, changes and ceases beneficiaries, then drops a new export. */
  async tick(changes: number): Promise<TickResult> {
    const result = emptyTick();
    const rng = liveRng();
    const all = [...this.rows.entries()];
    for (let i = 0; i < changes; i++) {
      const action =
        all.length === 0
          ? 'ADD'
          : rng.weighted<'ADD' | 'CHANGE' | 'CEASE'>([
              ['ADD', 3],
              ['CHANGE', 4],
              ['CEASE', 3],
            ]);
      if (action === 'ADD') {
        const p = livePerson(rng, `${rng.int(1930, 1945)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}`);
        const id = `BTXH-L${Date.now().toString(36)}${this.liveSeq++}`;
        const hgOffice = p.address.oldProvinceCode === '02';
        const text = (s: string) => (hgOffice ? toTcvn3(s) : s);
        this.rows.set(id, {
          ma_doi_tuong: id,
          ho_ten: text(p.fullName),
          ngay_sinh: p.dateOfBirth.split('-').reverse().join('/'),
          gioi_tinh: text(p.sex === 'MALE' ? 'Nam' : 'Nữ'),
          so_cccd_cmnd: p.personalId,
          dia_chi: text(formatAddress(p.address, 'CURRENT')),
          ma_xa: p.address.communeCode,
          loai_doi_tuong: 'NCT80',
          muc_huong: ALLOWANCE.NCT80,
          ngay_huong: new Date().toISOString().slice(0, 10).split('-').reverse().join('/'),
          trang_thai: text('Đang hưởng'),
          van_phong: hgOffice ? 'HG' : 'TQ',
        });
        result.truth.push({
          source: 'social-protection',
          table: hgOffice ? 'legacy_csv' : 'xlsx',
          sourceRecordId: id,
          entityType: 'person',
          entityId: p.entityId,
          noise: hgOffice ? ['TCVN3'] : [],
        });
        result.inserted++;
      } else {
        const [id, row] = rng.pick(all);
        const hgOffice = row.van_phong === 'HG';
        if (action === 'CHANGE') this.rows.set(id, { ...row, muc_huong: Number(row.muc_huong) + 50_000 });
        else this.rows.set(id, { ...row, trang_thai: hgOffice ? toTcvn3('Thôi hưởng') : 'Thôi hưởng' });
        if (action === 'CHANGE') result.updated++;
        else result.deleted++;
      }
    }
    await this.exportNow();
    return result;
  }

  reset(): Promise<void> {
    this.rows.clear();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
