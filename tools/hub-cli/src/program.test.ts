import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExternalCommand } from './external.js';
import { run, type CliIo } from './program.js';

let home: string;
let calls: { url: string; method: string; auth: string | null; body: unknown }[];
let external: ExternalCommand[];

/** The console at the network edge: canned answers per path, requests recorded. */
function io(
  answers: Record<string, [number, unknown]>,
  env: NodeJS.ProcessEnv = {},
  stdin = '',
): CliIo & { output: string[]; errors: string[] } {
  const output: string[] = [];
  const errors: string[] = [];
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    const headers = new Headers(init?.headers);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      auth: headers.get('authorization'),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const path = new URL(url).pathname;
    const [status, body] = answers[path] ?? [404, { error: { code: 'NOT_FOUND', message: 'no route' } }];
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  };
  return {
    output,
    errors,
    out: (s) => output.push(s),
    err: (s) => errors.push(s),
    env: { XDG_CONFIG_HOME: home, ...env },
    home,
    fetch: fetchImpl,
    runExternal: (c) => {
      external.push(c);
      return Promise.resolve(0);
    },
    prompter: {
      isTty: false,
      line: () => Promise.resolve(''),
      secret: () => Promise.resolve(''),
      stdin: () => Promise.resolve(stdin),
    },
  };
}

