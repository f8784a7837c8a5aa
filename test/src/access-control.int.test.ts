import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The system tests are not a component: they read each service's route table from its built express
// app (never serving with it), so that a route added tomorrow cannot escape the access-control table.
// eslint-disable-next-line no-restricted-imports -- see above
import { createApp as createDatasetsApp } from '../../services/datasets-api/dist/http/app.js';
// eslint-disable-next-line no-restricted-imports -- see above
import { createHttpApp as createConsoleApp } from '../../services/steward-console/dist/http/app.js';
// eslint-disable-next-line no-restricted-imports -- see above
import { createHttpApp as createConsolidationApp } from '../../services/consolidation/dist/http/app.js';
// eslint-disable-next-line no-restricted-imports -- see above
import { createIngestApp } from '../../connectors/http-ingest/dist/app.js';
import { TestHub } from './support/hub.js';
import { listRoutes, stubDeps, type RouteEntry } from './support/routes.js';
import { PERSONAL_IDS, assertNoLeaks } from './support/leaks.js';

/**
 * ARCHITECTURE §9.4 (issue 11, task 1): the access-control table of every HTTP service, built from
 * the routes the express app really registers. Every route must have an expectation here; a new
 * route without one fails the "table is complete" test, so an unprotected endpoint cannot slip in.
 * Expectations are checked against the real processes (built dist/, shared Kafka/registry/PostgreSQL,
 * databases and topics of their own): no credentials → 401 (or, for console pages, a redirect to
 * the login page), unknown credentials → 401, a role/scope that lacks the right → 403, the right
 * one → neither 401 nor 403.
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'acl');
const IDENT = PERSONAL_IDS[0] ?? '';

/** How a route is protected; `deny`/`allow` name credentials set up below. */
type Rule =
  | { kind: 'public' }
  | { kind: 'protected'; deny: string[]; allow: string[]; body?: unknown; query?: string }
  | { kind: 'self'; note: string }; // acts on the caller's own credential: only the 401 is checked

const SAMPLE: Record<string, string> = {
  masterId: 'systest-0001',
  identifier: IDENT,
  dataset: 'citizen',
  enterpriseCode: '0100233488',
  dossierCode: '000.00.01.H60-250715-0001',
  id: '999999',
  entity: 'citizen',
};
const fill = (path: string, extra: Record<string, string> = {}): string =>
  path
    .replace(/:(\w+)/g, (_m, k: string) => encodeURIComponent(extra[k] ?? SAMPLE[k] ?? 'x'))
    .replace(/\*$/, 'probe.js');
const key = (r: RouteEntry) => `${r.method} ${r.path}`;

