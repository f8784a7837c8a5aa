import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeStatus, readTopic } from '@hub/connector-runtime/testing';
import { OneStopApi, renderWorld } from '@hub/departments';
import { HEADERS, deleteTestTopics, ensureTopics } from '@hub/kafka';
import { eventually } from '@hub/testing';
import { SECRETS, TestHub } from './support/hub.js';
import { SEED } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { departmentConfig, reconcilePolled, startConnector, ticks } from './support/polling.js';
import { freePort, type ServiceProcess } from './support/stack.js';

/**
 * Issue 11, "Infrastructure faults": a slow or failing department system — its connector backs off
 * and reports, the others are unaffected. One rest-poll process (the real `dist/main.js`) hosts two
 * connectors of the one-stop configuration file: `one-stop-dossiers` reads department A, a copy
 * with its own id, topics and dead-letter topic (`one-stop-dossiers-b`) reads department B. Both
 * departments are the simulated one-stop dossier API (`OneStopApi`, real HTTP servers in this
 * process, loaded from the generator), each behind a small counting proxy that records when the
 * connector asks. A fails in turn with continuous 503s, answers slower than the connector's
 * `timeoutMs`, answers slowly but within it, refuses connections, and recovers; both departments
 * keep changing records meanwhile. Checked, with the process never restarted: B's records all
 * arrive during A's faults and B never reports an error; A reports each fault (state FAILED and
 * the last error naming the HTTP status, the timeout, the refused connection, on its heartbeats on
 * the status topic and on the ops endpoint); A is backed off (few requests, growing gaps); nothing
 * of A is dead-lettered because of a fault; once A answers again its connector is RUNNING with no
 * error, without any operator action, and every A record's current state is on its topic (0 lost,
 * 0 duplicated).
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'deptfault');
const PEOPLE = 300;
const CHANGES = 15;
const POLL_MS = 200;
const TIMEOUT_MS = 1000;
/** How long A answers 503s: long enough for several backoff steps (an observation window, not a speed bound). */
const OUTAGE_MS = 20_000;
const A_ID = 'one-stop-dossiers';
const B_ID = 'one-stop-dossiers-b';
const topics = {
  obsA: hub.topics.obsDossier,
  obsB: `${hub.topics.obsDossier}-b`,
  dlqA: `${hub.topics.dlqPrefix}${A_ID}`,
  dlqB: `${hub.topics.dlqPrefix}${B_ID}`,
};
const KEY = `one-stop-${randomBytes(16).toString('hex')}`;
SECRETS.push(KEY);
const simA = new OneStopApi({ apiKeys: [KEY] });
const simB = new OneStopApi({ apiKeys: [KEY] });

interface Seen {
  readonly at: number;
  /** HTTP status the department answered, or what happened to the request. */
  status: number | 'aborted' | 'error' | 'pending';
}

/**
 * The address the connector is given for a department: forwards each request to the simulator and
 * records when it came and how it ended. Closing it refuses connections (nothing listens on its
 * port); opening it again listens on the same port.
 */
class CountingProxy {
  readonly seen: Seen[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly target: OneStopApi) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests for the dossier list since `from` (ms). */
  since(from: number, to = Infinity): Seen[] {
    return this.seen.filter((s) => s.at >= from && s.at < to);
  }

