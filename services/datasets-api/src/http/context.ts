import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, ConflictError, DependencyUnavailableError, NotFoundError, ValidationError, errorMessage } from '@hub/errors';
import type { Logger } from '@hub/log';
import type { Caller } from '../domain/app-registry.js';
import { present, type GoldenValue } from '../domain/records.js';
import { project, readIntent, type Dataset } from '../domain/scopes.js';
import { pageCursor } from '../domain/cursor.js';
import type { GovernanceRepository } from '../db/governance.repository.js';
import type { ReadModelQueries } from '../db/read-model.queries.js';
import type { RecordRow } from '../db/tables.js';
import type { Metrics } from '../metrics.js';

export class GoneError extends AppError {
  override readonly httpStatus = 410;
  constructor(message: string) {
    super('GONE', message);
  }
}

export interface HttpDeps {
  readonly queries: ReadModelQueries;
  readonly governance: GovernanceRepository;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly pageSize: { readonly default: number; readonly max: number };
}

export const PATH: Readonly<Record<Dataset, string>> = { citizen: 'citizens', business: 'businesses', dossier: 'dossiers' };

function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return `${req.baseUrl}${typeof route?.path === 'string' ? route.path : ''}`;
}

export function requestId(res: Response): string {
  return String(res.locals.requestId ?? '');
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new Error('route registered before authentication');
  return caller;
}

/** Validates with zod; a failure is a 400 that names every bad parameter. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(`invalid ${where}: ${r.error.issues.map((i) => `${i.path.join('.') || where}: ${i.message}`).join('; ')}`, {
    details: r.error.issues.map((i) => ({ field: i.path.join('.') || where, problem: i.message })),
  });
}

export const MasterId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'a master id is 1–100 letters, digits, ".", "_", ":" or "-"');

export function pageParams(pageSize: HttpDeps['pageSize']) {
  return {
    cursor: z.string().max(400).optional(),
    limit: z.coerce
      .number()
      .int('limit must be a whole number')
      .min(1, 'limit must be at least 1')
      .max(pageSize.max, `limit must be at most ${pageSize.max}`)
      .default(pageSize.default),
  };
}

/** Writes the access-log row before any personal data leaves: no log, no data. */
async function logRead(deps: HttpDeps, req: Request, res: Response, dataset: Dataset, recordIds: string[], fields: Set<string>): Promise<void> {
  const caller = callerOf(res);
  try {
    await deps.governance.logAccess({
      requestId: requestId(res),
      appId: caller.appId,
      purpose: caller.purpose,
      dataset,
      endpoint: `${req.method} ${routeTemplate(req)}`,
      recordIds,
      fields: [...fields].sort(),
    });
  } catch (cause) {
    throw new DependencyUnavailableError('database', `the access log could not be written, so no personal data is returned: ${errorMessage(cause)}`, { cause });
  }
  deps.metrics.accessLogRows.inc({ dataset });
}

function view(dataset: Dataset, row: RecordRow, res: Response) {
  const record = present(dataset, row.record as unknown as GoldenValue, row.updated_at);
  return project(dataset, record, callerOf(res).scopes);
}

/** 301 to the survivor for a merged-away id, 410 for a deleted record; true when the row is live. */
export function ensureLive(dataset: Dataset, row: RecordRow | undefined, id: string, res: Response, suffix = ''): row is RecordRow {
  if (!row) throw new NotFoundError(`no ${dataset} record ${id}`);
  if (row.state === 'MERGED' && row.merged_into !== null) {
    const location = `/${PATH[dataset]}/${encodeURIComponent(row.merged_into)}${suffix}`;
    res.status(301).location(location).json({ masterId: row.master_id, mergedInto: row.merged_into, location });
    return false;
  }
  if (row.state !== 'LIVE' || row.record === null) throw new GoneError(`${dataset} record ${id} was deleted`);
  return true;
}

/**
 * `logged`: the access-log row of this read was already committed with the lookup that found the
 * row (identifier lookups). `project` still decides here, so a read the lookup did not log is logged now.
 */
export async function sendRecord(deps: HttpDeps, req: Request, res: Response, dataset: Dataset, row: RecordRow, logged = false): Promise<void> {
  const p = view(dataset, row, res);
  if (logged) deps.metrics.accessLogRows.inc({ dataset });
  else if (p.personal) await logRead(deps, req, res, dataset, [row.master_id], new Set(p.fields));
  res.json(p.value);
}

/**
 * Live records of a dataset holding an identifier, read in one statement with this request's
 * access-log row (see `ReadModelQueries.byAlias`); 404 when none, 409 while a merge is in flight.
 * A database failure is a 503: no data without its log.
 */
export async function lookupByAlias(deps: HttpDeps, req: Request, res: Response, dataset: Dataset, key: string, what: string): Promise<{ row: RecordRow; logged: boolean }> {
  const caller = callerOf(res);
  const log = { requestId: requestId(res), appId: caller.appId, purpose: caller.purpose, endpoint: `${req.method} ${routeTemplate(req)}`, intent: readIntent(dataset, caller.scopes) };
  const found = await deps.queries.byAlias(dataset, key, log).catch((cause: unknown) => {
    throw new DependencyUnavailableError('database', `the lookup and its access log could not be done, so no data is returned: ${errorMessage(cause)}`, { cause });
  });
  const [first, ...more] = found.rows;
  if (!first) throw new NotFoundError(`no ${dataset} record has this ${what}`);
  if (more.length > 0) {
    throw new ConflictError(`this ${what} is held by ${found.rows.length} records while a merge is in flight: ${found.rows.map((r) => r.master_id).join(', ')}`);
  }
  return { row: first, logged: found.logged };
}

/** One page of records (rows holds up to limit + 1: the extra one only says there is more). */
export async function sendPage(deps: HttpDeps, req: Request, res: Response, dataset: Dataset, rows: RecordRow[], limit: number): Promise<void> {
  const pageRows = rows.slice(0, limit);
  const items: Record<string, unknown>[] = [];
  const personalIds: string[] = [];
  const fields = new Set<string>();
  for (const row of pageRows) {
    const p = view(dataset, row, res);
    items.push(p.value);
    if (p.personal) {
      personalIds.push(row.master_id);
      for (const f of p.fields) fields.add(f);
    }
  }
  if (personalIds.length > 0) await logRead(deps, req, res, dataset, personalIds, fields);
  const last = pageRows[pageRows.length - 1];
  res.json({ items, nextCursor: rows.length > limit && last ? pageCursor.encode(last.master_id) : null });
}

export function decodePage(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : pageCursor.decode(cursor);
}

export type PageParams = ReturnType<typeof pageParams>;

/** Query schema of a plain paginated endpoint: only cursor and limit; unknown parameters are a 400. */
export function pageSchema(page: PageParams) {
  return z.object(page).strict();
}
