import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { feedCursor, pageCursor } from '../domain/cursor.js';
import { DATASETS, requireDataset, requireSteward, type Dataset } from '../domain/scopes.js';
import { callerOf, pageParams, parse, type HttpDeps } from './context.js';
import { InstantParam } from './params.js';

/**
 * GET /feeds/{dataset}: every applied change in sequence order. The cursor names the last change
 * delivered; the sequence is assigned in commit order (see db/tables.ts CHANGES_LOCK_ID), so a
 * reader that resumes from its cursor never skips a change and never sees one twice. Entries carry
 * ids, versions and change kinds only — no personal data — so they are not access-logged.
 */
export function feedRouter(deps: HttpDeps): Router {
  const router = Router();
  const { cursor, limit } = pageParams({ default: deps.pageSize.max, max: deps.pageSize.max });
  const FeedQuery = z.object({ cursor, limit }).strict();
  const Dataset = z.enum(DATASETS as [Dataset, ...Dataset[]]);

  router.get('/:dataset', async (req: Request, res: Response) => {
    const dataset = parse(Dataset, req.params.dataset, 'dataset');
    requireDataset(callerOf(res).scopes, dataset);
    const q = parse(FeedQuery, req.query, 'query');
    const after = q.cursor === undefined ? undefined : feedCursor.decode(q.cursor);
    const rows = await deps.queries.feed(dataset, after, q.limit);
    const last = rows[rows.length - 1];
    res.json({
      items: rows.map((r) => ({
        masterId: r.master_id,
        version: Number(r.version),
        change: r.change,
        mergedInto: r.merged_into,
        occurredAt: r.occurred_at?.toISOString() ?? null,
        appliedAt: r.applied_at.toISOString(),
      })),
      // Always a cursor: an empty page hands back the position to poll from.
      nextCursor: last ? feedCursor.encode(String(last.seq)) : (q.cursor ?? null),
      hasMore: rows.length === q.limit,
    });
  });
  return router;
}

/** GET /access-log: who read which personal data, for what purpose (steward scope). */
const AccessLogAfterId = z.coerce.number().int().min(0);

export function accessLogRouter(deps: HttpDeps): Router {
  const router = Router();
  const page = pageParams(deps.pageSize);
  const Query = z
    .object({
      appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
      recordId: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/).optional(),
      from: InstantParam.optional(),
      to: InstantParam.optional(),
      ...page,
    })
    .strict();
  router.get('/', async (req: Request, res: Response) => {
    requireSteward(callerOf(res).scopes);
    const q = parse(Query, req.query, 'query');
    const afterText = q.cursor === undefined ? undefined : pageCursor.decode(q.cursor);
    const afterId = afterText === undefined ? undefined : parse(AccessLogAfterId, afterText, 'cursor');
    const rows = await deps.governance.queryAccessLog({ appId: q.appId, recordId: q.recordId, from: q.from, to: q.to, afterId, limit: q.limit + 1 });
    const pageRows = rows.slice(0, q.limit);
    const last = pageRows[pageRows.length - 1];
    res.json({ items: pageRows.map((r) => r.row), nextCursor: rows.length > q.limit && last ? pageCursor.encode(String(last.id)) : null });
  });
  return router;
}
