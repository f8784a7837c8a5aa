import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import { eventually } from '@hub/testing';
import { TestHub } from './support/hub.js';
import { SEED } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { rng } from './support/rng.js';
import { startConnector } from './support/polling.js';
import { CONFIG_DIR, type ServiceProcess } from './support/stack.js';
import { zipBomb } from './support/zip.js';

/**
 * ARCHITECTURE §9.2 for file drops (issue 11, task 2): hostile files dropped between two good ones —
 * odd and path-like names, a symlink pointing outside the folder, invalid encodings, a truncated
 * XLSX, zip bombs disguised as .xlsx and a workbook over the size limit — are each moved out of the
 * way (failed/ with a reason; spreadsheets refused from their zip directory, never expanded,
 * or processed/ when only the name was odd), nothing is written outside the drop folder, the
 * connector keeps running, and the good files around them are still published.
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'filedrop');
const random = rng(SEED);
const HEADER = 'Mã đối tượng,Họ và tên,Ngày sinh,Giới tính,Số CCCD/CMND,Địa chỉ,Trạng thái';
const NAMES = ['Lò Thị Mai', 'Hoàng Văn Páo', 'Ma Thị Đào', 'Nông Văn Dìn', 'Chẩu Thị Vân', 'Giàng A Lử'];
const nameOf = (n: number) => NAMES[n % NAMES.length] ?? 'Lò Thị Mai';
const row = (id: string, n: number) =>
  `${id},${nameOf(n)},0${1 + (n % 9)}/03/1960,Nữ,008160${String(n).padStart(6, '0')},"Thôn Nà Khà, xã Thượng Lâm",Đang hưởng`;
const csv = (prefix: string, n: number) =>
  `${HEADER}\n${Array.from({ length: n }, (_, i) => row(`${prefix}-${i}`, i)).join('\n')}\n`;

let wrapper: string;
let drop: string;
let proc: ServiceProcess;

/** A valid XLSX of the same export (exceljs, the library the connector reads with). */
async function xlsx(prefix: string, n: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('DanhSachChiTra');
  ws.addRow(HEADER.split(','));
  for (let i = 0; i < n; i++)
    ws.addRow([
      `${prefix}-${i}`,
      nameOf(i),
      '01/03/1960',
      'Nữ',
      `008160${String(i).padStart(6, '0')}`,
      'Thôn Nà Khà',
      'Đang hưởng',
    ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Small enough for a test file to exceed with a real workbook (the default allows 200 MB expanded). */
const XLSX_LIMITS = { maxUncompressedBytes: 4 * 1024 * 1024, maxCompressionRatio: 200 };
/** How each refused spreadsheet must be refused (the code is in its dead letter). */
const XLSX_REFUSALS: Record<string, string> = {
  'truncated.xlsx': 'XLSX_MALFORMED',
  'not-a-zip.xlsx': 'XLSX_MALFORMED',
  'bomb.xlsx': 'XLSX_TOO_LARGE',
  'small-bomb.xlsx': 'XLSX_COMPRESSION_RATIO',
  'many-rows.xlsx': 'XLSX_TOO_LARGE',
};

/** Files in drop order: [name, content, expected outcome]. */
type Outcome = 'processed' | 'failed' | 'ignored';
let files: [string, Buffer | 'symlink', Outcome][];

beforeAll(async () => {
  await hub.createTopics(1);
  wrapper = mkdtempSync(join(tmpdir(), 'systest-drop-'));
  drop = join(wrapper, 'drop');
  mkdirSync(drop);
  const good = await xlsx('XGOOD', 5);
  files = [
    ['good-first.csv', Buffer.from(csv('GOOD1', 5)), 'processed'],
    // names that look like paths or carry control/NFD characters: data, not instructions. Names
    // starting with "." are the exporters' temporary files and are left alone by design.
    ['..\\..\\..\\evil-backslash.csv', Buffer.from(csv('NAME1', 2)), 'ignored'],
    ['....csv', Buffer.from(csv('NAME2', 2)), 'ignored'],
    // control characters in the name: refused to failed/ under a safe name, with the reason
    ['line\nbreak.csv', Buffer.from(csv('NAME3', 2)), 'failed'],
    ['Nguye\u0302\u0303n-nfd.csv', Buffer.from(csv('NAME4', 2)), 'processed'],
    [`${'d'.repeat(200)}.csv`, Buffer.from(csv('NAME5', 2)), 'processed'],
    // a symlink to a file outside the folder must not be read
    ['outside-link.csv', 'symlink', 'ignored'],
    // invalid encodings
    // read as single-byte legacy text, no mapped column in its "header": refused as a whole
    [
      'binary-garbage.csv',
      Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256))),
      'failed',
    ],
    // a header cut short and no rows: refused, naming the missing columns
    [
      'utf16-odd-bytes.csv',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv('ENC1', 2), 'utf16le').subarray(0, 101)]),
      'failed',
    ],
    [
      'nul-bytes.csv',
      Buffer.from(`${HEADER}\nENC2-0,\u0000\u0000,01/01/1960,Nữ,008160000001,x,Đang hưởng\n`),
      'processed',
    ],
    // spreadsheets: truncated, not a zip, a zip bomb (256 MB of spaces in ~250 kB) disguised as
    // .xlsx, a small bomb (3 MB in ~3 kB: under the size limit, over the ratio limit), and a real
    // workbook too big for this connector's XLSX_LIMITS (many rows)
    ['truncated.xlsx', good.subarray(0, Math.floor(good.length / 2)), 'failed'],
    ['not-a-zip.xlsx', Buffer.from(csv('ENC3', 2)), 'failed'],
    ['bomb.xlsx', await zipBomb('xl/worksheets/sheet1.xml', 256 * 1024 * 1024), 'failed'],
    ['small-bomb.xlsx', await zipBomb('xl/worksheets/sheet1.xml', 3 * 1024 * 1024), 'failed'],
    ['many-rows.xlsx', await xlsx('BIG', 25_000), 'failed'],
    ['good-last.xlsx', await xlsx('GOOD2', 5), 'processed'],
  ];
  const t0 = Date.now() / 1000 - 3600;
  files.forEach(([name, content], i) => {
    const path = join(drop, name);
    if (content === 'symlink') symlinkSync(join(wrapper, 'secret-outside.csv'), path);
    else writeFileSync(path, content);
    if (content !== 'symlink') utimesSync(path, t0 + i, t0 + i); // drop order
  });
  writeFileSync(join(wrapper, 'secret-outside.csv'), csv('OUTSIDE', 3));

  const config = join(CONFIG_DIR, `filedrop-${hub.run}.json`);
  mkdirSync(CONFIG_DIR, { recursive: true });
  writeFileSync(
    config,
    JSON.stringify({
      id: 'systest-file-drop',
      kind: 'file-drop',
      batchSize: 50,
      pollIntervalMs: 200,
      heartbeatIntervalMs: 2000,
      countIntervalMs: 0,
      topics: { observations: hub.topics.obsCitizen, deadLetter: hub.topics.dlqIngest },
      source: {
        system: 'social-protection',
        directory: drop,
        include: ['*.csv', '*.xlsx'],
        minAgeMs: 0,
        softDelete: { column: 'Trạng thái', deletedValues: ['Thôi hưởng'] },
        xlsx: XLSX_LIMITS,
      },
      mapping: {
        entity: 'citizen',
        recordId: 'Mã đối tượng',
        fields: {
          fullName: 'Họ và tên',
          dateOfBirth: 'Ngày sinh',
          sex: { from: 'Giới tính', map: { Nam: 'MALE', Nữ: 'FEMALE' }, default: 'UNKNOWN' },
          personalId: { from: 'Số CCCD/CMND', normalise: 'personNumber' },
          permanentAddress: 'Địa chỉ',
        },
      },
    }),
  );
  ({ proc } = await startConnector(hub, 'connectors/file-drop', config, {
    // A production-like heap bound, so that a bomb shows as what it would do there.
    NODE_OPTIONS: '--max-old-space-size=1024',
  }));
}, 300_000);

