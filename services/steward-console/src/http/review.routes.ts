import { Router } from 'express';
import { z } from 'zod';
import { errorMessage } from '@hub/errors';
import { parse, query, type ConsoleDeps } from './deps.js';
import { resolveReview, ResolveBody } from './review.actions.js';
import { authorize, currentUser, pageContext } from './session.js';
import { tr } from './views/html.js';
import { notConfigured, recordSearchPage, reviewQueuePage, reviewTaskPage } from './views/review.view.js';

/** Review queue and record explorer, served from the consolidation's steward API. */
export function reviewRoutes(d: ConsoleDeps): Router {
  const r = Router();

  r.get('/review', async (req, res) => {
    currentUser(res);
    const ctx = pageContext(req, res);
    if (!d.consolidation) return void res.type('html').send(notConfigured(ctx, tr(ctx, 'Hàng chờ rà soát', 'Review queue')));
    const flash = req.query.resolved ? tr(ctx, `Đã ghi quyết định cho việc #${Number(req.query.resolved)}.`, `Decision recorded for task #${Number(req.query.resolved)}.`) : undefined;
    res.type('html').send(reviewQueuePage(ctx, await d.consolidation.listReviewTasks({ status: 'OPEN', limit: 100 }), flash));
  });

  r.get('/review/:id', async (req, res) => {
    currentUser(res);
    const ctx = pageContext(req, res);
    if (!d.consolidation) return void res.type('html').send(notConfigured(ctx, tr(ctx, 'Việc rà soát', 'Review task')));
    res.type('html').send(reviewTaskPage(ctx, await d.consolidation.getReviewTask(parse(z.coerce.number().int().min(1), req.params.id))));
  });

  r.post('/review/:id/resolve', async (req, res) => {
    const user = authorize(res, 'resolve_review');
    const id = parse(z.coerce.number().int().min(1), req.params.id);
    await resolveReview(d, user, id, parse(ResolveBody, req.body));
    res.redirect(303, `/review?resolved=${id}`);
  });

  r.get(['/records', '/records/:entity/:id'], async (req, res) => {
    currentUser(res);
    const ctx = pageContext(req, res);
    if (!d.consolidation) return void res.type('html').send(notConfigured(ctx, tr(ctx, 'Tra cứu bản ghi', 'Record explorer')));
    const q = query(req);
    const entity = (req.params as { entity?: string }).entity ?? q.entity ?? 'citizen';
    const id = (req.params as { id?: string }).id ?? q.id ?? '';
    let result;
    if (id) {
      try {
        const view = await d.consolidation.getMaster(entity, id);
        result = { view, history: await d.consolidation.history(entity, view.master.masterId) };
      } catch (e) {
        result = { error: errorMessage(e) };
      }
    }
    res.type('html').send(recordSearchPage(ctx, entity, id, result));
  });
  return r;
}