// ---------------------------------------------------------------- datasets API (API keys + scopes)
const DATASET_SCOPES = {
  business: ['business.registration'],
  citizenNoIdentity: ['citizen.address'],
  citizenOnly: ['citizen.identity', 'citizen.contact', 'citizen.address', 'citizen.civil-status'],
  all: [
    'citizen.identity',
    'citizen.contact',
    'citizen.address',
    'citizen.civil-status',
    'business.registration',
    'business.address',
    'business.representative',
    'dossier.processing',
    'dossier.applicant',
  ],
  steward: ['steward', 'citizen.identity', 'business.registration', 'dossier.processing'],
};
const DATASETS_TABLE: Record<string, Rule> = {
  'GET /healthz': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  'GET /openapi.json': { kind: 'public' },
  'GET /docs': { kind: 'public' },
  'GET /docs/init.js': { kind: 'public' },
  'GET /docs/assets/*': { kind: 'public' },
  'GET /catalogue.html': { kind: 'public' },
  'GET /catalogue': { kind: 'public' },
  // OAuth (in progress in services/datasets-api): public keys, and the client-credentials exchange,
  // which authenticates with the credentials in its body (its own tests cover the refusals).
  'GET /.well-known/jwks.json': { kind: 'public' },
  'POST /oauth/token': { kind: 'self', note: 'client credentials → token' },
  'GET /citizens': {
    kind: 'protected',
    deny: ['business', 'citizenNoIdentity'],
    allow: ['all'],
    query: '?name=nguyen',
  },
  'GET /citizens/by-identifier/:identifier': {
    kind: 'protected',
    deny: ['business', 'citizenNoIdentity'],
    allow: ['all'],
  },
  'GET /citizens/:masterId': { kind: 'protected', deny: ['business'], allow: ['citizenNoIdentity', 'all'] },
  'GET /citizens/:masterId/businesses': {
    kind: 'protected',
    deny: ['business', 'citizenOnly'],
    allow: ['all'],
  },
  'GET /citizens/:masterId/dossiers': {
    kind: 'protected',
    deny: ['business', 'citizenOnly'],
    allow: ['all'],
  },
  'GET /citizens/:masterId/lineage': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /citizens/:masterId/history': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /businesses': {
    kind: 'protected',
    deny: ['citizenOnly'],
    allow: ['business', 'all'],
    query: '?name=che',
  },
  'GET /businesses/by-code/:enterpriseCode': {
    kind: 'protected',
    deny: ['citizenOnly'],
    allow: ['business', 'all'],
  },
  'GET /businesses/:masterId': { kind: 'protected', deny: ['citizenOnly'], allow: ['business', 'all'] },
  'GET /businesses/:masterId/dossiers': {
    kind: 'protected',
    deny: ['citizenOnly', 'business'],
    allow: ['all'],
  },
  'GET /businesses/:masterId/lineage': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /businesses/:masterId/history': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /dossiers': {
    kind: 'protected',
    deny: ['citizenOnly', 'business'],
    allow: ['all'],
    query: '?status=RECEIVED',
  },
  'GET /dossiers/by-code/:dossierCode': {
    kind: 'protected',
    deny: ['citizenOnly', 'business'],
    allow: ['all'],
  },
  'GET /dossiers/:masterId': { kind: 'protected', deny: ['citizenOnly'], allow: ['all'] },
  'GET /dossiers/:masterId/lineage': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /dossiers/:masterId/history': { kind: 'protected', deny: ['all'], allow: ['steward'] },
  'GET /feeds/:dataset': { kind: 'protected', deny: ['business'], allow: ['citizenOnly', 'all'] },
  'GET /access-log': { kind: 'protected', deny: ['all', 'business'], allow: ['steward'] },
};

// ----------------------------------------------------- steward console (sessions / API tokens, roles)
const CONSOLE_TABLE: Record<string, Rule> = {
  'GET /healthz': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  'GET /favicon.ico': { kind: 'public' },
  'GET /assets/uplot/*': { kind: 'public' },
  'GET /assets/*': { kind: 'public' },
  'GET /login': { kind: 'public' },
  'POST /login': { kind: 'public' }, // the login form itself (double-submit CSRF; checked below)
  'POST /api/tokens': { kind: 'public' }, // trades a password for a token (checked below)
  'POST /logout': { kind: 'self', note: 'ends the caller session' },
  'DELETE /api/tokens/current': { kind: 'self', note: 'revokes the token used' },
  'GET /api/session': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/health': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/sources/:id/series': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/dead-letters': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/dead-letters/:id': { kind: 'protected', deny: ['viewer'], allow: ['steward', 'admin'] },
  'POST /api/dead-letters/replay': {
    kind: 'protected',
    deny: ['viewer'],
    allow: ['steward', 'admin'],
    body: { ids: [999999] },
  },
  'POST /api/dead-letters/replay#force': {
    kind: 'protected',
    deny: ['viewer', 'steward'],
    allow: ['admin'],
    body: { ids: [999999], force: true, reason: 'systest' },
  },
  'GET /api/alerts': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/quality': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /api/audit': { kind: 'protected', deny: ['viewer', 'steward'], allow: ['admin'] },
  'GET /api/review-tasks': { kind: 'protected', deny: [], allow: ['viewer'] },
  'POST /api/review-tasks/:id/resolve': {
    kind: 'protected',
    deny: ['viewer'],
    allow: ['steward'],
    body: { action: 'merge', reason: 'systest access table' },
  },
  'GET /': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /sources/:id': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /dead-letters': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /dead-letters/:id': { kind: 'protected', deny: [], allow: ['viewer'] }, // payload hidden without view_payloads
  'POST /dead-letters/replay': {
    kind: 'protected',
    deny: ['viewer'],
    allow: ['steward'],
    body: { ids: ['999999'] },
  },
  'POST /dead-letters/replay-all': {
    kind: 'protected',
    deny: ['viewer'],
    allow: ['steward'],
    body: { topic: 'systest.none' },
  },
  'GET /quality': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /alerts': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /audit': { kind: 'protected', deny: ['viewer', 'steward'], allow: ['admin'] },
  'GET /review': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /review/:id': { kind: 'protected', deny: [], allow: ['viewer'] },
  'POST /review/:id/resolve': {
    kind: 'protected',
    deny: ['viewer'],
    allow: ['steward'],
    body: { action: 'merge', reason: 'systest access table' },
  },
  'GET /records': { kind: 'protected', deny: [], allow: ['viewer'] },
  'GET /records/:entity/:id': { kind: 'protected', deny: [], allow: ['viewer'] },
};