afterAll(async () => {
  await hub.stop();
  rmSync(wrapper, { recursive: true, force: true });
}, 120_000);

const where = (original: string): string => {
  // a name with control characters is moved under a safe name (each one replaced by "_")
  // eslint-disable-next-line no-control-regex
  const name = original.replace(/[\u0000-\u001f\u007f]/g, '_');
  for (const d of ['processed', 'failed']) {
    const dir = join(drop, d);
    if (
      existsSync(dir) &&
      readdirSync(dir).some((f) => f === name || f.startsWith(name.replace(/\.(csv|xlsx)$/, '.')))
    )
      return d;
  }
  return existsSync(join(drop, original)) ? 'drop' : 'gone';
};

describe('hostile files in a drop folder (ARCHITECTURE §9.2)', () => {
  it('moves every hostile file out of the way with a reason and still publishes the good files around them', async () => {
    // The good file dropped last is reached only after every hostile one before it was dealt with.
    await eventually(() => (where('good-last.xlsx') === 'processed' || !proc.alive() ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 500,
      what: 'the last good file to be processed',
    });
    expect(proc.alive(), `the connector died:\n${proc.log().slice(-3000)}`).toBe(true);
    expect(proc.starts).toBe(1);

    const outcomes = Object.fromEntries(
      files.map(([name, , expected]) => [name, { expected, actual: where(name) }]),
    );
    const wrong = Object.entries(outcomes).filter(([, o]) =>
      o.expected === 'ignored' ? o.actual !== 'drop' : o.actual !== o.expected,
    );
    expect(wrong, JSON.stringify(outcomes, null, 1)).toEqual([]);

    // Nothing was written outside the drop folder (no traversal through names or the symlink).
    expect(readdirSync(wrapper).sort()).toEqual(['drop', 'secret-outside.csv']);

    // Every failed file has its reason: a log line and a dead letter.
    const log = proc.log();
    const failed = files.filter(([, , o]) => o === 'failed').map(([n]) => n);
    for (const name of failed)
      expect(log, `a log line saying why ${name} failed`).toContain(JSON.stringify(name).slice(1, -1));
    const letters = await readTopic(hub.kafka, hub.topics.dlqIngest);
    const reasons = letters.map(
      (m) =>
        `${Object.entries(m.headers ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ')} ${m.value?.toString('utf8') ?? ''}`,
    );
    for (const name of failed)
      expect(
        reasons.some((r) => r.includes(name) || r.includes(JSON.stringify(name).slice(1, -1))),
        `a dead letter for ${name}: ${reasons.join(' | ').slice(0, 2000)}`,
      ).toBe(true);

    // Spreadsheets are refused for what is wrong with them, before exceljs expands anything:
    // Vietnamese first, then English; never exceljs's "Cannot set properties of undefined".
    for (const [name, code] of Object.entries(XLSX_REFUSALS)) {
      const reason = reasons.find((r) => r.includes(name)) ?? '';
      expect(reason, `${name} refused as ${code}`).toContain(code);
      expect(reason).toMatch(/tệp \.xlsx .* \/ (the|an entry of the) \.xlsx/);
      expect(reason).not.toContain('Cannot set properties');
    }
    for (const name of ['bomb.xlsx', 'small-bomb.xlsx', 'many-rows.xlsx'])
      expect(reasons.find((r) => r.includes(name))).toContain('it was not expanded');
    expect(log).not.toContain('file_unreadable');

    // The good records were published, the symlinked file outside was not.
    const published = (await readTopic(hub.kafka, hub.topics.obsCitizen)).map(
      (m) => decodeObservation<{ source: { recordId: string } }>('citizen', m.value).source.recordId,
    );
    for (let i = 0; i < 5; i++) {
      expect(published).toContain(`GOOD1-${i}`);
      expect(published).toContain(`GOOD2-${i}`);
    }
    expect(published.filter((id) => id.startsWith('OUTSIDE'))).toEqual([]);
    // Nothing made up from garbage bytes: only the records the files really held.
    expect(published.filter((id) => !/^(GOOD1|GOOD2|NAME4|NAME5|ENC2)-\d+$/.test(id))).toEqual([]);
    // The garbage file's rows each got a dead letter naming the file.
    expect(reasons.filter((r) => r.includes('binary-garbage.csv')).length).toBeGreaterThan(0);
    process.stdout.write(
      `file-drop-hostile: ${files.length} files (${failed.length} expected in failed/), ${letters.length} dead letters, ${published.length} records published\n`,
    );
  }, 300_000);

  it('leaks no personal number into the connector log', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
