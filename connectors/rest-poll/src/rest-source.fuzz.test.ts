import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectorMetrics,
  loadConfigFiles,
  Mapper,
  PollingConnector,
  StatusTracker,
  type BadRecord,
  type CursorCommit,
  type CursorStore,
  type DeliveryResult,
  type GoodRecord,
  type ObservationSink,
} from '@hub/connector-runtime';
import { silentLogger } from '@hub/log';
import { eventually } from '@hub/testing';
import { RestPollConfigSchema, type RestPollConfig } from './config.js';
import { MAX_RECORD_BYTES, MAX_RECORD_DEPTH, RestSource } from './rest-source.js';
import { advanceRestCursor, freshOnes, parseRestCursor, sinceParam, UNREADABLE_KEPT } from './cursor.js';

/**
 * Hostile department answers (issue 11) against the real RestSource, its real HTTP client and a real
 * HTTP server (node:http on port 0), with the one-stop configuration and its mapping. Whatever the
 * server sends, each answer ends in one of two ways:
 *
 * - a clear error naming the system, the request (`/api/v1/dossiers page N`) and what is wrong, that
 *   the polling runtime treats as a failed poll (retried with backoff from the committed cursor);
 * - or its good items handed over once each, and every bad item reported on its own (a dead letter
 *   naming its page, item and problem), never dropped silently and never an exception out of the
 *   mapper, a hang, or a loop.
 */

// ---------------------------------------------------------------------------------------------
// The server: serves `rows` as the one-stop API does (updatedSince inclusive, ordered by update time,
// paged), or, while `faults` last, one hostile answer per request instead.

/** A dossier as served: its JSON text (hostile bytes allowed), and the time the server keeps for it. */
interface Served {
  /** JSON text of the item; `@@BAD@@` is replaced by bytes that are not UTF-8. */
  readonly json: string;
  readonly serverTime: number;
  readonly n: number;
}

type Fault =
  | 'truncated'
  | 'malformed'
  | 'html'
  | 'empty'
  | 'json-null'
  | 'json-number'
  | 'json-string'
  | 'json-array'
  | 'items-object'
  | 'items-string'
  | 'items-null'
  | 'items-missing'
  | 'raw-control-character';
const FAULTS: readonly Fault[] = [
  'truncated',
  'malformed',
  'html',
  'empty',
  'json-null',
  'json-number',
  'json-string',
  'json-array',
  'items-object',
  'items-string',
  'items-null',
  'items-missing',
  'raw-control-character',
];

/** How the server writes totalPages (the configuration reads it from `totalPages`). */
type TotalPages =
  'number' | 'digits' | 'null' | 'missing' | 'words' | 'fraction' | 'negative' | 'huge' | 'object';
const TOTALS: readonly TotalPages[] = [
  'number',
  'digits',
  'null',
  'missing',
  'words',
  'fraction',
  'negative',
  'huge',
  'object',
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/html; charset=utf-8', // wrong, but the body is JSON: accepted
  'text/plain',
  undefined,
];

const world = {
  rows: [] as Served[],
  faults: [] as Fault[],
  totals: 'number' as TotalPages,
  contentType: 'application/json' as string | undefined,
  requests: 0,
  /** Answer with headers and half a body, then nothing. */
  stall: false,
  /** Answer page 1 whatever page is asked for. */
  ignorePage: false,
};
const stalled: ServerResponse[] = [];

function totalPagesJson(pages: number): string | undefined {
  switch (world.totals) {
    case 'number':
      return String(pages);
    case 'digits':
      return JSON.stringify(String(pages));
    case 'null':
      return 'null';
    case 'missing':
      return undefined;
    case 'words':
      return JSON.stringify('nhiều trang');
    case 'fraction':
      return String(pages + 0.5);
    case 'negative':
      return '-1';
    case 'huge':
      return '1000000000';
    case 'object':
      return JSON.stringify({ pages });
  }
}

function pageBody(items: readonly Served[], pages: number, itemsJson?: string): Buffer {
  const total = totalPagesJson(pages);
  const text = `{"data":${itemsJson ?? `[${items.map((r) => r.json).join(',')}]`}${total === undefined ? '' : `,"totalPages":${total}`},"page":{"size":${items.length}}}`;
  const bad = Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80, 0xe1, 0xbb]); // not UTF-8 in four ways
  const parts = text.split('@@BAD@@').map((p) => Buffer.from(p, 'utf8'));
  return Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [bad, p])));
}