const health = (status: string) =>
  [
    200,
    {
      status,
      summary: { vi: 's', en: 's' },
      reasons: [],
      at: 'now',
      consumers: [],
      sources: [
        {
          connectorId: 'c1',
          connectorKind: 'sql-poll',
          status,
          reasons: [],
          state: 'RUNNING',
          cursor: '{"id":1}',
          lastHeartbeatAt: 'now',
        },
      ],
    },
  ] as [number, unknown];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'hub-cli-unit-test-'));
  calls = [];
  external = [];
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('hub argument parsing and exit codes', () => {
  it('status: exit 0 unless red (3); the token goes as a bearer header; --url and HUB_CONSOLE_URL pick the console', async () => {
    expect(await run(['status', '--token', 't1'], io({ '/api/health': health('amber') }))).toBe(0);
    expect(calls[0]).toMatchObject({ url: 'http://127.0.0.1:8310/api/health', auth: 'Bearer t1' });
    expect(
      await run(
        ['status'],
        io({ '/api/health': health('red') }, { HUB_TOKEN: 't2', HUB_CONSOLE_URL: 'http://console.test:1/' }),
      ),
    ).toBe(3);
    expect(calls[1]).toMatchObject({ url: 'http://console.test:1/api/health', auth: 'Bearer t2' });
    expect(
      await run(
        ['--url', 'http://other.test', 'status', '--json'],
        io({ '/api/health': health('green') }, { HUB_TOKEN: 't' }),
      ),
    ).toBe(0);
    expect(calls[2]?.url).toBe('http://other.test/api/health');
  });

  it('usage errors exit 2: unknown command, bad --lang, replay with ids and --all, non-numeric ids', async () => {
    const x = io({}, { HUB_TOKEN: 't' });
    expect(await run(['frobnicate'], x)).toBe(2);
    expect(await run(['--lang', 'fr', 'status'], x)).toBe(2);
    expect(await run(['replay', '1', '--all'], x)).toBe(2);
    expect(await run(['replay'], x)).toBe(2);
    expect(await run(['replay', 'abc'], x)).toBe(2);
    expect(await run(['replay', '3', '--reason', 'X'], x)).toBe(2);
    expect(calls).toHaveLength(0);
    expect(await run(['--help'], x)).toBe(0);
  });

  it('replay: ids, or --all with the connector resolved to its dead-letter topic; exit 1 when any is refused', async () => {
    const answers = {
      '/api/dead-letters': [
        200,
        {
          items: [],
          reasons: [],
          summaries: [{ topic: 'dlq.c1', connectorId: 'c1', open: 2, replayed: 0, topReasons: [] }],
        },
      ],
      '/api/dead-letters/replay': [
        200,
        { results: [{ id: 4, ok: true, target: 't/0/1' }], replayed: 1, refused: 0 },
      ],
    } as Record<string, [number, unknown]>;
    expect(await run(['replay', '4', '5', '--note', 'fixed'], io(answers, { HUB_TOKEN: 't' }))).toBe(0);
    expect(calls.at(-1)?.body).toEqual({ ids: [4, 5], force: false, reason: 'fixed' });
    expect(
      await run(
        ['replay', '--all', '--connector', 'c1', '--reason', 'NOT_WIRE_FORMAT'],
        io(answers, { HUB_TOKEN: 't' }),
      ),
    ).toBe(0);
    expect(calls.at(-1)?.body).toEqual({ all: { topic: 'dlq.c1', reason: 'NOT_WIRE_FORMAT' }, force: false });
    answers['/api/dead-letters/replay'] = [
      200,
      {
        results: [{ id: 4, ok: false, error: { code: 'CONFLICT', message: 'already' } }],
        replayed: 0,
        refused: 1,
      },
    ];
    expect(await run(['replay', '4'], io(answers, { HUB_TOKEN: 't' }))).toBe(1);
  });

  it('errors say what to do: no token, 401, 403, unreachable', async () => {
    const none = io({});
    expect(await run(['sources', '--lang', 'en'], none)).toBe(1);
    expect(none.errors[0]).toContain('Not logged in: run `hub login`');
    const unauthorized = io(
      { '/api/health': [401, { error: { code: 'UNAUTHORIZED', message: 'API token invalid' } }] },
      { HUB_TOKEN: 'x' },
    );
    expect(await run(['status', '--lang', 'en'], unauthorized)).toBe(1);
    expect(unauthorized.errors[0]).toBe(
      'error: The console refused the token (HUB_TOKEN): API token invalid. Run `hub login` to get a new one.',
    );
    const forbidden = io(
      {
        '/api/dead-letters/replay': [
          403,
          { error: { code: 'FORBIDDEN', message: 'role viewer may not replay' } },
        ],
      },
      { HUB_TOKEN: 'x' },
    );
    expect(await run(['replay', '1'], forbidden)).toBe(1);
    expect(forbidden.errors[0]).toBe(
      'lỗi: Vai trò của bạn không được làm việc này: role viewer may not replay',
    );
    const down = io({}, { HUB_TOKEN: 'x' });
    const unreachable = {
      ...down,
      fetch: (() =>
        Promise.reject(
          Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
        )) as typeof fetch,
    };
    expect(await run(['status', '--lang', 'en'], unreachable)).toBe(1);
    expect(down.errors[0]).toBe(
      'error: Cannot reach the steward console at http://127.0.0.1:8310 (ECONNREFUSED). Check the hub is running (`npm start`) or set HUB_CONSOLE_URL / --url.',
    );
  });

  it('login stores the token with mode 0600 and later commands use it', async () => {
    const x = io(
      {
        '/api/tokens': [
          201,
          { token: 'hubc_abc', expiresAt: null, user: { username: 'lan', role: 'steward' } },
        ],
        '/api/health': health('green'),
      },
      {},
      'pw\n',
    );
    expect(await run(['login', '--username', 'lan', '--password-stdin'], x)).toBe(0);
    expect(calls[0]).toMatchObject({ method: 'POST', auth: null, body: { username: 'lan', password: 'pw' } });
    const file = join(home, 'hub', 'token');
    expect(await readFile(file, 'utf8')).toBe('hubc_abc\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await run(['status'], x)).toBe(0);
    expect(calls[1]?.auth).toBe('Bearer hubc_abc');
    expect(await run(['login', '--username', 'lan'], io({}))).toBe(2);
  });

  it('cursor --reset runs the connector own command (after --yes); apps run the datasets API command line', async () => {
    const answers = { '/api/health': health('green') };
    const env = {
      HUB_TOKEN: 't',
      HUB_REPO_ROOT: '/repo',
      CONNECTOR_DATABASE_URL: 'postgres://x/hub_connectors',
      HUB_DATASETS_DATABASE_URL: 'postgres://x/hub_datasets',
    };
    expect(await run(['cursor', 'c1', '--reset', '{"id":0}'], io(answers, env))).toBe(2);
    expect(await run(['cursor', 'c1', '--reset', '{"id":0}', '--yes'], io(answers, env))).toBe(0);
    expect(external[0]?.args).toEqual([
      '/repo/connectors/sql-poll/dist/main.js',
      'cursor',
      'reset',
      'c1',
      '{"id":0}',
    ]);
    expect(await run(['cursor', 'c1', '--reset', 'not json', '--yes'], io(answers, env))).toBe(2);
    expect(
      await run(
        ['apps', 'create', '--name', 'Cổng', '--purpose', 'tra cứu hồ sơ', '--scopes', 'citizens:read'],
        io({}, env),
      ),
    ).toBe(0);
    expect(external[1]?.args).toEqual([
      '/repo/services/datasets-api/dist/cli.js',
      'apps',
      'create',
      '--name',
      'Cổng',
      '--purpose',
      'tra cứu hồ sơ',
      '--scopes',
      'citizens:read',
    ]);
    expect(external[1]?.env.DATABASE_URL).toBe('postgres://x/hub_datasets');
    expect(await run(['apps', 'revoke', 'app-1'], io({}, env))).toBe(0);
    expect(external[2]?.args.slice(1)).toEqual(['apps', 'revoke', 'app-1']);
  });
});
