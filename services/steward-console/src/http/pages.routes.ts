import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFoundError, errorMessage } from '@hub/errors';
import { decodeOriginal } from '../bus/value-decoder.js';
import { can } from '../domain/access.js';
import type { QualityFilter } from '../domain/quality.js';
import { DeadLetterQuery, QualityQuery, parse, query, type ConsoleDeps } from './deps.js';
import { authorize, currentUser, pageContext } from './session.js';
import { deadLetterPage, deadLettersPage } from './views/dead-letters.view.js';
import { tr } from './views/html.js';
import { alertsPage, auditPage, qualityPage } from './views/misc.view.js';
import { overviewPage, sourcePage, type ConsolidationPanel } from './views/overview.view.js';

const ReplayForm = z.object({
  ids: z.union([z.coerce.number().int().min(1), z.array(z.coerce.number().int().min(1))]).optional(),
  force: z.literal('true').optional(),
  reason: z.string().max(500).optional(),
});
const ReplayAllForm = z.object({ topic: z.string().optional(), reason_code: z.string().optional(), reason: z.string().max(500).optional() });

function flashFor(req: Request, ctx: { lang: 'vi' | 'en' }): string | undefined {
  const done = Number(req.query.done ?? NaN);
  const refused = Number(req.query.refused ?? NaN);
  if (!Number.isFinite(done) && !Number.isFinite(refused)) return undefined;
  return tr(ctx, `Đã phát lại ${done || 0} bản ghi; ${refused || 0} bị từ chối (đã phát lại trước đó hoặc lỗi).`, `Replayed ${done || 0}; ${refused || 0} refused (already replayed or failed).`);
}

/** Server-rendered pages (Vietnamese first). */
export function pageRoutes(d: ConsoleDeps): Router {
  const r = Router();
  const send = (res: Response, page: string): void => {
    res.type('html').send(page);
  };

  r.get('/', async (req, res) => {
    currentUser(res);
    const ctx = pageContext(req, res);
    const overview = await d.monitor.overview();
    let cons: ConsolidationPanel = { kind: 'not-configured' };
    if (d.consolidation) {
      try {
        cons = { kind: 'ok', stats: await d.consolidation.stats() };
      } catch (e) {
        cons = { kind: 'error', message: errorMessage(e) };
      }
    }
    send(res, overviewPage(ctx, overview, await d.alerts.firing(), cons, d.monitor.health().lastError));
  });

  r.get('/sources/:id', async (req, res) => {
    currentUser(res);
    const overview = await d.monitor.overview();
    const s = overview.sources.find((x) => x.connector.connectorId === req.params.id);
    if (!s) throw new NotFoundError(`không có kết nối / no connector ${req.params.id ?? ''}`);
    send(res, sourcePage(pageContext(req, res), s));
  });

  r.get('/dead-letters', async (req, res) => {
    currentUser(res);
    const ctx = pageContext(req, res);
    const q = parse(DeadLetterQuery, query(req));
    const filter = { ...(q.topic ? { topic: q.topic } : {}), ...(q.reason ? { reason: q.reason } : {}), open: q.open === 'true' };
    const items = await d.deadLetters.list({ ...filter, limit: q.limit, ...(q.before ? { afterId: q.before } : {}) });
    const flash = flashFor(req, ctx);
    send(res, deadLettersPage(ctx, { items, reasons: await d.deadLetters.reasons(q.topic), summaries: await d.deadLetters.summaries(), filter, ...(flash ? { flash } : {}) }));
  });

  r.get('/dead-letters/:id', async (req, res) => {
    const user = currentUser(res);
    const ctx = pageContext(req, res);
    const id = parse(z.coerce.number().int().min(1), req.params.id);
    const letter = await d.deadLetters.get(id);
    let decoded;
    if (can(user.role, 'view_payloads')) {
      decoded = await decodeOriginal(d.registry, letter.source?.topic, letter.value);
      await d.access.audit({ username: user.username, action: 'dead_letter_viewed', target: String(id), outcome: 'ok' });
    }
    send(res, deadLetterPage(ctx, letter, decoded, await d.deadLetters.replaysOf(id), flashFor(req, ctx)));
  });

  r.post('/dead-letters/replay', async (req, res) => {
    const form = parse(ReplayForm, req.body);
    const force = form.force === 'true';
    const user = authorize(res, force ? 'force_replay' : 'replay');
    const ids = form.ids === undefined ? [] : Array.isArray(form.ids) ? form.ids : [form.ids];
    const results = await d.replays.replay(ids, user, { force, reason: form.reason?.trim() || null });
    const done = results.filter((x) => x.ok).length;
    const back = ids.length === 1 && typeof req.header('referer') === 'string' && /\/dead-letters\/\d+/.test(req.header('referer') ?? '') ? `/dead-letters/${ids[0]}` : '/dead-letters';
    res.redirect(303, `${back}?done=${done}&refused=${results.length - done}`);
  });

  r.post('/dead-letters/replay-all', async (req, res) => {
    const user = authorize(res, 'replay');
    const form = parse(ReplayAllForm, req.body);
    const filter = { ...(form.topic ? { topic: form.topic } : {}), ...(form.reason_code ? { reason: form.reason_code } : {}) };
    const ids = await d.deadLetters.openIds(filter, 1000);
    const results = await d.replays.replay(ids, user, { force: false, reason: form.reason?.trim() || null });
    const done = results.filter((x) => x.ok).length;
    const q = new URLSearchParams({ ...(form.topic ? { topic: form.topic } : {}), ...(form.reason_code ? { reason: form.reason_code } : {}), done: String(done), refused: String(results.length - done) });
    res.redirect(303, `/dead-letters?${q.toString()}`);
  });

  r.get('/quality', async (req, res) => {
    currentUser(res);
    const q = parse(QualityQuery, query(req));
    const f: QualityFilter = { ...(q.from ? { fromMonth: q.from } : {}), ...(q.to ? { toMonth: q.to } : {}), ...(q.agency ? { agencyCode: q.agency } : {}), ...(q.procedure ? { procedureCode: q.procedure } : {}) };
    send(res, qualityPage(pageContext(req, res), f, await d.quality.indicators(f), await d.quality.overdueNow(f, d.now()), await d.quality.count()));
  });

  r.get('/alerts', async (req, res) => {
    currentUser(res);
    send(res, alertsPage(pageContext(req, res), await d.alerts.firing(), await d.alerts.recent(50), d.webhookConfigured));
  });

  r.get('/audit', async (req, res) => {
    authorize(res, 'view_audit');
    send(res, auditPage(pageContext(req, res), await d.access.auditLog(300)));
  });
  return r;
}
