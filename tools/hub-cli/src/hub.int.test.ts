import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterWriter, readHeaders } from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';
import {
  CONNECTOR,
  HUB_BIN,
  PASSWORD,
  runNode,
  startConsole,
  type ConsoleProcess,
  type RunResult,
} from './int-harness.test-support.js';

let c: ConsoleProcess;
let home: string;
let stewardToken: string;
let viewerToken: string;
const original = Buffer.from('hoTen=Nguyễn Văn A;ngaySinh=1985-03-02', 'utf8');

/** The real `hub` binary as a process, with a private config directory. */
const hub = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> =>
  runNode(
    HUB_BIN,
    args,
    { PATH: process.env.PATH, XDG_CONFIG_HOME: home, HUB_CONSOLE_URL: c.url, ...env },
    input,
  );
const asSteward = (args: string[]) => hub(args, { HUB_TOKEN: stewardToken });

async function createUser(username: string, role: string): Promise<string> {
  const created = await c.consoleCli(['users', 'create', username, role], { CONSOLE_PASSWORD: PASSWORD });
  expect(created.code, created.stderr).toBe(0);
  const token = await c.consoleCli(['tokens', 'create', username, '--name', 'test']);
  expect(token.code, token.stderr).toBe(0);
  return token.stdout.trim();
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'hub-cli-test-'));
  c = await startConsole();
  stewardToken = await createUser('steward', 'steward');
  viewerToken = await createUser('viewer', 'viewer');
  await c.heartbeat({
    connectorId: CONNECTOR,
    state: 'RUNNING',
    cursor: '{"updatedAt":"2025-10-01T00:00:00Z","id":42}',
    recordsRead: 10,
    recordsPublished: 9,
    recordsDeadLettered: 1,
    sourceRecordCount: 9,
    newestSourceUpdateAt: Date.now(),
  });
  const writer = new DeadLetterWriter(c.kafka, c.topics.connectorDlq);
  await writer.start();
  await writer.write(
    {
      topic: c.topics.source,
      partition: 0,
      offset: '7',
      key: Buffer.from('civil-status:KS-7'),
      value: original,
      headers: {},
    },
    { reason: 'NOT_WIRE_FORMAT', error: 'value starts with byte 0x68', by: 'test.consumer' },
  );
  await writer.stop();
});

