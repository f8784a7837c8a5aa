import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '@hub/errors';
import { decodeOriginal } from '../bus/value-decoder.js';
import { QUALITY_COLUMNS, toCsv } from '../domain/quality.js';
import { DeadLetterQuery, QualityQuery, deadLetterJson, parse, query, type ConsoleDeps } from './deps.js';
import { resolveReview, ResolveBody } from './review.actions.js';
import { authorize, currentUser, state } from './session.js';

const ReplayBody = z
  .object({
    ids: z.array(z.coerce.number().int().min(1)).max(1000).optional(),
    all: z.object({ topic: z.string().min(1).optional(), reason: z.string().min(1).optional() }).optional(),
    force: z.boolean().default(false),
    reason: z.string().max(500).optional(),
  })
  .refine((b) => (b.ids?.length ?? 0) > 0 || b.all !== undefined, { message: 'give ids or all' });

const SERIES_MAX_MINUTES = 7 * 24 * 60;

/** The JSON API (session cookie + CSRF header for POST), Vietnamese and English side by side. */
export function apiRoutes(d: ConsoleDeps): Router {
  const r = Router();

  /** Who is logged in, and the CSRF token API clients send back in `x-csrf-token`. */
  r.get('/api/session', (_req, res) => {
    const user = currentUser(res);
    const s = state(res);
    res.json({ user: { username: user.username, displayName: user.displayName, role: user.role }, auth: s.tokenId === undefined ? 'session' : 'token', csrfToken: s.tokenId === undefined ? s.session?.csrfToken : null });
  });

  r.get('/api/health', async (_req, res) => {
    currentUser(res);
    const o = await d.monitor.overview();
    res.json({
      status: o.light,
      summary: o.summary,
      reasons: o.reasons,
      at: new Date(o.at).toISOString(),
      sources: o.sources.map((s) => ({
        connectorId: s.connector.connectorId,
        connectorKind: s.connector.connectorKind,
        sourceSystem: s.connector.sourceSystem,
        status: s.light,
        reasons: s.reasons,
        up: s.up,
        state: s.connector.state,
        instanceId: s.connector.instanceId,
        lastHeartbeatAt: new Date(s.connector.lastHeartbeatAt).toISOString(),
        heartbeatAgeSeconds: s.heartbeatAgeMs / 1000,
        cursor: s.connector.cursor,
        throughput: s.throughput,
        counters: {
          read: s.connector.recordsRead,
          published: s.connector.recordsPublished,
          deadLettered: s.connector.recordsDeadLettered,
          rejected: s.connector.recordsRejected,
        },
        freshness: { ageSeconds: s.freshness.ageMs === null ? null : s.freshness.ageMs / 1000, sloSeconds: s.freshness.sloMs / 1000 },
        reconciliation: s.reconciliation,
        deadLetters: s.deadLetters ?? null,
        schemaIds: s.connector.schemaIds,
        lastError: s.connector.lastError,
        lastErrorAt: s.connector.lastErrorAt === null ? null : new Date(s.connector.lastErrorAt).toISOString(),
      })),
      consumers: o.consumers,
      otherDeadLetters: o.otherDeadLetters,
      lag: d.monitor.health(),
    });
  });

  r.get('/api/sources/:id/series', async (req, res) => {
    currentUser(res);
    const minutes = parse(z.coerce.number().int().min(1).max(SERIES_MAX_MINUTES).default(60), req.query.minutes);
    const id = req.params.id ?? '';
    const connector = await d.health.findConnector(id);
    if (!connector) throw new NotFoundError(`không có kết nối / no connector ${id}`);
    const since = d.now() - minutes * 60_000;
    const summaries = await d.deadLetters.summaries();
    const topic = summaries.find((s) => s.connectorId === id)?.topic;
    res.json({
      connectorId: id,
      since: new Date(since).toISOString(),
      throughput: await d.health.connectorSeries(id, since),
      lag: await d.health.lagSeries(since),
      deadLetters: topic ? await d.deadLetters.series(topic, since) : [],
    });
  });

  r.get('/api/dead-letters', async (req, res) => {
    currentUser(res);
    const q = parse(DeadLetterQuery, query(req));
    const items = await d.deadLetters.list({ limit: q.limit, open: q.open === 'true', ...(q.topic ? { topic: q.topic } : {}), ...(q.reason ? { reason: q.reason } : {}), ...(q.before ? { afterId: q.before } : {}) });
    res.json({ items: items.map(deadLetterJson), reasons: await d.deadLetters.reasons(q.topic), summaries: await d.deadLetters.summaries() });
  });

  r.get('/api/dead-letters/:id', async (req, res) => {
    const user = authorize(res, 'view_payloads');
    const id = parse(z.coerce.number().int().min(1), req.params.id);
    const letter = await d.deadLetters.get(id);
    await d.access.audit({ username: user.username, action: 'dead_letter_viewed', target: String(id), outcome: 'ok' });
    res.json({ ...deadLetterJson(letter), headers: letter.headers, original: await decodeOriginal(d.registry, letter.source?.topic, letter.value), replayHistory: await d.deadLetters.replaysOf(id) });
  });

  r.post('/api/dead-letters/replay', async (req: Request, res: Response) => {
    const body = parse(ReplayBody, req.body);
    const user = authorize(res, body.force ? 'force_replay' : 'replay');
    const ids = body.ids?.length ? body.ids : await d.deadLetters.openIds(body.all ?? {}, 1000);
    const results = await d.replays.replay(ids, user, { force: body.force, reason: body.reason ?? null });
    res.json({ results, replayed: results.filter((x) => x.ok).length, refused: results.filter((x) => !x.ok).length });
  });

  r.get('/api/alerts', async (_req, res) => {
    currentUser(res);
    res.json({ firing: await d.alerts.firing(), recent: await d.alerts.recent(50) });
  });

  r.get('/api/quality', async (req, res) => {
    currentUser(res);
    const q = parse(QualityQuery, query(req));
    const filter = { ...(q.from ? { fromMonth: q.from } : {}), ...(q.to ? { toMonth: q.to } : {}), ...(q.agency ? { agencyCode: q.agency } : {}), ...(q.procedure ? { procedureCode: q.procedure } : {}) };
    const rows = await d.quality.indicators(filter);
    if (q.format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment('service-quality.csv').send(toCsv(rows, QUALITY_COLUMNS));
      return;
    }
    res.json({
      indicators: rows,
      overdueNow: await d.quality.overdueNow(filter, d.now()),
      at: new Date(d.now()).toISOString(),
    });
  });

  r.get('/api/audit', async (req, res) => {
    authorize(res, 'view_audit');
    res.json({ items: await d.access.auditLog(parse(z.coerce.number().int().min(1).max(1000).default(200), req.query.limit)) });
  });

  r.get('/api/review-tasks', async (_req, res) => {
    currentUser(res);
    if (!d.consolidation) throw new ValidationError('CONSOLIDATION_URL is not configured: the review queue is unavailable');
    res.json({ items: await d.consolidation.listReviewTasks({ status: 'OPEN', limit: 100 }) });
  });

  r.post('/api/review-tasks/:id/resolve', async (req, res) => {
    const user = authorize(res, 'resolve_review');
    const id = parse(z.coerce.number().int().min(1), req.params.id);
    await resolveReview(d, user, id, parse(ResolveBody, req.body));
    res.json({ ok: true });
  });
  return r;
}
