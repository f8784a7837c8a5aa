import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { BusinessKindValues, BusinessStatusValues } from '@hub/schemas';
import type { ConsolidationClient } from '../clients/consolidation.client.js';
import { businessLookupKey } from '../domain/identifiers.js';
import { requireDataset, requireGroupsFor } from '../domain/scopes.js';
import { callerOf, decodePage, lookupByAlias, pageParams, parse, sendPage, sendRecord, type HttpDeps } from './context.js';
import { CodeParam, CommuneParam, NameParam } from './params.js';
import { mountByMasterId, mountDossiersOf, mountStewardProxy } from './records.js';

const EnterpriseCodeParam = z.string().max(40);

export function businessesRouter(deps: HttpDeps, consolidation: ConsolidationClient): Router {
  const router = Router();
  const page = pageParams(deps.pageSize);
  const SearchQuery = z
    .object({
      name: NameParam.optional(),
      status: z.enum(BusinessStatusValues).optional(),
      kind: z.enum(BusinessKindValues).optional(),
      commune: CommuneParam.optional(),
      industry: CodeParam.optional(),
      ...page,
    })
    .strict();

  router.get('/', async (req: Request, res: Response) => {
    const q = parse(SearchQuery, req.query, 'query');
    const used: Record<string, string> = {};
    if (q.name) used.name = 'registration';
    if (q.status) used.status = 'registration';
    if (q.industry) used.industry = 'registration';
    if (q.commune) used.commune = 'address';
    const scopes = callerOf(res).scopes;
    requireDataset(scopes, 'business');
    requireGroupsFor(scopes, 'business', used);
    const rows = await deps.queries.searchBusinesses(
      { nameTokens: q.name, status: q.status, kind: q.kind, commune: q.commune, industry: q.industry },
      { after: decodePage(q.cursor), limit: q.limit },
    );
    await sendPage(deps, req, res, 'business', rows, q.limit);
  });

  router.get('/by-code/:enterpriseCode', async (req: Request, res: Response) => {
    requireGroupsFor(callerOf(res).scopes, 'business', { enterpriseCode: 'registration' });
    const key = businessLookupKey(parse(EnterpriseCodeParam, req.params.enterpriseCode, 'enterpriseCode'));
    const { row, logged } = await lookupByAlias(deps, req, res, 'business', key, 'enterprise code');
    await sendRecord(deps, req, res, 'business', row, logged);
  });

  mountByMasterId(router, deps, 'business');
  mountDossiersOf(router, deps, 'business', page);
  mountStewardProxy(router, deps, 'business', consolidation);
  return router;
}