function faultBody(fault: Fault, good: Buffer): { body: Buffer | string; type?: string } {
  switch (fault) {
    case 'truncated':
      return { body: good.subarray(0, Math.floor(good.length / 2)) };
    case 'malformed':
      return { body: `{"data":[{"id":1,},],"totalPages":1` };
    case 'html':
      return {
        body: '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>Hệ thống đang bảo trì\u0007</body></html>',
        type: 'text/html',
      };
    case 'empty':
      return { body: '' };
    case 'json-null':
      return { body: 'null' };
    case 'json-number':
      return { body: '42' };
    case 'json-string':
      return { body: '"Lỗi hệ thống"' };
    case 'json-array':
      return { body: '[{"id":1}]' };
    case 'items-object':
      return { body: pageBody([], 1, '{"id":1}') };
    case 'items-string':
      return { body: pageBody([], 1, '"[]"') };
    case 'items-null':
      return { body: pageBody([], 1, 'null') };
    case 'items-missing':
      return { body: '{"error":"không có dữ liệu","totalPages":1}' };
    case 'raw-control-character':
      return { body: '{"data":[{"id":1,"maHoSo":"A\u0001B"}],"totalPages":1}' };
  }
}

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    world.requests++;
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const page = world.ignorePage ? 1 : Number(q.get('page'));
    const size = Number(q.get('pageSize'));
    const since = q.get('updatedSince');
    const from = since === null ? -Infinity : Date.parse(since);
    const matching = world.rows
      .filter((r) => r.serverTime >= from)
      .sort((a, b) => a.serverTime - b.serverTime || a.n - b.n);
    const pages = Math.ceil(matching.length / size);
    const good = pageBody(matching.slice((page - 1) * size, page * size), pages);
    if (world.stall) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(good.subarray(0, Math.ceil(good.length / 2)));
      stalled.push(res);
      return;
    }
    const fault = world.faults.shift();
    const answer = fault === undefined ? { body: good, type: world.contentType } : faultBody(fault, good);
    res.writeHead(200, answer.type === undefined ? {} : { 'content-type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

// ---------------------------------------------------------------------------------------------
// The connector: the one-stop configuration and mapping, small pages, quick retries.

const oneStop = (() => {
  const file = fileURLToPath(
    new URL('../../config/departments/rest-poll/one-stop-dossiers.yaml', import.meta.url),
  );
  const [loaded] = loadConfigFiles([file], RestPollConfigSchema);
  if (!loaded) throw new Error('no one-stop configuration');
  return loaded.config;
})();

function configFor(pageSize: number): RestPollConfig {
  return RestPollConfigSchema.parse({
    ...oneStop,
    pollIntervalMs: 10,
    source: {
      ...oneStop.source,
      baseUrl: base,
      pageSize,
      timeoutMs: 200,
      retry: { attempts: 2, baseMs: 1, maxMs: 2 },
      rateLimit: { perSecond: 10_000, burst: 1000 },
    },
  });
}

const sourceFor = (config: RestPollConfig) => new RestSource(config.source, { baseUrl: base, apiKey: 'k' });
const mapperFor = (config: RestPollConfig) =>
  new Mapper(config.mapping, { system: config.source.system, connectorId: config.id });

// ---------------------------------------------------------------------------------------------
// Dossiers, good and hostile. `_n` (first key) tells them apart in any outcome, a dead letter's
// truncated raw text included.

const T0 = Date.parse('2025-09-01T00:00:00.000Z');

type Variant =
  | { kind: 'good' }
  | { kind: 'id'; id: 'object' | 'list' | 'fraction' | 'null' | 'missing' | 'empty' | 'huge' }
  | {
      kind: 'updatedAt';
      at:
        | 'null'
        | 'epoch'
        | 'object'
        | 'garbage'
        | 'dd/mm'
        | 'mm/dd-looking'
        | 'missing'
        | 'future'
        | 'huge'
        | 'digit';
    }
  | { kind: 'text'; text: 'nfd' | 'control' | 'lone-surrogate' | 'emoji' | 'bidi' }
  | { kind: 'field-types' }
  | { kind: 'huge-array' }
  | { kind: 'not-object'; as: 'null' | 'number' | 'string' | 'list' }
  | { kind: 'deep'; depth: number }
  | { kind: 'huge-string' }
  | { kind: 'not-utf8' };

/** What must become of an item: a record for the mapper, or a dead letter with this code. */
function expected(v: Variant): string {
  switch (v.kind) {
    case 'not-object':
      return 'RECORD_NOT_OBJECT';
    case 'deep':
      return 'RECORD_TOO_DEEP';
    case 'huge-string':
      return 'RECORD_TOO_LARGE';
    case 'not-utf8':
      return 'TEXT_NOT_UTF8';
    case 'good':
    case 'id':
    case 'updatedAt':
    case 'text':
    case 'field-types':
    case 'huge-array':
      return 'record'; // to the mapper, which publishes it or dead-letters it naming the field
  }
}

const variant: fc.Arbitrary<Variant> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Variant>({ kind: 'good' }) },
  fc
    .constantFrom(...(['object', 'list', 'fraction', 'null', 'missing', 'empty', 'huge'] as const))
    .map<Variant>((id) => ({ kind: 'id', id })),
  fc
    .constantFrom(
      ...([
        'null',
        'epoch',
        'object',
        'garbage',
        'dd/mm',
        'mm/dd-looking',
        'missing',
        'future',
        'huge',
        'digit',
      ] as const),
    )
    .map<Variant>((at) => ({ kind: 'updatedAt', at })),
  fc
    .constantFrom(...(['nfd', 'control', 'lone-surrogate', 'emoji', 'bidi'] as const))
    .map<Variant>((text) => ({ kind: 'text', text })),
  fc.constant<Variant>({ kind: 'field-types' }),
  fc.constant<Variant>({ kind: 'huge-array' }),
  // Not null: identical items are one item to the cursor (null is in the cases below).
  fc
    .constantFrom(...(['number', 'string', 'list'] as const))
    .map<Variant>((as) => ({ kind: 'not-object', as })),
  fc.constantFrom(MAX_RECORD_DEPTH + 1, 500, 20_000).map<Variant>((depth) => ({ kind: 'deep', depth })),
  fc.constant<Variant>({ kind: 'huge-string' }),
  fc.constant<Variant>({ kind: 'not-utf8' }),
);