afterAll(async () => {
  await c?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('hub against the real steward console', () => {
  it('status --json: the overview, exit 0 while nothing is red; exit 3 once a connector failed', async () => {
    const ok = await eventually(
      async () => {
        const r = await asSteward(['status', '--json']);
        return r.stdout.includes(CONNECTOR) ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the connector in hub status' },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const body = JSON.parse(ok.stdout) as { status: string; sources: { connectorId: string }[] };
    expect(['green', 'amber']).toContain(body.status);
    await c.heartbeat({
      connectorId: 'test-broken',
      state: 'FAILED',
      lastError: 'connection refused',
      lastErrorAt: Date.now(),
    });
    const red = await eventually(
      async () => {
        const r = await asSteward(['status', '--lang', 'en']);
        return r.code === 3 ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'hub status exit 3' },
    );
    expect(red.stdout).toMatch(/^✖ red — /);
    expect(red.stdout).toContain('test-broken');
  });

  it('sources: one row per connector with state, heartbeat, freshness, dead letters, reconciliation', async () => {
    const r = await asSteward(['sources']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('trạng thái');
    const row = r.stdout.split('\n').find((l) => l.includes(CONNECTOR)) ?? '';
    expect(row).toContain('RUNNING');
    expect(row).toContain('civil-status');
    expect(r.stdout.split('\n').find((l) => l.includes('test-broken'))).toContain('FAILED');
  });

  it('dlq: lists the dead letter with reason, source coordinates and the decoded original', async () => {
    const listed = await eventually(
      async () => {
        const r = await asSteward(['dlq', '--connector', CONNECTOR, '--json']);
        return r.code === 0 && (JSON.parse(r.stdout) as { items: unknown[] }).items.length === 1
          ? r
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the dead letter in hub dlq' },
    );
    const [item] = (
      JSON.parse(listed.stdout) as {
        items: { reason: string; source: string; original: { kind: string; text: string } }[];
      }
    ).items;
    expect(item).toMatchObject({
      reason: 'NOT_WIRE_FORMAT',
      source: `${c.topics.source}/0/7`,
      original: { kind: 'text', text: original.toString('utf8') },
    });
    const table = await asSteward(['dlq', '--reason', 'NOT_WIRE_FORMAT', '--lang', 'en']);
    expect(table.stdout).toContain(`${c.topics.source}/0/7`);
    expect(table.stdout).toContain('hoTen=Nguyễn Văn A');
    const asViewer = await hub(['dlq', '--lang', 'en'], { HUB_TOKEN: viewerToken });
    expect(asViewer.code).toBe(0);
    expect(asViewer.stdout).toContain('Your role cannot see payloads');
  });

  it('replay: a viewer is refused (403), a steward sends the original back to its topic', async () => {
    const { items } = JSON.parse((await asSteward(['dlq', '--json', '--no-preview'])).stdout) as {
      items: { id: number; dlq: string }[];
    };
    const letter = items[0]!;
    const refused = await hub(['replay', String(letter.id), '--lang', 'en'], { HUB_TOKEN: viewerToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Your role cannot do that');
    const r = await asSteward(['replay', String(letter.id), '--note', 'test: mapping fixed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ ${letter.id} → ${c.topics.source}/0/`);
    const seen: { value: Buffer; headers: Record<string, string> }[] = [];
    const consumer = c.kafka.raw.consumer({ groupId: uniqueName('hubcli-verify') });
    await consumer.connect();
    await consumer.subscribe({ topics: [c.topics.source], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) =>
        Promise.resolve(
          void seen.push({ value: message.value ?? Buffer.alloc(0), headers: readHeaders(message.headers) }),
        ),
    });
    try {
      await eventually(() => (seen.length ? true : undefined), {
        timeoutMs: 30_000,
        what: 'the replayed record',
      });
    } finally {
      await consumer.disconnect();
    }
    expect(seen[0]?.value.equals(original)).toBe(true);
    expect(seen[0]?.headers['hub-replay-of']).toBe(letter.dlq);
    const again = await asSteward(['replay', String(letter.id)]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('CONFLICT');
  });

  it('says what to do without a token (log in), with a bad one (401) and when the console is unreachable', async () => {
    const none = await hub(['status', '--lang', 'en']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Not logged in: run `hub login`');
    const bad = await hub(['sources'], { HUB_TOKEN: 'hubc_test-not-a-token' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Chạy `hub login`');
    const down = await hub(['status', '--lang', 'en', '--url', 'http://127.0.0.1:9'], {
      HUB_TOKEN: stewardToken,
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Cannot reach the steward console at http://127.0.0.1:9');
  });

  it('login: trades the password for a token kept with mode 0600, used by later commands; logout revokes it', async () => {
    const wrong = await hub(['login', '--username', 'steward', '--password-stdin'], {}, 'sai-test\n');
    expect(wrong.code).toBe(1);
    const r = await hub(
      ['login', '--username', 'steward', '--password-stdin', '--lang', 'en'],
      {},
      `${PASSWORD}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Logged in as steward (steward)');
    const file = join(home, 'hub', 'token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const who = await hub(['whoami', '--json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ username: 'steward', role: 'steward' });
    const out = await hub(['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect((await hub(['whoami'])).stderr).toContain('hub login');
  });

  it('cursor: shows the cursor from the latest heartbeat', async () => {
    const r = await asSteward(['cursor', CONNECTOR, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      connectorId: CONNECTOR,
      connectorKind: 'sql-poll',
      cursor: '{"updatedAt":"2025-10-01T00:00:00Z","id":42}',
    });
    const reset = await asSteward(['cursor', CONNECTOR, '--reset']);
    expect(reset.code).toBe(2);
    expect(reset.stderr).toContain('--yes');
  });
});
