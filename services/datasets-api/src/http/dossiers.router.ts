import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { DossierStatusValues } from '@hub/schemas';
import type { ConsolidationClient } from '../clients/consolidation.client.js';
import { dossierLookupKey } from '../domain/identifiers.js';
import { requireDataset, requireGroupsFor } from '../domain/scopes.js';
import { callerOf, decodePage, lookupByAlias, MasterId, pageParams, parse, sendPage, sendRecord, type HttpDeps } from './context.js';
import { CodeParam, InstantParam } from './params.js';
import { mountByMasterId, mountStewardProxy } from './records.js';

const DossierCodeParam = z.string().max(80);

export function dossiersRouter(deps: HttpDeps, consolidation: ConsolidationClient): Router {
  const router = Router();
  const page = pageParams(deps.pageSize);
  const ListQuery = z
    .object({
      applicant: MasterId.optional(),
      agency: CodeParam.optional(),
      procedure: CodeParam.optional(),
      status: z.enum(DossierStatusValues).optional(),
      receivedFrom: InstantParam.optional(),
      receivedTo: InstantParam.optional(),
      ...page,
    })
    .strict()
    .refine((q) => !q.receivedFrom || !q.receivedTo || q.receivedFrom < q.receivedTo, { message: 'receivedFrom must be before receivedTo', path: ['receivedFrom'] });

  router.get('/', async (req: Request, res: Response) => {
    const q = parse(ListQuery, req.query, 'query');
    const used: Record<string, string> = {};
    if (q.applicant) used.applicant = 'applicant';
    for (const p of ['agency', 'procedure', 'status', 'receivedFrom', 'receivedTo'] as const) if (q[p] !== undefined) used[p] = 'processing';
    const scopes = callerOf(res).scopes;
    requireDataset(scopes, 'dossier');
    requireGroupsFor(scopes, 'dossier', used);
    const rows = await deps.queries.listDossiers(
      { applicant: q.applicant, agency: q.agency, procedure: q.procedure, status: q.status, receivedFrom: q.receivedFrom, receivedTo: q.receivedTo },
      { after: decodePage(q.cursor), limit: q.limit },
    );
    await sendPage(deps, req, res, 'dossier', rows, q.limit);
  });

  router.get('/by-code/:dossierCode', async (req: Request, res: Response) => {
    requireDataset(callerOf(res).scopes, 'dossier');
    const key = dossierLookupKey(parse(DossierCodeParam, req.params.dossierCode, 'dossierCode'));
    const { row, logged } = await lookupByAlias(deps, req, res, 'dossier', key, 'dossier code');
    await sendRecord(deps, req, res, 'dossier', row, logged);
  });

  mountByMasterId(router, deps, 'dossier');
  mountStewardProxy(router, deps, 'dossier', consolidation);
  return router;
}