function dossier(n: number, serverTime: number): Record<string, unknown> {
  return {
    _n: n,
    id: 7000 + n,
    maHoSo: `000.00.01.H60-250903-${String(n).padStart(4, '0')}`,
    maThuTuc: '1.001234',
    tenThuTuc: 'Cấp giấy khai sinh',
    maDonVi: '000.00.01.H60',
    kenhNop: 2,
    nguoiNop: { hoTen: 'Nguyễn Văn An', soGiayTo: '008090001234' },
    toChuc: null,
    ngayTiepNhan: '03/09/2025 08:00:00',
    ngayHenTra: '10/09/2025 17:00:00',
    trangThai: '2',
    ngayCapNhat: new Date(serverTime).toISOString(),
    daXoa: false,
  };
}

/** The served JSON text of dossier `n` with its variant applied. */
function serve(n: number, v: Variant, serverTime: number): Served {
  const d = dossier(n, serverTime);
  const served = (json: string): Served => ({ json, serverTime, n });
  switch (v.kind) {
    case 'good':
      return served(JSON.stringify(d));
    case 'id': {
      const ids = {
        object: { ma: n },
        list: [n],
        fraction: n + 0.5,
        null: null,
        empty: '',
        huge: `${'x'.repeat(300)}${n}`,
      };
      if (v.id === 'missing') delete d.id;
      else d.id = ids[v.id];
      return served(JSON.stringify(d));
    }
    case 'updatedAt': {
      const ats = {
        null: null,
        epoch: serverTime,
        object: { thoiGian: new Date(serverTime).toISOString() },
        garbage: 'hôm qua',
        'dd/mm': '13/09/2025 10:00:00',
        'mm/dd-looking': '08/09/2025', // 8 September here; Date.parse reads 9 August
        future: '9999-12-31T00:00:00.000Z',
        huge: `${new Date(serverTime).toISOString()}${' '.repeat(100_000)}`, // must not become updatedSince
        digit: '5', // Date.parse: 2001-05-01
      };
      if (v.at === 'missing') delete d.ngayCapNhat;
      else d.ngayCapNhat = ats[v.at];
      return served(JSON.stringify(d));
    }
    case 'text': {
      const name = {
        nfd: 'Nguyễn Thị Ánh'.normalize('NFD'),
        control: 'Trần\u0000Văn\u0007\u001bBình\t',
        'lone-surrogate': 'Lê Văn \ud800Cường',
        emoji: 'Phạm 👩🏽‍💼 Dung',
        bidi: 'Hoàng\u202e Văn\u200b Em',
      }[v.text];
      d.nguoiNop = { hoTen: name, soGiayTo: '008090001234' };
      d.tenThuTuc = name;
      return served(JSON.stringify(d));
    }
    case 'field-types':
      return served(
        JSON.stringify({
          ...d,
          maHoSo: 12345,
          trangThai: { ma: 2 },
          nguoiNop: 'Nguyễn Văn An',
          kenhNop: [2],
          daXoa: 'có',
        }),
      );
    case 'huge-array':
      return served(JSON.stringify({ ...d, tepDinhKem: Array.from({ length: 20_000 }, (_, i) => i) }));
    case 'not-object': {
      const values = { null: null, number: 1_000_000 + n, string: `item-${n}`, list: [n, 'x'] };
      return served(JSON.stringify(values[v.as]));
    }
    case 'deep':
      return served(
        JSON.stringify({ ...d, chiTiet: '@@DEEP@@' }).replace(
          '"@@DEEP@@"',
          `${'['.repeat(v.depth)}1${']'.repeat(v.depth)}`,
        ),
      );
    case 'huge-string':
      return served(JSON.stringify({ ...d, ghiChu: 'Đ'.repeat(MAX_RECORD_BYTES) }));
    case 'not-utf8':
      return served(
        JSON.stringify({ ...d, nguoiNop: { hoTen: 'Nguy@@BAD@@n Văn An', soGiayTo: '008090001234' } }),
      );
  }
}

