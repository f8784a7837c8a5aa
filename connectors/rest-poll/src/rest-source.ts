import { readPath, type PollSource, type SourceBatch, type SourceRecord } from '@hub/connector-runtime';
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

/**
 * Reads a department REST API: `GET path?updatedSince=<cursor>&page=N&pageSize=M`, ordered by
 * update time on the server. Each poll asks again from page 1 with the newest update time read, so
 * records changed while paging cannot shift out of reach; records already read at that time are
 * recognised by (update time, id) and skipped. Only when a whole page is already known (more records
 * share one timestamp than a page holds) does it go on to the next page.
 */
export class RestSource implements PollSource {
  readonly client: RestClient;
  /** Present only when the source has a count endpoint (reconciliation). */
  readonly count?: () => Promise<number>;

  constructor(
    private readonly cfg: RestSourceConfig,
    opts: RestSourceOptions,
  ) {
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
    const text = textOf(readPath(item, this.cfg.updatedAtField));
    return {
      id: textOf(readPath(item, this.cfg.idField)),
      text,
      ms: text === '' ? Number.NaN : Date.parse(text),
    };
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
    const { params, pageSize } = this.cfg;
    for (let page = this.cfg.firstPage; ; page++) {
      const body = await this.client.getJson(this.cfg.path, {
        ...this.cfg.query,
        [params.page]: page,
        [params.pageSize]: pageSize,
        ...(since === undefined ? {} : { [params.updatedSince]: since }),
      });
      const items = readPath((body ?? {}) as Record<string, unknown>, this.cfg.response.items);
      if (!Array.isArray(items))
        throw new Error(
          `${this.cfg.system} ${this.cfg.path}: "${this.cfg.response.items}" is not a list in the response`,
        );
      const stamped = (items as Record<string, unknown>[]).map((item) => ({ item, ...this.stamp(item) }));
      const fresh = freshOnes(cursor, stamped, this.cfg.overlapMs);
      const total = this.cfg.response.totalPages
        ? Number(readPath(body as Record<string, unknown>, this.cfg.response.totalPages))
        : Number.NaN;
      const lastPage = this.cfg.firstPage === 0 ? page + 1 : page;
      const morePages = Number.isFinite(total) ? lastPage < total : items.length === pageSize;
      if (fresh.length === 0 && morePages) continue; // a page of records already read: look further
      const records: SourceRecord[] = fresh.map((r) => ({
        data: r.item,
        location: `${this.cfg.path} page ${page}`,
        ...(this.isDeleted(r.item) ? { operation: 'DELETE' as const } : {}),
      }));
      const next = advanceRestCursor(cursor, fresh, this.cfg.overlapMs);
      return {
        records,
        cursor: next === undefined ? cursorText : JSON.stringify(next),
        more: fresh.length > 0 && morePages,
      };
    }
  }

  private async countAt(c: { path: string; field: string }): Promise<number> {
    const body = (await this.client.getJson(c.path)) as Record<string, unknown>;
    const n = Number(readPath(body, c.field));
    if (!Number.isFinite(n)) throw new Error(`${c.path}: "${c.field}" is not a number in the response`);
    return n;
  }
}
