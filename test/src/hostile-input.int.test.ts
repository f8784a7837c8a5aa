import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The system tests read the consolidation's route table from its built express app (never serving
// with it), so that a route added tomorrow is fuzzed without anyone listing it.
// eslint-disable-next-line no-restricted-imports -- see above
import { createHttpApp as createConsolidationApp } from '../../services/consolidation/dist/http/app.js';
import { TestHub } from './support/hub.js';
import { hostileJson, hostileQuery, hostileText, hostileValue, runs, SEED } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { listRoutes, stubDeps } from './support/routes.js';

/**
 * ARCHITECTURE §9.2 (issue 11, task 2): the datasets API's query parameters and the steward
 * console's JSON API answer hostile input (malformed, huge, SQL-/script-looking, NFD, control
 * characters, invalid UTF-8 and percent-encoding) with a 4xx and an error body, or a correct 2xx —
 * never a 5xx, never a hang — and a good request afterwards still works. Fixed seed; iterations
 * rise under HUB_CHAOS=1.
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'hostile');
const ALL = [
  'steward',
  'citizen.identity',
  'citizen.contact',
  'citizen.address',
  'citizen.civil-status',
  'business.registration',
  'business.address',
  'business.representative',
  'dossier.processing',
  'dossier.applicant',
];
let datasets: Awaited<ReturnType<TestHub['datasetsApi']>>;
let stewardConsole: Awaited<ReturnType<TestHub['stewardConsole']>>;
let consolidation: Awaited<ReturnType<TestHub['consolidation']>>;
const sent = { datasets: 0, console: 0, consolidation: 0 };
/** Every route the consolidation's internal API registers, read from the app (stand-in deps: built, never served). */
const CONSOLIDATION_ROUTES = listRoutes(
  createConsolidationApp(stubDeps({ apiToken: 'route-listing-token-0123456789' })),
);
/** Console JSON body limit (express.json({ limit: '256kb' }) in services/steward-console/src/http/app.ts). */
const CONSOLE_BODY_LIMIT = 256 * 1024;
/**
 * Inputs that hit the known console bug (see the skipped test): the body parser's 413 and 415 are
 * answered as 500. Kept out of the property so that it still checks everything else.
 */
const hitsKnownConsoleBug = (r: { path: string; body: string | undefined; type: string }) =>
  /%00/.test(r.path) ||
  (r.body !== undefined &&
    (Buffer.byteLength(r.body) > CONSOLE_BODY_LIMIT ||
      /charset=(?!utf-?8)/i.test(r.type) ||
      r.body.includes('\\u0000') ||
      r.body.includes('\u0000')));

beforeAll(async () => {
  await hub.createTopics(1);
  consolidation = await hub.consolidation();
  datasets = await hub.datasetsApi(consolidation.url, { fuzz: ALL });
  stewardConsole = await hub.stewardConsole(consolidation.url, { admin: 'admin' });
}, 300_000);