// ---------------------------------------------------------------- consolidation (internal API)
const CONSOLIDATION_TABLE: Record<string, Rule> = {
  'GET /healthz': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  // Every other route asks for the INTERNAL_API_TOKEN (bearer) that the console and the datasets API send.
  'GET /review-tasks': { kind: 'protected', deny: [], allow: [] },
  'GET /review-tasks/:id': { kind: 'protected', deny: [], allow: [] },
  'GET /stats': { kind: 'protected', deny: [], allow: [] },
  'GET /source-counts': { kind: 'protected', deny: [], allow: [] },
  'POST /review-tasks/:id/resolve': { kind: 'protected', deny: [], allow: [] },
  'GET /masters/:entity/:id': { kind: 'protected', deny: [], allow: [] },
  'GET /masters/:entity/:id/history': { kind: 'protected', deny: [], allow: [] },
  'POST /masters/:entity/:id/split': { kind: 'protected', deny: [], allow: [] },
};

// ---------------------------------------------------------------- http-ingest (department keys)
const INGEST_TABLE: Record<string, Rule> = {
  'GET /healthz': { kind: 'public' },
  'GET /readyz': { kind: 'public' },
  'GET /openapi.json': { kind: 'public' },
  'POST /v1/sources/:source/:entities': {
    kind: 'protected',
    deny: ['police@one-stop'],
    allow: ['police@police-residence'],
  },
  'POST /v1/sources/:source/:entities/batch': {
    kind: 'protected',
    deny: ['police@one-stop', 'onestop@police-residence'],
    allow: ['police@police-residence'],
  },
};

const ingestConfig = {
  id: 'http-ingest',
  kind: 'http-ingest',
  bodyLimit: '256kb',
  maxBatchRecords: 10,
  rateLimitPerMinute: 0,
  idempotencyTtlHours: 24,
  heartbeatIntervalMs: 10_000,
  topics: {},
  sources: [{ system: 'police-residence', apiKeyEnv: 'K', entities: { citizen: {} } }],
};

/** The routes each express app registers, read from the app (stand-in dependencies: built, never served). */
const ROUTES = {
  datasets: listRoutes(
    createDatasetsApp(stubDeps({ pageSize: { default: 20, max: 100 }, authFailuresPerMinute: 30 })),
  ),
  console: listRoutes(
    createConsoleApp(
      stubDeps({ sessionTtlMs: 1000, apiTokenTtlMs: 1000, cookieSecure: false, now: () => Date.now() }),
    ),
  ),
  consolidation: listRoutes(createConsolidationApp(stubDeps({ apiToken: 'route-listing-token-0123456789' }))),
  ingest: listRoutes(createIngestApp(stubDeps({ config: ingestConfig }))),
};

const POLICE_KEY = `police-${randomBytes(20).toString('hex')}`;
const ONESTOP_KEY = `onestop-${randomBytes(20).toString('hex')}`;
let datasets: Awaited<ReturnType<TestHub['datasetsApi']>>;
let stewardConsole: Awaited<ReturnType<TestHub['stewardConsole']>>;
let consolidation: Awaited<ReturnType<TestHub['consolidation']>>;
let ingest: Awaited<ReturnType<TestHub['httpIngest']>>;
/** Every (service, route, credential, status) checked: the figure reported in docs/reliability.md. */
let checks = 0;

