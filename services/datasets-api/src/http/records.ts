import type { Request, Response, Router } from 'express';
import type { ConsolidationClient } from '../clients/consolidation.client.js';
import { requireDataset, requireGroupsFor, requireSteward, type Dataset } from '../domain/scopes.js';
import { DependencyUnavailableError, errorMessage } from '@hub/errors';
import { callerOf, decodePage, ensureLive, MasterId, pageSchema, parse, PATH, sendPage, sendRecord, type HttpDeps, type PageParams } from './context.js';

/** GET /{dataset}/{masterId}: any scope of the dataset; merged-away ids answer 301, deleted ones 410. */
export function mountByMasterId(router: Router, deps: HttpDeps, dataset: Dataset): void {
  router.get('/:masterId', async (req: Request, res: Response) => {
    requireDataset(callerOf(res).scopes, dataset);
    const id = parse(MasterId, req.params.masterId, 'masterId');
    const row = await deps.queries.byMasterId(dataset, id);
    if (ensureLive(dataset, row, id, res)) await sendRecord(deps, req, res, dataset, row);
  });
}

/** GET /{dataset}/{masterId}/lineage|history: steward scope, proxied to the consolidation. */
export function mountStewardProxy(router: Router, deps: HttpDeps, dataset: Dataset, client: ConsolidationClient): void {
  for (const what of ['lineage', 'history'] as const) {
    router.get(`/:masterId/${what}`, async (req: Request, res: Response) => {
      const caller = callerOf(res);
      requireSteward(caller.scopes);
      const id = parse(MasterId, req.params.masterId, 'masterId');
      const body = what === 'lineage' ? await client.lineage(dataset, id) : await client.history(dataset, id);
      // Lineage and history carry attribute values: a personal-data read like any other.
      try {
        await deps.governance.logAccess({
          requestId: String(res.locals.requestId ?? ''),
          appId: caller.appId,
          purpose: caller.purpose,
          dataset,
          endpoint: `GET /${PATH[dataset]}/:masterId/${what}`,
          recordIds: [id],
          fields: [what],
        });
      } catch (cause) {
        throw new DependencyUnavailableError('database', `the access log could not be written: ${errorMessage(cause)}`, { cause });
      }
      deps.metrics.accessLogRows.inc({ dataset });
      res.json(body);
    });
  }
}

/** GET /{dataset}/{masterId}/dossiers: dossiers whose applicant is this citizen or business. */
export function mountDossiersOf(router: Router, deps: HttpDeps, dataset: 'citizen' | 'business', page: PageParams): void {
  const PageQuery = pageSchema(page);
  router.get('/:masterId/dossiers', async (req: Request, res: Response) => {
    const scopes = callerOf(res).scopes;
    requireDataset(scopes, dataset);
    requireGroupsFor(scopes, 'dossier', { applicant: 'applicant' });
    const id = parse(MasterId, req.params.masterId, 'masterId');
    const q = parse(PageQuery, req.query, 'query');
    if (q.cursor === undefined && !ensureLive(dataset, await deps.queries.byMasterId(dataset, id), id, res, '/dossiers')) return;
    const rows = await deps.queries.listDossiers({ applicant: id }, { after: decodePage(q.cursor), limit: q.limit });
    await sendPage(deps, req, res, 'dossier', rows, q.limit);
  });
}