  async open(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const server = createServer((req, res) => {
      const entry: Seen = { at: Date.now(), status: 'pending' };
      if (req.url?.startsWith('/api/v1/dossiers')) this.seen.push(entry);
      const upstream = request(
        new URL(req.url ?? '/', this.target.url),
        { method: req.method, headers: req.headers },
        (answer) => {
          entry.status = answer.statusCode ?? 'error';
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (entry.status === 'pending') entry.status = 'error';
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      // The connector gave up (its timeout): drop the request to the department too.
      res.on('close', () => {
        if (!res.writableFinished) {
          entry.status = 'aborted';
          upstream.destroy();
        }
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const proxyA = new CountingProxy(simA);
const proxyB = new CountingProxy(simB);

beforeAll(async () => {
  await hub.createTopics(2);
  await ensureTopics(hub.kafka, [
    { name: topics.obsB, partitions: 2, replicationFactor: 1, config: {} },
    { name: topics.dlqA, partitions: 1, replicationFactor: 1, config: {} },
    { name: topics.dlqB, partitions: 1, replicationFactor: 1, config: {} },
  ]);
  await simA.start();
  await simB.start();
  // Two departments with records of their own: the generator's world with two seeds.
  for (const { records } of renderWorld({ seed: SEED, people: PEOPLE })) await simA.load(records['one-stop']);
  for (const { records } of renderWorld({ seed: SEED + 1, people: PEOPLE }))
    await simB.load(records['one-stop']);
  await proxyA.open();
  await proxyB.open();
}, 300_000);

afterAll(async () => {
  await hub.stop();
  await deleteTestTopics(hub.kafka, [topics.obsB, topics.dlqA, topics.dlqB]).catch(() => undefined);
  await proxyA.close();
  await proxyB.close();
  await simA.stop();
  await simB.stop();
}, 120_000);

const stateOf = (d: Record<string, unknown>) =>
  `${String(d.ngayCapNhat)}|${String(d.trangThai)}|${String(d.daXoa)}`;

/** Every dossier of a department in its current state, read from the simulator itself (not through the proxy). */
async function currentDossiers(sim: OneStopApi): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let page = 1; ; page++) {
    const res = await fetch(`${sim.url}/api/v1/dossiers?page=${page}&pageSize=500`, {
      headers: { 'x-api-key': KEY },
    });
    const body = (await res.json()) as { data: Record<string, unknown>[]; totalPages: number };
    for (const d of body.data) out.set(String(d.id), stateOf(d));
    if (page >= body.totalPages) return out;
  }
}

const reconcile = (which: 'A' | 'B') =>
  reconcilePolled({
    kafka: hub.kafka,
    entity: 'dossier',
    observations: which === 'A' ? topics.obsA : topics.obsB,
    deadLetter: which === 'A' ? topics.dlqA : topics.dlqB,
    expected: () => currentDossiers(which === 'A' ? simA : simB),
    stateOf,
    timeoutMs: 120_000, // hang bound
  });

interface Status {
  connectorId: string;
  state: string;
  lastError: string | null;
  occurredAt: number;
  instanceId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a slow or failing department system (issue 11: infrastructure faults)', () => {
  let proc: ServiceProcess;
  let opsUrl: string;

  const statusOf = async (id: string): Promise<Status> => {
    const res = await fetch(`${opsUrl}/connectors`);
    const all = (await res.json()) as Status[];
    const s = all.find((c) => c.connectorId === id);
    if (!s) throw new Error(`no connector ${id} in GET /connectors`);
    return s;
  };
  /** Wait (bounded) until A's status on the ops endpoint matches. */
  const untilA = (what: string, ok: (s: Status) => boolean, timeoutMs = 90_000) =>
    eventually(
      async () => {
        const s = await statusOf(A_ID);
        return ok(s) ? s : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `connector A ${what}` },
    );
  const heartbeats = async (): Promise<Status[]> =>
    (await readTopic(hub.kafka, hub.topics.status)).map((m) => decodeStatus<Status>(m.value));
  const deadLetters = async () => readTopic(hub.kafka, topics.dlqA);
  /** `poll_failed` lines of a connector in the process log: its own account of its backoff. */
  const pollFailures = (id: string, from: number, to = Infinity) =>
    proc
      .log()
      .split('\n')
      .flatMap((line) => {
        if (!line.includes('"poll_failed"')) return [];
        const l = JSON.parse(line) as {
          connectorId: string;
          attempt: number;
          delayMs: number;
          err: string;
          time: string;
        };
        const at = Date.parse(l.time);
        return l.connectorId === id && at >= from && at < to ? [{ ...l, at }] : [];
      });
  const tickBoth = async () => {
    await ticks(simA, CHANGES)();
    await ticks(simB, CHANGES)();
  };

  it('A backs off and reports 503s, timeouts and refused connections, B is unaffected, A recovers by itself: 0 lost, 0 duplicated', async () => {
    const source = {
      pageSize: 25,
      rateLimit: { perSecond: 100, burst: 100 },
      timeoutMs: TIMEOUT_MS,
      retry: { attempts: 2, baseMs: 50, maxMs: 200 },
    };
    const configA = departmentConfig(hub, 'rest-poll/one-stop-dossiers.yaml', {
      topics: { observations: topics.obsA, deadLetter: topics.dlqA },
      source,
    });
    const configB = departmentConfig(hub, 'rest-poll/one-stop-dossiers.yaml', {
      id: B_ID,
      topics: { observations: topics.obsB, deadLetter: topics.dlqB },
      source: { ...source, baseUrlEnv: 'ONE_STOP_B_API_URL' },
    });
    const started = await startConnector(hub, 'connectors/rest-poll', `${configA},${configB}`, {
      ONE_STOP_API_URL: proxyA.url,
      ONE_STOP_B_API_URL: proxyB.url,
      ONE_STOP_API_KEY: KEY,
    });
    proc = started.proc;
    opsUrl = started.readyUrl.replace(/\/healthz$/, '');
    const pid = proc.pid;

    // Both departments' snapshots arrive.
    const firstA = await reconcile('A');
    await reconcile('B');
    expect((await statusOf(A_ID)).state).toBe('RUNNING');

    // ── Phase 1, failing: A answers 503 to everything while both departments keep changing. ──
    const dlqBefore = (await deadLetters()).length;
    simA.setFaults({ burst5xx: Number.MAX_SAFE_INTEGER });
    const outageAt = Date.now();
    let bDuringOutage: Awaited<ReturnType<typeof reconcile>> | undefined;
    for (let round = 0; Date.now() - outageAt < OUTAGE_MS; round++) {
      await tickBoth();
      // B's current records all arrive while A is down (checked once, after a few rounds of changes).
      if (round === 2) bDuringOutage = await reconcile('B');
      await sleep(2000);
    }
    const failing = await untilA(
      'FAILED with HTTP 503',
      (s) => s.state === 'FAILED' && /HTTP 503/.test(s.lastError ?? ''),
    );
    const outageEnd = Date.now();
    expect(bDuringOutage?.records).toBeGreaterThan(0);
    expect(failing.lastError).toMatch(/one-stop did not answer usefully after 2 attempt\(s\): HTTP 503/);
    // /readyz lists each connector's own health: A failed, B fine (the process as a whole answers 503).
    const ready = (await (await fetch(`${opsUrl}/readyz`)).json()) as {
      ok: boolean;
      connectors: { id: string; ok: boolean; state: string }[];
    };
    expect(ready.connectors).toEqual(
      expect.arrayContaining([
        { id: A_ID, ok: false, state: 'FAILED' },
        { id: B_ID, ok: true, state: 'RUNNING' },
      ]),
    );
    expect(await statusOf(B_ID)).toMatchObject({ state: 'RUNNING', lastError: null });

    // Backoff, as the department sees it: few requests, and later gaps far longer than early ones.
    const aRequests = proxyA.since(outageAt, outageEnd);
    const bRequests = proxyB.since(outageAt, outageEnd);
    const withoutBackoff = Math.floor((outageEnd - outageAt) / POLL_MS);
    expect(aRequests.every((r) => r.status === 503 || r.status === 'pending')).toBe(true);
    expect(aRequests.length).toBeGreaterThanOrEqual(6);
    expect(aRequests.length).toBeLessThan(withoutBackoff / 4);
    expect(bRequests.length).toBeGreaterThan(aRequests.length * 2); // B kept polling at its interval
    const gaps = aRequests.slice(1).map((r, i) => r.at - (aRequests[i] as Seen).at);
    const third = Math.floor(gaps.length / 3);
    const early = Math.max(...gaps.slice(0, third));
    const late = Math.max(...gaps.slice(-third));
    expect(late).toBeGreaterThan(early * 3);
    // … and as the connector reports it: one poll_failed per failed poll, each wait longer.
    const failures = pollFailures(A_ID, outageAt, outageEnd);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    failures.forEach((f, i) => expect(f.attempt).toBe(i + 1));
    for (let i = 1; i < failures.length; i++)
      expect((failures[i] as { delayMs: number }).delayMs).toBeGreaterThan(
        (failures[i - 1] as { delayMs: number }).delayMs,
      );
    // Heartbeats on the status topic: A's say FAILED with the 503, B's never carry an error.
    const beats = await heartbeats();
    expect(
      beats.some(
        (b) =>
          b.connectorId === A_ID &&
          b.occurredAt >= outageAt &&
          b.state === 'FAILED' &&
          /HTTP 503/.test(b.lastError ?? ''),
      ),
    ).toBe(true);
    const bBeats = beats.filter((b) => b.connectorId === B_ID && b.occurredAt >= outageAt);
    expect(bBeats.length).toBeGreaterThan(0);
    expect(bBeats.every((b) => b.state === 'RUNNING' && b.lastError === null)).toBe(true);

    // ── Phase 2, slow: A answers after 2.5 s, beyond the connector's 1 s timeout. ──
    simA.setFaults({ slowMs: TIMEOUT_MS * 2.5 });
    const slowAt = Date.now();
    await tickBoth();
    const timingOut = await untilA('reporting a timeout', (s) =>
      new RegExp(`no answer within ${TIMEOUT_MS} ms`).test(s.lastError ?? ''),
    );
    expect(timingOut.state).toBe('FAILED');
    const slowEnd = Date.now();
    const aSlow = proxyA.since(slowAt, slowEnd);
    expect(aSlow.length).toBeGreaterThan(0);
    expect(aSlow.every((r) => r.status === 'aborted' || r.status === 'pending')).toBe(true);
    const bWhileSlow = await reconcile('B');
    // Nothing of A was dead-lettered because of the outage or the timeouts.
    expect((await deadLetters()).length).toBe(dlqBefore);

    // Slower than usual but within the timeout: A works again, every change made meanwhile arrives.
    simA.setFaults({ slowMs: Math.round(TIMEOUT_MS * 0.3) });
    const slowOk = await reconcile('A');
    await untilA('RUNNING again', (s) => s.state === 'RUNNING' && s.lastError === null);
    expect(proxyA.since(slowEnd).some((r) => r.status === 200)).toBe(true);

    // ── Phase 1b, refused: nothing listens at A's address any more. ──
    await proxyA.close();
    const refusedAt = Date.now();
    await tickBoth();
    const refused = await untilA(
      'FAILED naming the refused connection',
      (s) => s.state === 'FAILED' && /ECONNREFUSED/.test(s.lastError ?? ''),
    );
    const refusedFailures = pollFailures(A_ID, refusedAt);
    expect(refusedFailures.length).toBeGreaterThanOrEqual(3);
    expect(refusedFailures[0]?.attempt).toBe(1); // the backoff started again after A had recovered
    expect(refused.lastError).toMatch(/connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(await statusOf(B_ID)).toMatchObject({ state: 'RUNNING', lastError: null });
    const dlqBeforeRecovery = (await deadLetters()).length;

    // ── Phase 3, recovered: A answers normally again; nobody touches the connector. ──
    simA.setFaults({});
    await proxyA.open();
    const recoveredAt = Date.now();
    await untilA('RUNNING with its error cleared', (s) => s.state === 'RUNNING' && s.lastError === null);
    const finalA = await reconcile('A');
    const finalB = await reconcile('B');
    await eventually(
      async () =>
        (await heartbeats()).some(
          (b) =>
            b.connectorId === A_ID &&
            b.occurredAt >= recoveredAt &&
            b.state === 'RUNNING' &&
            b.lastError === null,
        )
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 1000, what: "A's heartbeat after the recovery" },
    );
    // Dead letters of A: only records refused for what they hold (the generator's noise), none from a fault.
    const dlq = await deadLetters();
    expect(dlqBeforeRecovery).toBe(dlqBefore);
    for (const m of dlq) {
      expect(m.headers[HEADERS.dlqReason]).toMatch(
        /^(MAPPING_FAILED|SCHEMA_VALIDATION_FAILED|PARSE_FAILED)$/,
      );
      expect(m.headers[HEADERS.dlqError]).not.toMatch(
        /HTTP 5\d\d|no answer within|ECONNREFUSED|fetch failed|did not answer/,
      );
    }
    // Never restarted: the same process all along, and no connector of B ever failed.
    expect(proc.alive()).toBe(true);
    expect(proc.pid).toBe(pid);
    expect(proc.starts).toBe(1);
    expect(pollFailures(B_ID, 0)).toEqual([]);
    expect(
      (await heartbeats())
        .filter((b) => b.connectorId === B_ID)
        .every((b) => b.state !== 'FAILED' && b.lastError === null),
    ).toBe(true);

    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const why = (e: string | null) => (e ?? '').replace(/^.*attempt\(s\): /, '');
    process.stdout.write(
      `department faults: A answered 503 for ${s(outageEnd - outageAt)}: ${aRequests.length} requests reached it ` +
        `(${withoutBackoff} polls at the ${POLL_MS} ms interval alone; B, healthy, received ${bRequests.length}), ` +
        `${failures.length} failed polls, waits ${failures.map((f) => s(f.delayMs)).join(', ')}, ` +
        `largest gap between requests early/late ${s(early)}/${s(late)}; ` +
        `slower than the ${TIMEOUT_MS} ms timeout: ${aSlow.length} requests abandoned, reported "${why(timingOut.lastError)}"; ` +
        `refused: reported "${why(refused.lastError)}" (FAILED after ${refusedFailures.length} failed polls); ` +
        `B: ${bDuringOutage?.records ?? 0} dossiers checked during the 503s, ${bWhileSlow.records} during the timeouts, ` +
        `${finalB.records} at the end; A: ${firstA.records} before, ${slowOk.records} after the slow phase, ` +
        `${finalA.records} after recovery, ${dlq.length} dead letters (none from a fault); ` +
        `same process throughout (${proc.starts} start); 0 lost, 0 duplicated (seed ${SEED})\n`,
    );
  }, 600_000);

  it('leaks no key or personal number into the logs of the process', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });
});