beforeAll(async () => {
  await hub.createTopics(1);
  consolidation = await hub.consolidation();
  datasets = await hub.datasetsApi(consolidation.url, DATASET_SCOPES);
  stewardConsole = await hub.stewardConsole(consolidation.url, {
    viewer: 'viewer',
    steward: 'steward',
    admin: 'admin',
  });
  ingest = await hub.httpIngest(POLICE_KEY, ONESTOP_KEY);
}, 300_000);

afterAll(async () => {
  process.stdout.write(`access-control: ${checks} (route, credential) checks\n`);
  await hub.stop();
}, 120_000);

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  form = false,
): Promise<{ status: number; location: string | null; text: string }> {
  const init: RequestInit = {
    method,
    headers: { ...headers },
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  };
  if (body !== undefined) {
    init.body = form
      ? new URLSearchParams(
          Object.entries(body as Record<string, string | string[]>).flatMap(([k, v]): [string, string][] =>
            Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
          ),
        ).toString()
      : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = form
      ? 'application/x-www-form-urlencoded'
      : 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  checks++;
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

function completeness(service: string, routes: RouteEntry[], table: Record<string, Rule>): void {
  const listed = new Set(Object.keys(table).map((k) => k.replace(/#.*$/, '')));
  const unclassified = routes.map(key).filter((k) => !listed.has(k));
  const gone = [...listed].filter((k) => !routes.some((r) => key(r) === k));
  expect(
    unclassified,
    `${service}: routes with no access-control expectation (add them to the table)`,
  ).toEqual([]);
  expect(gone, `${service}: table rows for routes that no longer exist`).toEqual([]);
}

describe('access-control table (ARCHITECTURE §9.4)', () => {
  it('lists every route of every HTTP service (a new route without an expectation fails here)', () => {
    expect(ROUTES.datasets.length).toBeGreaterThan(20);
    completeness('datasets-api', ROUTES.datasets, DATASETS_TABLE);
    completeness('steward-console', ROUTES.console, CONSOLE_TABLE);
    completeness('consolidation', ROUTES.consolidation, CONSOLIDATION_TABLE);
    completeness('http-ingest', ROUTES.ingest, INGEST_TABLE);
  });

  it('datasets API: no key → 401, unknown key → 401, missing scope → 403, right scope passes', async () => {
    const failures: string[] = [];
    for (const [k, rule] of Object.entries(DATASETS_TABLE)) {
      const [method = 'GET', template = '/'] = k.split(' ');
      const path = fill(template) + (rule.kind === 'protected' ? (rule.query ?? '') : '');
      if (rule.kind === 'public') {
        const r = await call(datasets.url, method, path, {});
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} public but ${r.status}`);
        continue;
      }
      if (rule.kind !== 'protected') continue;
      const none = await call(datasets.url, method, path, {});
      if (none.status !== 401) failures.push(`${k} without a key → ${none.status}`);
      const forged = await call(datasets.url, method, path, {
        authorization: `Bearer hub_${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`,
      });
      if (forged.status !== 401) failures.push(`${k} with an unknown key → ${forged.status}`);
      for (const app of rule.deny) {
        const r = await call(datasets.url, method, path, { 'x-api-key': datasets.keys[app] ?? '' });
        if (r.status !== 403)
          failures.push(`${k} as ${app} → ${r.status} (expected 403): ${r.text.slice(0, 160)}`);
      }
      for (const app of rule.allow) {
        const r = await call(datasets.url, method, path, {
          authorization: `Bearer ${datasets.keys[app] ?? ''}`,
        });
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} as ${app} → ${r.status}: ${r.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('the access log can be read by a steward but not altered through any API of any service', async () => {
    // From the route lists: whatever mentions the access log anywhere is a read.
    const touching = Object.entries(ROUTES).flatMap(([service, routes]) =>
      routes.filter((r) => /access[-_]?log/i.test(r.path)).map((r) => `${service} ${r.method} ${r.path}`),
    );
    expect(touching).toEqual(['datasets GET /access-log']);
    // Against the running API, with the steward's key (the widest): every other verb, on the
    // collection and on an entry, is refused and leaves the log as it was.
    const steward = { 'x-api-key': datasets.keys.steward ?? '' };
    const before = await call(datasets.url, 'GET', '/access-log', steward);
    expect(before.status).toBe(200);
    const refused: string[] = [];
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/access-log', '/access-log/1', '/access-log?appId=x']) {
        const r = await call(datasets.url, method, path, steward, { purpose: 'rewritten', recordIds: [] });
        if (r.status !== 404 && r.status !== 405) refused.push(`${method} ${path} → ${r.status}`);
        else expect(JSON.parse(r.text)).toHaveProperty('error.code');
      }
    }
    expect(refused).toEqual([]);
    const after = await call(datasets.url, 'GET', '/access-log', steward);
    const entries = (r: { text: string }) => (JSON.parse(r.text) as { items: unknown[] }).items;
    // Reading the log is not a personal-data read, so nothing was added either.
    expect(entries(after)).toEqual(entries(before));
  }, 60_000);

  it('steward console: no session → 401 (API) or login redirect (pages), bad token → 401, role lacking the right → 403', async () => {
    const base = stewardConsole.url;
    const failures: string[] = [];
    const bearer = (u: string) => ({
      authorization: `Bearer ${stewardConsole.tokens[u] ?? ''}`,
      accept: 'application/json',
    });
    for (const [k, rule] of Object.entries(CONSOLE_TABLE)) {
      const [method = 'GET', template = '/'] = k.replace(/#.*$/, '').split(' ');
      const path = fill(template);
      const isApi = path.startsWith('/api/');
      const form = !isApi && method === 'POST';
      if (rule.kind === 'public') {
        if (method !== 'GET') continue; // POST /login, POST /api/tokens: checked in their own test
        const r = await call(base, method, path, {});
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} public but ${r.status}`);
        continue;
      }
      const body = rule.kind === 'protected' ? rule.body : undefined;
      const none = await call(base, method, path, {}, body ?? (method === 'GET' ? undefined : {}), form);
      const anonymousOk =
        isApi || method !== 'GET'
          ? none.status === 401
          : none.status === 303 && (none.location ?? '').startsWith('/login');
      if (!anonymousOk) failures.push(`${k} anonymous → ${none.status} ${none.location ?? ''}`);
      const forged = await call(
        base,
        method,
        path,
        { authorization: `Bearer ${randomBytes(24).toString('base64url')}` },
        body ?? (method === 'GET' ? undefined : {}),
        form,
      );
      if (forged.status !== 401) failures.push(`${k} with an unknown token → ${forged.status}`);
      if (rule.kind !== 'protected') continue;
      for (const u of rule.deny) {
        const r = await call(base, method, path, bearer(u), body, form);
        if (r.status !== 403)
          failures.push(`${k} as ${u} → ${r.status} (expected 403): ${r.text.slice(0, 160)}`);
      }
      for (const u of rule.allow) {
        const r = await call(base, method, path, bearer(u), body, form);
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} as ${u} → ${r.status}: ${r.text.slice(0, 160)}`);
      }
    }
    // The public POSTs: a login without its CSRF cookie, and a token request with a wrong password.
    const login = await call(
      base,
      'POST',
      '/login',
      {},
      { username: 'admin', password: 'wrong-password' },
      true,
    );
    if (login.status !== 403) failures.push(`POST /login without the CSRF cookie → ${login.status}`);
    const token = await call(
      base,
      'POST',
      '/api/tokens',
      {},
      { username: 'admin', password: 'wrong-password-123' },
    );
    if (token.status !== 401 && token.status !== 400)
      failures.push(`POST /api/tokens with a wrong password → ${token.status}`);
    expect(failures).toEqual([]);
  }, 240_000);

  it('http-ingest: no key → 401, unknown key → 401, another department’s key → 403; ops pause/resume need the ops token', async () => {
    const failures: string[] = [];
    const keys: Record<string, string> = { police: POLICE_KEY, onestop: ONESTOP_KEY };
    const entitiesOf: Record<string, string> = { 'police-residence': 'citizens', 'one-stop': 'dossiers' };
    for (const [k, rule] of Object.entries(INGEST_TABLE)) {
      const [method = 'GET', template = '/'] = k.split(' ');
      if (rule.kind === 'public') {
        const r = await call(ingest.url, method, template, {});
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} public but ${r.status}`);
        continue;
      }
      if (rule.kind !== 'protected') continue;
      const batch = template.endsWith('/batch');
      const body = batch ? { records: [] } : {};
      for (const source of ['police-residence', 'one-stop']) {
        const path = fill(template, { source, entities: entitiesOf[source] ?? 'citizens' });
        const none = await call(ingest.url, method, path, {}, body);
        if (none.status !== 401) failures.push(`${k} (${source}) without a key → ${none.status}`);
        const forged = await call(
          ingest.url,
          method,
          path,
          { 'x-api-key': randomBytes(24).toString('hex') },
          body,
        );
        if (forged.status !== 401) failures.push(`${k} (${source}) with an unknown key → ${forged.status}`);
      }
      for (const who of rule.deny) {
        const [k0 = '', source = ''] = who.split('@');
        const r = await call(
          ingest.url,
          method,
          fill(template, { source, entities: entitiesOf[source] ?? 'citizens' }),
          { 'x-api-key': keys[k0] ?? '' },
          body,
        );
        if (r.status !== 403) failures.push(`${k} as ${who} → ${r.status} (expected 403)`);
      }
      for (const who of rule.allow) {
        const [k0 = '', source = ''] = who.split('@');
        const r = await call(
          ingest.url,
          method,
          fill(template, { source, entities: entitiesOf[source] ?? 'citizens' }),
          { 'x-api-key': keys[k0] ?? '' },
          body,
        );
        if (r.status === 401 || r.status === 403 || r.status >= 500)
          failures.push(`${k} as ${who} → ${r.status}`);
      }
    }
    // The operations server (plain node:http, no router to read): reads are open, actions need OPS_TOKEN.
    for (const action of ['pause', 'resume']) {
      const none = await call(ingest.opsUrl, 'POST', `/connectors/http-ingest/${action}`, {});
      if (none.status !== 401) failures.push(`ops ${action} without a token → ${none.status}`);
      const wrong = await call(ingest.opsUrl, 'POST', `/connectors/http-ingest/${action}`, {
        authorization: `Bearer ${randomBytes(16).toString('hex')}`,
      });
      if (wrong.status !== 401) failures.push(`ops ${action} with a wrong token → ${wrong.status}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  // Found by this suite (issue 11): the internal API served personal data and steward actions to
  // anyone who reached the port. It now listens on loopback unless HTTP_HOST says otherwise and asks
  // for INTERNAL_API_TOKEN on every route but health and metrics.
  it('consolidation internal API: every non-ops route refuses a caller without the token, or with a wrong one', async () => {
    for (const [k, rule] of Object.entries(CONSOLIDATION_TABLE)) {
      if (rule.kind !== 'protected') continue;
      const [method = 'GET', template = '/'] = k.split(' ');
      const body = method === 'POST' ? {} : undefined;
      expect((await call(consolidation.url, method, fill(template), {}, body)).status, k).toBe(401);
      const wrong = { authorization: `Bearer ${randomBytes(24).toString('hex')}` };
      expect((await call(consolidation.url, method, fill(template), wrong, body)).status, k).toBe(401);
    }
  });

  it('consolidation internal API: health and metrics are open, and the token opens the rest', async () => {
    expect((await call(consolidation.url, 'GET', '/healthz', {})).status).toBe(200);
    expect((await call(consolidation.url, 'GET', '/metrics', {})).status).toBe(200);
    const auth = { authorization: `Bearer ${consolidation.token}` };
    expect((await call(consolidation.url, 'GET', '/stats', auth)).status).toBe(200);
    expect((await call(consolidation.url, 'GET', '/source-counts', auth)).status).toBe(200);
  });

  it('leaks no key, token, password or personal number into the logs of these processes', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
