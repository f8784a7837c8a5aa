import { createHash } from 'node:crypto';
import {
  readPath,
  type BadRecord,
  type PollSource,
  type RecordError,
  type SourceBatch,
  type SourceRecord,
} from '@hub/connector-runtime';
import type { Logger } from '@hub/log';
import { advanceRestCursor, freshOnes, parseRestCursor, sinceParam, type Stamped } from './cursor.js';
import { RestClient } from './rest-client.js';
import type { RestSourceConfig } from './config.js';

export interface RestSourceOptions {
  /** Resolved base URL (baseUrlEnv applied) and API key (from apiKeyEnv). */
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

/** Deeper than this, a record is refused: department records nest a few levels, and the mapper and
 * the dead-letter writer serialise recursively (V8's JSON.stringify overflows its stack at ~5 000). */
export const MAX_RECORD_DEPTH = 64;
/** Larger than this (as JSON), a record is refused: with its mapped fields it would not fit in one
 * Kafka message (1 MiB), and the broker would refuse the whole page's batch, again and again. */
export const MAX_RECORD_BYTES = 256 * 1024;
/** An update time further ahead than this is not believed: it would move the cursor past every
 * record to come. Such records are passed on once, like those with an unreadable update time. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3600_000;
/** Nor is one before 1900. */
const OLDEST_MS = Date.UTC(1900, 0, 1);
/** ISO 8601 (`2025-09-08T10:00:00.000+07:00`, `2025-09-08`) or an HTTP date (`Mon, 08 Sep 2025 03:00:00 GMT`). */
const TIME_TEXT =
  /^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?|[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)$/;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v === '' ? 'an empty string' : 'a string';
  return `a ${typeof v}`;
}

function deeperThan(v: unknown, max: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (max === 0) return true;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (deeperThan(x, max - 1)) return true;
  return false;
}

/** `v` cut at `depth` levels (deeper values become "…"): serialisable, for a dead letter. */
function cut(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth === 0) return '…';
  if (Array.isArray(v)) return v.map((x) => cut(x, depth - 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x, depth - 1)]));
}