/** Which served item an outcome is: `_n` of an object (even in truncated raw text), the value of any other. */
function whichOf(raw: string): string {
  const n = /^\{"_n":(\d+)/.exec(raw)?.[1];
  return n !== undefined ? `#${n}` : raw;
}
const identityOf = (n: number, v: Variant): string =>
  v.kind !== 'not-object'
    ? `#${n}`
    : JSON.stringify({ null: null, number: 1_000_000 + n, string: `item-${n}`, list: [n, 'x'] }[v.as]);

/** A failed read's message must name the system, the request and the problem, on one line. */
function expectClearFailure(e: unknown): void {
  expect(e).toBeInstanceOf(Error);
  const message = (e as Error).message;
  expect(message).toMatch(/^one-stop .*\/api\/v1\/dossiers page \d+/);
  expect(message).toMatch(
    /not JSON|ends early|empty body|the response is (null|a number|a string|a list)|"data" is .* not a list/,
  );
  expect(message).not.toMatch(/\n|Cannot use 'in' operator|Maximum call stack/);
  expect(message).not.toContain('008090001234'); // no record content in the error
}

// ---------------------------------------------------------------------------------------------

/** Serve `rows` (and the hostilities in `over`) from now on. */
function reset(rows: Served[], over: Partial<typeof world> = {}) {
  Object.assign(
    world,
    {
      rows,
      faults: [],
      totals: 'number',
      contentType: 'application/json',
      stall: false,
      ignorePage: false,
    },
    over,
  );
}

describe('rest-poll against hostile department answers (property)', () => {
  it('every item ends up once as a record or a dead letter naming it; every bad answer is a clear, retriable failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(variant, fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom(...FAULTS), { maxLength: 4 }),
        fc.constantFrom(...TOTALS),
        fc.constantFrom(...CONTENT_TYPES),
        async (items, pageSize, faults, totals, contentType) => {
          world.rows = items.map(([v, t], n) => serve(n, v, T0 + t * 60_000)); // ties on purpose
          world.faults = [...faults];
          world.totals = totals;
          world.contentType = contentType;
          world.stall = false;
          world.ignorePage = false;
          const config = configFor(pageSize);
          const source = sourceFor(config);
          const mapper = mapperFor(config);

          const outcomes = new Map<string, string[]>(); // item → what became of it, each time
          const note = (which: string, what: string) =>
            outcomes.set(which, [...(outcomes.get(which) ?? []), what]);
          let cursor: string | undefined;
          let failures = 0;
          let converged = false;
          for (let poll = 0; poll < 200 && !converged; poll++) {
            let batch;
            try {
              batch = await source.read(cursor, 100);
            } catch (e) {
              expectClearFailure(e);
              failures++;
              continue; // the runtime backs off and reads again from the committed cursor
            }
            for (const record of batch.records) {
              expect(record.location).toMatch(/^\/api\/v1\/dossiers page \d+ item \d+$/);
              mapper.map(record); // must not throw, whatever the record holds
              note(whichOf(JSON.stringify(record.data)), 'record');
            }
            for (const bad of batch.unparsable ?? []) {
              expect(bad.reason).toBe('PARSE_FAILED');
              expect(bad.location).toMatch(/^\/api\/v1\/dossiers page \d+ item \d+$/);
              expect(bad.errors[0]?.problem.length).toBeGreaterThan(5);
              expect(Buffer.byteLength(bad.raw)).toBeLessThanOrEqual(MAX_RECORD_BYTES * 3 + 3);
              note(whichOf(bad.raw), bad.errors[0]?.code ?? '?');
            }
            cursor = batch.cursor;
            converged = batch.records.length === 0 && (batch.unparsable?.length ?? 0) === 0 && !batch.more;
          }
          expect(converged).toBe(true); // no loop
          expect(failures).toBeLessThanOrEqual(faults.length); // good answers are never refused

          // Each served item exactly once, as what it must be (identical items count as one).
          const want = new Map<string, string>();
          items.forEach(([v], n) => want.set(identityOf(n, v), expected(v)));
          expect(new Map([...outcomes].map(([k, v]) => [k, v.join(',')]))).toEqual(want);
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});

describe('rest-poll against hostile department answers (cases)', () => {
  /** Read until the source has nothing more, answering each read with the current `world`. */
  async function readAll(config: RestPollConfig) {
    const source = sourceFor(config);
    const records: Record<string, unknown>[] = [];
    const bad: BadRecord[] = [];
    let cursor: string | undefined;
    for (let poll = 0; poll < 50; poll++) {
      const batch = await source.read(cursor, 100);
      records.push(...batch.records.map((r) => r.data));
      bad.push(...(batch.unparsable ?? []));
      cursor = batch.cursor;
      if (batch.records.length === 0 && !batch.unparsable?.length && !batch.more) return { records, bad };
    }
    throw new Error('did not converge');
  }

  it('items with unreadable update times on page 1 are passed once each and page 2 is still reached (was: the same page forever)', async () => {
    reset([
      serve(0, { kind: 'updatedAt', at: 'dd/mm' }, T0),
      serve(1, { kind: 'updatedAt', at: 'null' }, T0),
      serve(2, { kind: 'good' }, T0 + 60_000),
    ]);
    const { records } = await readAll(configFor(2));
    expect(records.map((r) => r._n)).toEqual([0, 1, 2]);
  });

  it('the cursor remembers records with unreadable times (bounded), and reads cursors written before it did', () => {
    const old = parseRestCursor(
      '{"since":"2025-09-01T00:00:00.000Z","sinceMs":1756684800000,"seen":[["1",1756684800000]]}',
    );
    expect(old?.unreadable).toBeUndefined();
    const unreadable = { id: '7', text: '13/09/2025', ms: Number.NaN };
    const first = advanceRestCursor(undefined, [unreadable], 0);
    expect(first).toMatchObject({ since: '', seen: [] });
    expect(sinceParam(first, 0)).toBeUndefined(); // still everything
    expect(freshOnes(first, [unreadable, { ...unreadable, text: '14/09/2025' }], 0)).toEqual([
      { ...unreadable, text: '14/09/2025' }, // a new version of it is new
    ]);
    const many = Array.from({ length: UNREADABLE_KEPT + 5 }, (_, i) => ({ ...unreadable, id: String(i) }));
    const full = advanceRestCursor(old, many, 0);
    expect(full?.unreadable).toHaveLength(UNREADABLE_KEPT);
    expect(full).toMatchObject({ since: old?.since, seen: old?.seen });
    expect(freshOnes(full, many.slice(-3), 0)).toEqual([]); // the newest are kept
  });

  it('a record stamped dd/mm/yyyy or in the year 9999 does not move the cursor past the records after it', async () => {
    reset([
      serve(0, { kind: 'good' }, T0),
      serve(1, { kind: 'updatedAt', at: 'mm/dd-looking' }, T0 + 60_000), // 08/09/2025 is read as 9 August by Date.parse
      serve(2, { kind: 'updatedAt', at: 'future' }, T0 + 120_000),
      serve(3, { kind: 'good' }, T0 + 180_000),
      serve(4, { kind: 'good' }, T0 + 240_000),
    ]);
    const { records } = await readAll(configFor(1));
    expect(records.map((r) => r._n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a page of items that are no records: each dead-lettered with its page and item, the good ones kept', async () => {
    reset([
      serve(0, { kind: 'good' }, T0),
      serve(1, { kind: 'not-object', as: 'null' }, T0),
      serve(2, { kind: 'deep', depth: 20_000 }, T0),
      serve(3, { kind: 'huge-string' }, T0),
      serve(4, { kind: 'not-utf8' }, T0),
      serve(5, { kind: 'good' }, T0),
    ]);
    const { records, bad } = await readAll(configFor(10));
    expect(records.map((r) => r._n)).toEqual([0, 5]);
    expect(bad.map((b) => [b.location, b.recordId, b.errors[0]?.code])).toEqual([
      ['/api/v1/dossiers page 1 item 2', null, 'RECORD_NOT_OBJECT'],
      ['/api/v1/dossiers page 1 item 3', '7002', 'RECORD_TOO_DEEP'],
      ['/api/v1/dossiers page 1 item 4', '7003', 'RECORD_TOO_LARGE'],
      ['/api/v1/dossiers page 1 item 5', '7004', 'TEXT_NOT_UTF8'],
    ]);
    expect(bad[0]?.errors[0]?.problem).toBe('is null, not a JSON object');
    expect(JSON.parse(bad[1]?.raw ?? '')).toMatchObject({ _n: 2, maHoSo: '000.00.01.H60-250903-0002' }); // cut, readable
    expect(bad[3]?.raw).toContain('Nguy\uFFFD');
  });

  it('text the mapper meets: NFD becomes NFC, a NUL is refused per record naming the field', () => {
    const mapper = mapperFor(configFor(10));
    const named = (hoTen: string) => {
      const data = JSON.parse(serve(0, { kind: 'good' }, T0).json) as Record<string, unknown>;
      return mapper.map({ data: { ...data, nguoiNop: { hoTen, soGiayTo: '008090001234' } } });
    };
    const nameOf = (m: ReturnType<typeof named>) =>
      m.ok ? (m.value.applicant as { name?: string }).name : undefined;
    expect(nameOf(named('Nguyễn Thị Ánh'.normalize('NFD')))).toBe('Nguyễn Thị Ánh'.normalize('NFC'));
    const nul = named('Trần\u0000Văn');
    expect(nul.ok).toBe(false);
    if (!nul.ok)
      expect(nul.errors.map((e) => [e.field, e.code])).toEqual([['applicant.name', 'CONTROL_CHARACTER']]);
  });

  it.each([
    [
      'html',
      /HTTP 200 from \/api\/v1\/dossiers page 1 with \d+ characters of text that is not JSON.*content-type text\/html: "<!DOCTYPE html>\\u000a<html>/,
    ],
    ['empty', /an empty body \(no content-type\) where JSON was expected/],
    ['truncated', /JSON that ends early \(a truncated answer\?\), no content-type$/],
    [
      'json-array',
      /^one-stop \/api\/v1\/dossiers page 1: the response is a list, not an object holding "data"$/,
    ],
    ['items-null', /^one-stop \/api\/v1\/dossiers page 1: "data" is null in the response, not a list$/],
    ['raw-control-character', /invalid at character \d+/],
  ] as const)('a %s answer fails the read with a clear message', async (fault, message) => {
    reset([serve(0, { kind: 'good' }, T0)], { faults: [fault, fault] });
    await expect(sourceFor(configFor(10)).read(undefined, 100)).rejects.toThrow(message);
  });

  it('an answer that stalls half way is abandoned at timeoutMs and retried, never awaited forever', async () => {
    reset([serve(0, { kind: 'good' }, T0)], { stall: true });
    const started = Date.now();
    await expect(sourceFor(configFor(10)).read(undefined, 100)).rejects.toThrow(
      /did not answer usefully after 2 attempt\(s\): \/api\/v1\/dossiers page 1: /,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a server that ignores the page parameter is reported, instead of asked for page after page forever', async () => {
    reset(
      [0, 1].map((n) => serve(n, { kind: 'good' }, T0)),
      { totals: 'huge', ignorePage: true },
    );
    const source = sourceFor(configFor(2));
    const first = await source.read(undefined, 100);
    expect(first.records).toHaveLength(2);
    // Page 1 is read already, so the source asks for page 2 — and gets page 1 again.
    await expect(source.read(first.cursor, 100)).rejects.toThrow(
      /page 2: the same records as page 1; does the server take the page number as "page"\?/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real polling loop (fake sink and cursor store, no Kafka): a hostile answer is a failed
// poll, retried with backoff, reported on the status; the connector never crashes, and once the
// source answers properly every good record is published once and every bad one dead-lettered.

describe('the polling runtime with a hostile department', () => {
  it('an HTML page with 200 fails polls (FAILED after 3, with the reason), then the connector catches up', async () => {
    const published: string[] = [];
    const deadLettered: BadRecord[] = [];
    let stored: string | undefined;
    const sink = {
      schemaIds: [],
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      heartbeat: () => Promise.resolve(),
      publish: (records: readonly GoodRecord[]): Promise<DeliveryResult> => {
        published.push(...records.map((r) => r.recordId));
        return Promise.resolve({
          outcomes: records.map(() => ({ ok: true as const })),
          published: records.length,
        });
      },
      deadLetter: (bad: readonly BadRecord[]) => {
        deadLettered.push(...bad);
        return Promise.resolve();
      },
    } as unknown as ObservationSink;
    const cursors = {
      load: () => Promise.resolve(stored),
      knownKeys: () => Promise.resolve(new Map()),
      commit: (_id: string, c: CursorCommit) => {
        stored = c.cursor;
        return Promise.resolve();
      },
    } as unknown as CursorStore;
    const config = configFor(2);
    const metrics = new ConnectorMetrics();
    const status = new StatusTracker(config.id, 'rest-poll', config.source.system, metrics);
    reset(
      [
        serve(0, { kind: 'good' }, T0),
        serve(1, { kind: 'field-types' }, T0),
        serve(2, { kind: 'not-object', as: 'string' }, T0 + 60_000),
        serve(3, { kind: 'good' }, T0 + 120_000),
      ],
      { faults: Array<Fault>(1000).fill('html') },
    );
    const connector = new PollingConnector({
      id: config.id,
      source: sourceFor(config),
      sink,
      cursors,
      mapper: mapperFor(config),
      status,
      metrics,
      logger: silentLogger(),
      batchSize: 100,
      pollIntervalMs: 20,
      heartbeatIntervalMs: 60_000,
      countIntervalMs: 0,
      retry: { baseMs: 5, maxMs: 20 },
    });
    await connector.start();
    try {
      await eventually(() => (status.state === 'FAILED' ? true : undefined), {
        what: 'FAILED after 3 polls',
      });
      expect(status.lastError).toMatch(
        /^one-stop did not answer usefully after 2 attempt\(s\): HTTP 200 from \/api\/v1\/dossiers page 1 with .* content-type text\/html/,
      );
      expect(published).toEqual([]);
      world.faults = []; // the department is back
      await eventually(() => (stored !== undefined && published.length >= 2 ? true : undefined), {
        what: 'caught up',
      });
      await eventually(() => (deadLettered.length >= 2 ? true : undefined), { what: 'both dead letters' });
      await new Promise((r) => setTimeout(r, 100)); // more polls: nothing repeats
      expect(status.state).toBe('RUNNING');
      expect(published).toEqual(['7000', '7003']);
      expect(deadLettered.map((b) => [b.reason, b.location])).toEqual([
        ['MAPPING_FAILED', '/api/v1/dossiers page 1 item 2'],
        ['PARSE_FAILED', '/api/v1/dossiers page 2 item 1'],
      ]);
    } finally {
      await connector.stop();
    }
  });
});
