import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '@hub/errors';
import type { ConsolidationClient } from '../clients/consolidation.client.js';
import { personLookupKey } from '../domain/identifiers.js';
import { requireDataset, requireGroupsFor } from '../domain/scopes.js';
import { callerOf, decodePage, lookupByAlias, ensureLive, MasterId, pageParams, pageSchema, parse, sendPage, sendRecord, type HttpDeps } from './context.js';
import { BirthParam, CommuneParam, NameParam } from './params.js';
import { mountByMasterId, mountDossiersOf, mountStewardProxy } from './records.js';

/** Built once: constructing a zod schema per request showed in the CPU profile. */
const IdentifierParam = z.string().max(40);

export function citizensRouter(deps: HttpDeps, consolidation: ConsolidationClient): Router {
  const router = Router();
  const page = pageParams(deps.pageSize);
  const PageQuery = pageSchema(page);
  const SearchQuery = z.object({ name: NameParam.optional(), dob: BirthParam.optional(), commune: CommuneParam.optional(), ...page }).strict();

  router.get('/', async (req: Request, res: Response) => {
    const q = parse(SearchQuery, req.query, 'query');
    const used: Record<string, string> = {};
    if (q.name) used.name = 'identity';
    if (q.dob) used.dob = 'identity';
    if (q.commune) used.commune = 'address';
    requireGroupsFor(callerOf(res).scopes, 'citizen', used);
    if (Object.keys(used).length === 0) throw new ValidationError('give at least one search criterion: name, dob or commune (use the change feed to mirror the dataset)');
    const rows = await deps.queries.searchCitizens({ nameTokens: q.name, birth: q.dob, commune: q.commune }, { after: decodePage(q.cursor), limit: q.limit });
    await sendPage(deps, req, res, 'citizen', rows, q.limit);
  });

  // Looking up by personal number reveals who holds it: that needs the identity scope.
  router.get('/by-identifier/:identifier', async (req: Request, res: Response) => {
    requireGroupsFor(callerOf(res).scopes, 'citizen', { identifier: 'identity' });
    const key = personLookupKey(parse(IdentifierParam, req.params.identifier, 'identifier'));
    const { row, logged } = await lookupByAlias(deps, req, res, 'citizen', key, 'identifier');
    await sendRecord(deps, req, res, 'citizen', row, logged);
  });

  mountByMasterId(router, deps, 'citizen');

  router.get('/:masterId/businesses', async (req: Request, res: Response) => {
    const scopes = callerOf(res).scopes;
    requireDataset(scopes, 'citizen');
    requireGroupsFor(scopes, 'business', { representative: 'representative' });
    const id = parse(MasterId, req.params.masterId, 'masterId');
    const q = parse(PageQuery, req.query, 'query');
    if (q.cursor === undefined && !ensureLive('citizen', await deps.queries.byMasterId('citizen', id), id, res, '/businesses')) return;
    const rows = await deps.queries.searchBusinesses({ representative: id }, { after: decodePage(q.cursor), limit: q.limit });
    await sendPage(deps, req, res, 'business', rows, q.limit);
  });

  mountDossiersOf(router, deps, 'citizen', page);
  mountStewardProxy(router, deps, 'citizen', consolidation);
  return router;
}