/** A whole page number: a number, or digits in a string; undefined for anything else. */
function pageCount(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** One item of a page: its stamp, and what makes it no record at all (then it is dead-lettered). */
type Item = Stamped & {
  readonly item: unknown;
  readonly index: number;
  /** The record's own id, for a dead letter ('' when it has none). */
  readonly ownId: string;
  readonly problem?: RecordError;
};

/**
 * Reads a department REST API: `GET path?updatedSince=<cursor>&page=N&pageSize=M`, ordered by
 * update time on the server. Each poll asks again from page 1 with the newest update time read, so
 * records changed while paging cannot shift out of reach; records already read at that time are
 * recognised by (update time, id) and skipped. Only when a whole page is already known (more records
 * share one timestamp than a page holds) does it go on to the next page.
 *
 * Hostile answers: a body that is not an object, or whose `response.items` is not a list, fails the
 * read with an error naming the page (the runtime backs off and reads again). An item that cannot be a
 * record (not an object, nested deeper than MAX_RECORD_DEPTH, larger than MAX_RECORD_BYTES, or with
 * bytes that were not UTF-8) is dead-lettered on its own (PARSE_FAILED, `… page N item M`) and the
 * others go on. An update time that is not ISO 8601 / an HTTP date, or lies in the future, never moves
 * the cursor (see cursor.ts). An empty page ends the list whatever `totalPages` says; a `totalPages`
 * that is not a whole number is ignored (page fullness decides); a page identical to the previous one
 * (a server ignoring the page parameter) fails the read instead of paging forever.
 */
export class RestSource implements PollSource {
  readonly client: RestClient;
  private readonly logger: Logger | undefined;
  /** Present only when the source has a count endpoint (reconciliation). */
  readonly count?: () => Promise<number>;

  constructor(
    private readonly cfg: RestSourceConfig,
    opts: RestSourceOptions,
  ) {
    this.logger = opts.logger;
    const headers: Record<string, string> = {};
    if (cfg.auth) {
      if (!opts.apiKey) throw new Error(`the API key (${cfg.auth.apiKeyEnv}) is not set`);
      headers[cfg.auth.header] = `${cfg.auth.prefix}${opts.apiKey}`;
    }
    this.client = new RestClient({
      baseUrl: opts.baseUrl,
      headers,
      timeoutMs: cfg.timeoutMs,
      retry: cfg.retry,
      rateLimit: cfg.rateLimit,
      maxRetryAfterMs: cfg.maxRetryAfterMs,
      system: cfg.system,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    });
    const counting = cfg.count;
    if (counting) this.count = () => this.countAt(counting);
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private stamp(item: Record<string, unknown>): Stamped {
    const field = (path: string) => {
      try {
        return textOf(readPath(item, path));
      } catch {
        return ''; // nested too deep to serialise: the record is refused anyway
      }
    };
    const text = field(this.cfg.updatedAtField);
    // Only ISO 8601 (or an HTTP date) is believed: Date.parse also reads "5" as 2001-05-01 and
    // "08/09/2025" as 9 August, and a wrong time in the cursor skips every record in between.
    const ms = TIME_TEXT.test(text) ? Date.parse(text) : Number.NaN;
    const id = field(this.cfg.idField);
    return {
      // The cursor keeps ids: a huge one is kept as a prefix and a digest.
      id:
        id.length > 200 ? `${id.slice(0, 100)}…#${createHash('sha256').update(id).digest('base64url')}` : id,
      text,
      ms: ms > Date.now() + MAX_CLOCK_AHEAD_MS || ms < OLDEST_MS ? Number.NaN : ms,
    };
  }

  /**
   * Stamp an item and check that it can be a record: a JSON object, not nested too deep, not too
   * large, and — when the answer was not valid UTF-8 — without the bytes that were not.
   */
  private inspect(item: unknown, index: number, invalidUtf8: boolean): Item {
    const refuse = (stamp: Stamped, ownId: string, code: string, problem: string, hint: string): Item => ({
      ...stamp,
      item,
      index,
      ownId,
      problem: { field: `(${this.cfg.response.items} item)`, code, problem, hint },
    });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      let text = '';
      try {
        text = JSON.stringify(cut(item, MAX_RECORD_DEPTH)) ?? '';
      } catch {
        // unreachable for JSON values cut to a bounded depth
      }
      return refuse(
        { id: '', text, ms: Number.NaN },
        '',
        'RECORD_NOT_OBJECT',
        `is ${kindOf(item)}, not a JSON object`,
        'Each item of the list must be one record (a JSON object).',
      );
    }
    const record = item as Record<string, unknown>;
    const deep = deeperThan(record, MAX_RECORD_DEPTH);
    const json = JSON.stringify(deep ? cut(record, MAX_RECORD_DEPTH) : record);
    const own = this.stamp(record);
    // Without an id, two records at one update time would be one to the cursor: tell them apart by content.
    const stamp =
      own.id === '' ? { ...own, id: `#${createHash('sha256').update(json).digest('base64url')}` } : own;
    if (deep)
      return refuse(
        stamp,
        own.id,
        'RECORD_TOO_DEEP',
        `is nested more than ${MAX_RECORD_DEPTH} levels deep`,
        'Department records nest a few levels; the source sends something else here.',
      );
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_RECORD_BYTES)
      return refuse(
        stamp,
        own.id,
        'RECORD_TOO_LARGE',
        `is ${bytes} bytes as JSON, more than ${MAX_RECORD_BYTES}`,
        'A field holds far more than a record should (an embedded file?).',
      );
    if (invalidUtf8 && json.includes('\uFFFD'))
      return refuse(
        stamp,
        own.id,
        'TEXT_NOT_UTF8',
        'holds bytes that are not UTF-8 (each shown as U+FFFD in the dead letter)',
        'The source must send UTF-8; a legacy encoding (TCVN3, VNI, Windows-1258) must be converted by the source.',
      );
    return { ...stamp, item, index, ownId: own.id };
  }

  private isDeleted(item: Record<string, unknown>): boolean {
    const sd = this.cfg.softDelete;
    if (!sd) return false;
    const v = readPath(item, sd.field);
    return sd.deletedValues.some((d) => d === v || String(d) === textOf(v));
  }

  async read(cursorText: string | undefined, _limit: number): Promise<SourceBatch> {
    const cursor = parseRestCursor(cursorText);
    const since = sinceParam(cursor, this.cfg.overlapMs);
    const { params, pageSize, system, path } = this.cfg;
    const itemsField = this.cfg.response.items;
    let previous: string | undefined;
    for (let page = this.cfg.firstPage; ; page++) {
      const where = `${path} page ${page}`;
      const answer = await this.client.getJsonAnswer(
        path,
        {
          ...this.cfg.query,
          [params.page]: page,
          [params.pageSize]: pageSize,
          ...(since === undefined ? {} : { [params.updatedSince]: since }),
        },
        where,
      );
      const body = answer.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new Error(
          `${system} ${where}: the response is ${kindOf(body)}, not an object holding "${itemsField}"`,
        );
      const items = readPath(body as Record<string, unknown>, itemsField);
      if (!Array.isArray(items))
        throw new Error(
          `${system} ${where}: "${itemsField}" is ${kindOf(items)} in the response, not a list`,
        );
      const inspected = items.map((item: unknown, i) => this.inspect(item, i, answer.invalidUtf8));
      // A server that ignores the page parameter answers page 1 again and again: never ending.
      const signature = inspected.map((r) => `${r.id}\u0000${r.text}`).join('\u0001');
      if (items.length > 0 && signature === previous)
        throw new Error(
          `${system} ${where}: the same records as page ${page - 1}; does the server take the page number as "${params.page}"?`,
        );
      previous = signature;
      const fresh = freshOnes(cursor, inspected, this.cfg.overlapMs);
      const total = this.totalPages(body as Record<string, unknown>, where);
      const lastPage = this.cfg.firstPage === 0 ? page + 1 : page;
      // An empty page ends the list, whatever totalPages says.
      const morePages =
        items.length > 0 && (total !== undefined ? lastPage < total : items.length === pageSize);
      if (fresh.length === 0 && morePages) continue; // a page of records already read: look further
      const records: SourceRecord[] = [];
      const unparsable: BadRecord[] = [];
      for (const r of fresh) {
        const location = `${where} item ${r.index + 1}`;
        if (r.problem === undefined) {
          const data = r.item as Record<string, unknown>;
          records.push({ data, location, ...(this.isDeleted(data) ? { operation: 'DELETE' as const } : {}) });
          continue;
        }
        const raw = JSON.stringify(cut(r.item, MAX_RECORD_DEPTH)) ?? 'null';
        unparsable.push({
          key: null,
          recordId: r.ownId === '' ? null : r.ownId.slice(0, 200),
          raw: raw.length > MAX_RECORD_BYTES ? `${raw.slice(0, MAX_RECORD_BYTES)}…` : raw,
          location,
          reason: 'PARSE_FAILED',
          errors: [r.problem],
        });
      }
      const next = advanceRestCursor(cursor, fresh, this.cfg.overlapMs);
      return {
        records,
        ...(unparsable.length > 0 ? { unparsable } : {}),
        cursor: next === undefined ? cursorText : JSON.stringify(next),
        more: fresh.length > 0 && morePages,
      };
    }
  }

  /** The configured page count of an answer; undefined (and a warning) when it is not a whole number. */
  private totalPages(body: Record<string, unknown>, where: string): number | undefined {
    const field = this.cfg.response.totalPages;
    if (!field) return undefined;
    const value = readPath(body, field);
    const n = pageCount(value);
    if (n === undefined)
      this.logger?.warn(
        { system: this.cfg.system, where, field, got: kindOf(value) },
        'rest_total_pages_unreadable',
      );
    return n;
  }

  private async countAt(c: { path: string; field: string }): Promise<number> {
    const body = await this.client.getJson(c.path);
    const value =
      typeof body === 'object' && body !== null ? readPath(body as Record<string, unknown>, c.field) : body;
    const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === ''))
      throw new Error(
        `${this.cfg.system} ${c.path}: "${c.field}" is ${kindOf(value)} in the response, not a number`,
      );
    return n;
  }
}