afterAll(async () => {
  process.stdout.write(
    `hostile-input: ${sent.datasets} datasets-API requests, ${sent.console} console requests, ` +
      `${sent.consolidation} consolidation internal-API requests (seed ${SEED})\n`,
  );
  await hub.stop();
}, 120_000);

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  // A hang is a failure: every request has a deadline (not a timing assertion: it only bounds the test).
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** A 2xx, or a 4xx whose JSON body names the problem. Never a 5xx. Returns what is wrong, if anything. */
function problemWith(a: Answer, what: string): string | undefined {
  if (a.status >= 500) return `${what.slice(0, 200)} → ${a.status} ${a.text.slice(0, 200)}`;
  // 414/431: refused by Node's HTTP parser before the application sees it (URL or headers too long).
  if (a.status >= 400 && a.status !== 431 && a.status !== 414) {
    const code = (a.body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (typeof code !== 'string')
      return `${what.slice(0, 200)} → ${a.status} without an error body: ${a.text.slice(0, 200)}`;
  }
  return undefined;
}

function expectCleanAnswer(a: Answer, what: string): void {
  expect(problemWith(a, what)).toBeUndefined();
}

const DATASET_PATHS: [string, string[]][] = [
  ['/citizens', ['name', 'dob', 'commune', 'cursor', 'limit']],
  ['/businesses', ['name', 'status', 'kind', 'commune', 'industry', 'cursor', 'limit']],
  [
    '/dossiers',
    ['applicant', 'agency', 'procedure', 'status', 'receivedFrom', 'receivedTo', 'cursor', 'limit'],
  ],
  ['/feeds/citizen', ['cursor', 'limit']],
  ['/feeds/dossier', ['cursor', 'limit']],
  ['/access-log', ['appId', 'recordId', 'from', 'to', 'cursor', 'limit']],
  ['/citizens/{v}', []],
  ['/citizens/by-identifier/{v}', []],
  ['/citizens/{v}/businesses', ['cursor', 'limit']],
  ['/citizens/{v}/dossiers', ['cursor', 'limit']],
  ['/citizens/{v}/history', []],
  ['/businesses/by-code/{v}', []],
  ['/dossiers/by-code/{v}', []],
  ['/feeds/{v}', ['cursor', 'limit']],
];

describe('hostile input (ARCHITECTURE §9.2)', () => {
  it('datasets API: hostile query parameters and path segments → clean 4xx or 2xx, never 5xx; good requests still work', async () => {
    const key = datasets.keys.fuzz ?? '';
    const failures: string[] = [];
    const request = fc
      .integer({ min: 0, max: DATASET_PATHS.length - 1 })
      .chain((i) => {
        const [path, params] = DATASET_PATHS[i] ?? ['/citizens', []];
        return fc.tuple(fc.constant(path), hostileValue, hostileQuery(params.length ? params : ['limit']));
      })
      .map(([path, segment, query]) => `${path.replace('{v}', segment)}${query}`);
    await fc.assert(
      fc.asyncProperty(request, async (pathAndQuery) => {
        sent.datasets++;
        const p = problemWith(
          await send(`${datasets.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${key}` } }),
          `GET ${pathAndQuery}`,
        );
        if (p) failures.push(p);
      }),
      { numRuns: runs(300, 5000), seed: SEED },
    );
    // Every distinct failure of the run at once (not only the first), to report them together.
    expect(failures.slice(0, 20)).toEqual([]);
    // Headers a broken client sends.
    for (const auth of [
      'Bearer',
      'Bearer \u00ff\u00fe',
      `Bearer ${'A'.repeat(8000)}`,
      'Basic Zm9vOmJhcg==',
      `Bearer ${key}\u0000`,
    ]) {
      sent.datasets++;
      const a = await send(`${datasets.url}/citizens?name=nguyen`, {
        headers: { authorization: auth },
      }).catch((e: unknown) => ({
        status: 400,
        body: { error: { code: 'CLIENT_REFUSED_HEADER' } },
        text: String(e),
      }));
      expectCleanAnswer(a, `authorization ${auth.slice(0, 20)}`);
    }
    const good = await send(`${datasets.url}/citizens?name=nguy%E1%BB%85n&limit=5`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(good.status).toBe(200);
    expect(Array.isArray((good.body as { items?: unknown }).items)).toBe(true);
  }, 600_000);

  it('steward console JSON API: hostile bodies and queries → clean 4xx or 2xx, never 5xx; the session still works', async () => {
    const auth = { authorization: `Bearer ${stewardConsole.tokens.admin ?? ''}`, accept: 'application/json' };
    const failures: string[] = [];
    const posts: [string, string][] = [
      ['/api/dead-letters/replay', JSON.stringify({ ids: [1], reason: 'ok' })],
      ['/api/review-tasks/{v}/resolve', JSON.stringify({ action: 'merge', reason: 'same person' })],
      ['/api/tokens', JSON.stringify({ username: 'admin', password: 'wrong-password-1', name: 'x' })],
    ];
    const post = fc
      .tuple(
        fc.integer({ min: 0, max: posts.length - 1 }),
        hostileValue,
        fc.constantFrom(
          'application/json',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
      )
      .chain(([i, seg, type]) => {
        const [path, valid] = posts[i] ?? ['/api/dead-letters/replay', '{}'];
        return hostileJson(valid).map((body) => ({
          method: 'POST',
          path: path.replace('{v}', seg),
          body,
          type,
        }));
      });
    const gets: [string, string[]][] = [
      ['/api/dead-letters', ['topic', 'reason', 'open', 'limit', 'before']],
      ['/api/quality', ['from', 'to', 'agency']],
      ['/api/sources/{v}/series', ['metric', 'from', 'to', 'hours']],
      ['/api/dead-letters/{v}', []],
      ['/api/review-tasks', ['status', 'kind', 'limit', 'after']],
      ['/api/audit', ['limit', 'before', 'username', 'action']],
    ];
    const get = fc.tuple(fc.integer({ min: 0, max: gets.length - 1 }), hostileValue).chain(([i, seg]) => {
      const [path, params] = gets[i] ?? ['/api/health', []];
      return hostileQuery(params.length ? params : ['x']).map((q) => ({
        method: 'GET',
        path: `${path.replace('{v}', seg)}${q}`,
        body: undefined,
        type: '',
      }));
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(post, get), async (r) => {
        if (hitsKnownConsoleBug(r)) return;
        sent.console++;
        const a = await send(`${stewardConsole.url}${r.path}`, {
          method: r.method,
          headers: { ...auth, ...(r.body === undefined ? {} : { 'content-type': r.type }) },
          ...(r.body === undefined ? {} : { body: r.body }),
        });
        const p = problemWith(
          a,
          `${r.method} ${r.path.slice(0, 150)} ${r.type} ${String(r.body).slice(0, 150)}`,
        );
        if (p) failures.push(p);
      }),
      { numRuns: runs(300, 5000), seed: SEED },
    );
    expect(failures.slice(0, 20)).toEqual([]);
    // Invalid UTF-8 bytes in a JSON body.
    sent.console++;
    const raw = await send(`${stewardConsole.url}/api/dead-letters/replay`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x72, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expectCleanAnswer(raw, 'invalid UTF-8 body');
    expect(raw.status).toBeGreaterThanOrEqual(400);
    const session = await send(`${stewardConsole.url}/api/session`, { headers: auth });
    expect(session.status).toBe(200);
    expect(JSON.stringify(session.body)).toContain('admin');
  }, 600_000);

  // BUG (reported, issue 11): services/steward-console/src/http/app.ts:106 maps every non-AppError
  // whose `status` is not exactly 400 to 500, so the JSON body parser's own 4xx refusals become
  // "500 internal error" (and are logged as http_request_failed errors): a body over the 256 kB
  // limit (413 entity.too.large) and an unsupported charset (415 charset.unsupported).
  // Reproduction: curl -X POST -H 'authorization: Bearer <token>' -H 'content-type: application/json; charset=latin1'
  //   --data '{}' http://127.0.0.1:8310/api/dead-letters/replay   → 500 (expected 415)
  // and the same with a 300 kB JSON body → 500 (expected 413). Un-skip once fixed.
  it('steward console HTML forms and the datasets API token endpoint: hostile form bodies → never 5xx, no hang; both still serve', async () => {
    const auth = { authorization: `Bearer ${stewardConsole.tokens.admin ?? ''}` };
    const failures: string[] = [];
    // The console's HTML form posts (answered with pages, not JSON) and OAuth2's token endpoint.
    const forms: [string, string, string][] = [
      [stewardConsole.url, '/review/{v}/resolve', 'action=merge&reason=same+person'],
      [stewardConsole.url, '/dead-letters/replay', 'ids=1&reason=fixed'],
      [stewardConsole.url, '/dead-letters/replay-all', 'topic=dlq.x&reason=fixed'],
      [stewardConsole.url, '/login', 'username=admin&password=wrong-password-1&_csrf=x'],
      [datasets.url, '/oauth/token', 'grant_type=client_credentials&client_id=x&client_secret=y'],
    ];
    const formBody = (valid: string) =>
      fc.oneof(
        hostileJson(valid),
        fc
          .array(fc.tuple(hostileValue, hostileValue), { maxLength: 8 })
          .map((kv) => kv.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
        hostileValue.map((v) => `${valid}&${v}`),
      );
    const post = fc
      .tuple(
        fc.integer({ min: 0, max: forms.length - 1 }),
        hostileValue,
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/x-www-form-urlencoded; charset=latin1',
          'multipart/form-data',
          'application/json',
          'text/plain',
        ),
      )
      .chain(([i, seg, type]) => {
        const [base, path, valid] = forms[i] ?? forms[0]!;
        return formBody(valid).map((body) => ({
          base,
          path: path.replace('{v}', encodeURIComponent(seg)),
          body,
          type,
        }));
      });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(post, async (r) => {
        n++;
        const a = await send(`${r.base}${r.path}`, {
          method: 'POST',
          headers: { ...(r.base === stewardConsole.url ? auth : {}), 'content-type': r.type },
          body: r.body,
        });
        if (a.status >= 500)
          failures.push(
            `POST ${r.path.slice(0, 120)} ${r.type} ${r.body.slice(0, 120)} → ${a.status} ${a.text.slice(0, 160)}`,
          );
      }),
      { numRuns: runs(150, 2000), seed: SEED },
    );
    process.stdout.write(
      `html forms and /oauth/token: ${n} requests, ${failures.length} failures (seed ${SEED})\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    const session = await send(`${stewardConsole.url}/api/session`, {
      headers: { ...auth, accept: 'application/json' },
    });
    expect(session.status).toBe(200);
    const good = await send(`${datasets.url}/citizens?name=nguy%E1%BB%85n&limit=5`, {
      headers: { authorization: `Bearer ${datasets.keys.fuzz ?? ''}` },
    });
    expect(good.status).toBe(200);
  }, 600_000);

  it('steward console: an oversized body → 413 and an unsupported charset → 415', async () => {
    const auth = { authorization: `Bearer ${stewardConsole.tokens.admin ?? ''}`, accept: 'application/json' };
    const big = await send(`${stewardConsole.url}/api/dead-letters/replay`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'A'.repeat(300_000) }),
    });
    expect(big.status).toBe(413);
    const latin1 = await send(`${stewardConsole.url}/api/dead-letters/replay`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json; charset=latin1' },
      body: '{}',
    });
    expect(latin1.status).toBe(415);
  });

  // BUG (reported, issue 11): the console passes user text containing NUL (U+0000) straight to
  // PostgreSQL, which refuses it ("invalid byte sequence for encoding UTF8: 0x00"); the error is
  // answered 500 instead of 400. First seen at services/steward-console/src/http/api.routes.ts:75
  // (`d.health.findConnector(id)` with the raw :id). Reproduction:
  //   curl -H 'authorization: Bearer <token>' http://127.0.0.1:8310/api/sources/%00/series   → 500
  // Un-skip once text parameters are validated (or NUL refused) before they reach the database.
  it('steward console: NUL characters in path or query are refused with a 400', async () => {
    const auth = { authorization: `Bearer ${stewardConsole.tokens.admin ?? ''}`, accept: 'application/json' };
    for (const path of [
      '/api/sources/%00/series',
      '/api/dead-letters?topic=%00',
      '/api/dead-letters?reason=a%00b',
    ]) {
      const a = await send(`${stewardConsole.url}${path}`, { headers: auth });
      expect(a.status, path).toBe(400);
    }
  });

  it('names in NFC and NFD find the same citizens (hostile-looking but legitimate input answers 200)', async () => {
    const key = datasets.keys.fuzz ?? '';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('Nguyễn Thị Thuỷ', 'Hầu A Lềnh', 'Đặng Văn Ơn'), async (name) => {
        const nfc = await send(`${datasets.url}/citizens?name=${encodeURIComponent(name.normalize('NFC'))}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const nfd = await send(`${datasets.url}/citizens?name=${encodeURIComponent(name.normalize('NFD'))}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(nfc.status).toBe(200);
        expect(nfd.status).toBe(200);
        expect(nfd.body).toMatchObject({ items: (nfc.body as { items: unknown[] }).items });
      }),
      { numRuns: 3, seed: SEED },
    );
    expect(hostileText).toBeDefined();
  });

  // Found by this test (issue 11), fixed in services/consolidation/src/http/app.ts: the body parser's
  // 400/413/415 and the router's undecodable path segments (`%ZZ`, `%ED%A0%80`) were answered 500; a NUL
  // in a master id reached PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00") → 500.
  it('consolidation internal API: hostile paths, queries and bodies → clean 4xx or 2xx, never 5xx; good requests still work', async () => {
    const auth = { authorization: `Bearer ${consolidation.token}`, accept: 'application/json' };
    const failures: string[] = [];
    // Every route the app registers (a new one is fuzzed without being listed here): its `:params`
    // filled with hostile values, or now and then a well-formed one so that the next check is reached.
    expect(CONSOLIDATION_ROUTES.length).toBeGreaterThanOrEqual(8);
    const wellFormed: Record<string, readonly string[]> = {
      entity: ['citizen', 'business', 'dossier'],
      id: ['1', 'C-1', '3f1b2c4d-0000-4000-8000-000000000001'],
    };
    const validBody: Record<string, string> = {
      'POST /review-tasks/:id/resolve': JSON.stringify({
        decision: 'MERGE',
        steward: 'an',
        reason: 'same person',
      }),
      'POST /masters/:entity/:id/split': JSON.stringify({
        sourceRecords: [{ system: 'police-residence', recordId: 'R-1' }],
        steward: 'an',
        reason: 'two people',
      }),
    };
    const param = (name: string): fc.Arbitrary<string> => {
      const ok = wellFormed[name];
      return ok
        ? fc.oneof({ weight: 2, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constantFrom(...ok) })
        : hostileValue;
    };
    const request = fc.constantFrom(...CONSOLIDATION_ROUTES).chain((route) => {
      const names = (route.path.match(/:\w+/g) ?? []).map((n) => n.slice(1));
      const path = fc.tuple(...names.map(param)).map((values) => {
        let i = 0;
        return route.path.replace(/:\w+/g, () => values[i++] ?? '');
      });
      const query = hostileQuery(['status', 'kind', 'entity', 'limit', 'after']);
      const body =
        route.method === 'GET'
          ? fc.constant(undefined)
          : fc.tuple(
              hostileJson(validBody[`${route.method} ${route.path}`] ?? '{}'),
              fc.constantFrom(
                'application/json',
                'application/json; charset=latin1',
                'application/json; charset=utf-16',
                'text/plain',
                'application/x-www-form-urlencoded',
              ),
            );
      return fc.tuple(path, query, body).map(([p, q, b]) => ({
        method: route.method,
        path: `${p}${q}`,
        body: b?.[0],
        type: b?.[1] ?? '',
      }));
    });
    const statuses = new Map<number, number>();
    const call = async (r: {
      method: string;
      path: string;
      body: string | Buffer | undefined;
      type: string;
    }) => {
      sent.consolidation++;
      const what = `${r.method} ${r.path.slice(0, 150)} ${r.type} ${String(r.body).slice(0, 150)}`;
      try {
        const a = await send(`${consolidation.url}${r.path}`, {
          method: r.method,
          headers: { ...auth, ...(r.body === undefined ? {} : { 'content-type': r.type }) },
          ...(r.body === undefined ? {} : { body: r.body }),
        });
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const p = problemWith(a, what);
        if (p) failures.push(p);
        return a;
      } catch (e) {
        // A hang (the per-request deadline in send) or a dropped connection.
        failures.push(`${what.slice(0, 200)} → no answer: ${String(e)}`);
        return undefined;
      }
    };
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        await call(r);
      }),
      { numRuns: runs(250, 4000), seed: SEED },
    );
    // Fixed cases, whatever the seed draws, with the answer each must get: NUL, broken percent-encoding,
    // bigint overflow, a URL over Node's header limit (431/414 from its parser, before the app), a body
    // over the limit, a foreign charset, deep nesting, invalid UTF-8, an unknown route.
    const resolve = validBody['POST /review-tasks/:id/resolve'] ?? '{}';
    const split = validBody['POST /masters/:entity/:id/split'] ?? '{}';
    const json = 'application/json';
    const fixed: { method: string; path: string; body?: string | Buffer; type?: string; want: number[] }[] = [
      { method: 'GET', path: '/masters/citizen/%00', want: [400] },
      { method: 'GET', path: '/masters/citizen/a%00b/history', want: [400] },
      { method: 'GET', path: '/masters/citizen/%ZZ', want: [400] },
      { method: 'GET', path: '/masters/%C3%28/%ED%A0%80', want: [400] },
      { method: 'GET', path: "/masters/citizen/'%20OR%20'1'%3D'1", want: [400] },
      { method: 'GET', path: `/masters/citizen/${'A'.repeat(5000)}`, want: [400] },
      { method: 'GET', path: `/masters/citizen/${'A'.repeat(70_000)}`, want: [414, 431] },
      { method: 'GET', path: '/masters/citizen/3f1b2c4d-0000-4000-8000-000000000001', want: [404] },
      { method: 'GET', path: '/masters/citizen/3f1b2c4d-0000-4000-8000-000000000001/history', want: [200] },
      { method: 'GET', path: '/review-tasks/99999999999999999999', want: [400] },
      { method: 'GET', path: '/review-tasks/1e309', want: [400] },
      { method: 'GET', path: '/review-tasks?after=99999999999999999999&limit=5', want: [400] },
      { method: 'GET', path: '/review-tasks?entity=__proto__&status[]=OPEN&limit=1e309', want: [400] },
      { method: 'GET', path: '/no/such/route', want: [404] },
      {
        method: 'POST',
        path: '/review-tasks/99999999999999999999/resolve',
        body: resolve,
        type: json,
        want: [400],
      },
      {
        method: 'POST',
        path: '/review-tasks/1/resolve',
        body: resolve.slice(0, 10),
        type: json,
        want: [400],
      },
      {
        method: 'POST',
        path: '/review-tasks/1/resolve',
        body: '{"__proto__":{"decision":"MERGE"}}',
        type: json,
        want: [400],
      },
      { method: 'POST', path: '/masters/citizen/%00/split', body: split, type: json, want: [400] },
      {
        method: 'POST',
        path: '/masters/citizen/C-1/split',
        body: split.replace('R-1', 'R\\u00001'),
        type: json,
        want: [400],
      },
      {
        method: 'POST',
        path: '/masters/citizen/C-1/split',
        body: JSON.stringify({ reason: 'A'.repeat(300_000) }),
        type: json,
        want: [413],
      },
      {
        method: 'POST',
        path: '/masters/citizen/C-1/split',
        body: split,
        type: 'application/json; charset=latin1',
        want: [415],
      },
      {
        method: 'POST',
        path: '/masters/citizen/C-1/split',
        body: `${'['.repeat(5000)}${']'.repeat(5000)}`,
        type: json,
        want: [400],
      },
      {
        method: 'POST',
        path: '/review-tasks/1/resolve',
        body: Buffer.from([0x7b, 0x22, 0x72, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        type: json,
        want: [400],
      },
    ];
    for (const { want, ...f } of fixed) {
      const a = await call({ body: undefined, type: '', ...f });
      if (a && !want.includes(a.status))
        failures.push(
          `${f.method} ${f.path.slice(0, 100)} → ${a.status}, expected ${want.join(' or ')}: ${a.text.slice(0, 200)}`,
        );
    }
    expect(failures.slice(0, 20)).toEqual([]);
    // Good requests still work, from the same process.
    const stats = await send(`${consolidation.url}/stats`, { headers: auth });
    expect(stats.status).toBe(200);
    expect(typeof (stats.body as { openReviewTasks?: unknown }).openReviewTasks).toBe('number');
    const tasks = await send(`${consolidation.url}/review-tasks?status=OPEN&limit=5`, { headers: auth });
    expect(tasks.status).toBe(200);
    expect(Array.isArray((tasks.body as { items?: unknown }).items)).toBe(true);
    expect(consolidation.proc.alive(), consolidation.proc.log().slice(-3000)).toBe(true);
    expect(consolidation.proc.starts).toBe(1);
    process.stdout.write(
      `consolidation internal API: ${sent.consolidation} requests over ${CONSOLIDATION_ROUTES.length} routes, ` +
        `${failures.length} failures (${[...statuses]
          .sort(([a], [b]) => a - b)
          .map(([k, n]) => `${k}×${n}`)
          .join(', ')}; seed ${SEED})\n`,
    );
  }, 600_000);

  it('leaks no key, token, password or personal number into the logs of these processes', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
