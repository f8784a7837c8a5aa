import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  destroyCluster,
  loadSettings,
  restartClusterNode,
  startCluster,
  stopClusterNode,
  type Cluster,
  type ClusterNode,
} from '@hub/infra-local';
import { eventually } from '@hub/testing';
import { TestHub } from './support/hub.js';
import { CHAOS, SEED, runs } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { batchSender, newPushStats, pushUntilAcknowledged, type PushAnswer } from './support/push.js';
import { rng } from './support/rng.js';
import { kill9AndRestart } from './support/stack.js';

/**
 * ARCHITECTURE §9.1 and §9.3 with Kafka faults and process crashes together (issue 11): the real
 * http-ingest and consolidation processes run on a three-node KRaft cluster (RF 3,
 * min.insync.replicas 2, acks=all; the cluster's consumer-offsets and transaction-state topics are
 * RF 3 too, see `startCluster`). A department pushes distinct citizens in batches, retrying each
 * until it is acknowledged. At seeded points the test kills -9 a broker — the one leading most
 * partitions of the observation topic, then the active KRaft controller, in turn — keeps pushing,
 * kills -9 consolidation while a broker is down and restarts it, and brings the broker back. Nobody
 * restarts http-ingest: it must ride through the broker crashes by itself, refusing what it cannot
 * publish with a 503. Afterwards every citizen is in the master table exactly once.
 */
const endpoints = inject('endpoints');
const settings = loadSettings();
const KEY = `police-${randomBytes(20).toString('hex')}`;
const RECORDS = runs(1000, 5000);
const BATCH = 20;
const BROKER_KILLS = runs(2, 8);
const CONSOLIDATION_KILLS = runs(1, 4);
const random = rng(SEED + 11);

let cluster: Cluster | undefined;
let hub: TestHub | undefined;
let ingest: Awaited<ReturnType<TestHub['httpIngest']>>;
let consolidation: Awaited<ReturnType<TestHub['consolidation']>>;

beforeAll(async () => {
  cluster = await startCluster(settings, 3);
  hub = new TestHub({ ...endpoints, KAFKA_BROKERS: cluster.brokers.join(',') }, 'svcfail');
  await hub.createTopics(3, { replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
  consolidation = await hub.consolidation();
  ingest = await hub.httpIngest(KEY, `onestop-${randomBytes(20).toString('hex')}`, {
    IDEMPOTENCY_LEASE_SECONDS: '3',
    PUBLISH_TIMEOUT_MS: '15000',
  });
}, 480_000);

afterAll(async () => {
  // Processes, topics and databases first (the topics live on the cluster), then the cluster.
  await hub?.stop().catch(() => undefined);
  if (cluster) await destroyCluster(settings, cluster);
}, 180_000);

/** A distinct person per index: personal number 008 1 91/92 nnnnnn (Tuyên Quang). */
const pid = (i: number) => `00819${1 + (i % 2)}${String(i).padStart(6, '0')}`;
const citizen = (i: number) => ({
  recordId: `SVCF-${i}`,
  updatedAt: '2025-07-01T08:00:00+07:00',
  personalId: pid(i),
  fullName: `Lê Thị Thử ${['Hoa', 'Huệ', 'Lan', 'Liên', 'Mai', 'Thu'][i % 6] ?? 'Hoa'}`,
  dateOfBirth: '12/07/1991',
  sex: 'FEMALE',
});

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is not set (beforeAll failed?)`);
  return v;
}

/** Partition → leader node id of a topic, as the cluster reports it now. */
async function leaders(h: TestHub, topic: string): Promise<Map<number, number>> {
  const admin = h.kafka.raw.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Map((meta.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The KRaft quorum leader (the active controller) and its epoch, as the nodes last recorded them in
 * their quorum-state files (`<log.dirs>/__cluster_metadata-0/quorum-state`); the newest epoch wins.
 * kafkajs cannot ask for it: in KRaft mode a Metadata response names a random broker as "controller".
 */
function quorumLeader(c: Cluster): { id: number; epoch: number } | undefined {
  let best: { id: number; epoch: number } | undefined;
  for (const node of c.nodes) {
    try {
      const state = JSON.parse(
        readFileSync(join(node.dir, 'data', '__cluster_metadata-0', 'quorum-state'), 'utf8'),
      ) as { leaderId?: number; leaderEpoch?: number };
      const epoch = state.leaderEpoch ?? -1;
      if (typeof state.leaderId === 'number' && state.leaderId >= 0 && (!best || epoch > best.epoch))
        best = { id: state.leaderId, epoch };
    } catch {
      /* not written yet */
    }
  }
  return best;
}

/** Every partition of these topics has all three replicas in sync (a node that came back caught up). */
async function fullyReplicated(h: TestHub, topics: readonly string[]): Promise<void> {
  await eventually(
    async () => {
      const admin = h.kafka.raw.admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
        const lagging = meta.topics.flatMap((t) =>
          t.partitions.filter((p) => p.isr.length < 3).map((p) => `${t.name}/${p.partitionId}`),
        );
        return lagging.length === 0 ? true : undefined;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    { timeoutMs: 180_000, intervalMs: 1000, what: 'every replica back in sync' },
  );
}

describe('the services on a 3-node cluster: broker crashes together with process crashes (ARCHITECTURE §9.1, §9.3)', () => {
  it(`kill -9 of ${BROKER_KILLS} brokers (partition leader, controller) and of consolidation (${CONSOLIDATION_KILLS}×) while one is down loses and duplicates nothing`, async () => {
    const h = must(hub, 'hub');
    const c = must(cluster, 'cluster');
    const batches = Math.ceil(RECORDS / BATCH);
    // Seeded schedule: each broker kill in its own share of the run (early in it, so the outage and
    // the node's return fit), how long the node stays down (that long, or half a share of batches,
    // whichever comes first, and never fewer than minBatches), and in which outages consolidation is
    // killed, after how many batches.
    const share = batches / BROKER_KILLS;
    const maxOutageBatches = Math.max(6, Math.floor(share / 2));
    const plan = Array.from({ length: BROKER_KILLS }, (_, k) => ({
      at: Math.floor(k * share + 1 + random() * share * 0.3),
      role: k % 2 === 0 ? ('partition leader' as const) : ('controller' as const),
      downMs: 6000 + Math.floor(random() * 6000),
      minBatches: 3 + Math.floor(random() * 4),
      consolidationAfter: undefined as number | undefined,
    }));
    const order = plan.map((_, k) => k).sort(() => random() - 0.5);
    for (const k of order.slice(0, CONSOLIDATION_KILLS)) {
      const p = plan[k];
      if (p) p.consolidationAfter = 1 + Math.floor(random() * 2);
    }

    const push = newPushStats();
    const refused = new Map<string, number>();
    const refusals: PushAnswer[] = [];
    const kills: string[] = [];
    let consolidationKills = 0;
    let slowestAckMs = 0;
    const topics = [
      h.topics.obsCitizen,
      h.topics.masterCitizen,
      h.topics.dlqConsolidation,
      h.topics.status,
      '__consumer_offsets',
    ];
    const send = batchSender(ingest.url, KEY);
    let outage:
      | {
          node: ClusterNode;
          since: number;
          pushed: number;
          plan: (typeof plan)[number];
          consolidationKilled: boolean;
        }
      | undefined;
    let returning: Promise<void> | undefined;
    const bringBack = () => {
      if (!outage) return;
      const back = restartClusterNode(settings, c, outage.node);
      back.catch(() => undefined); // awaited below; keep it from being reported as unhandled meanwhile
      returning = back;
      outage = undefined;
    };
    const killConsolidation = async () => {
      consolidationKills++;
      // consolidation is consuming what earlier batches pushed: kill it mid-flight, restart it while
      // the broker is still down, and wait until it holds partitions again (/readyz).
      await kill9AndRestart(consolidation.proc, `${consolidation.url}/readyz`);
    };

    let next = 0;
    for (let b = 0; b < batches; b++) {
      const p = plan[next];
      if (!outage && p && b >= p.at) {
        if (returning) await returning;
        returning = undefined;
        // The node killed before caught up: a second crash now would leave partitions below min ISR.
        await fullyReplicated(h, topics);
        let victim: number | undefined;
        let why = '';
        const leaderBefore = quorumLeader(c);
        if (p.role === 'controller') {
          victim = leaderBefore?.id;
          why = `active controller (quorum epoch ${leaderBefore?.epoch ?? '?'})`;
        } else {
          const counts = new Map<number, number>();
          const ls = await leaders(h, h.topics.obsCitizen);
          for (const leader of ls.values()) counts.set(leader, (counts.get(leader) ?? 0) + 1);
          const most = Math.max(...counts.values());
          const top = [...counts].filter(([, n]) => n === most).map(([id]) => id);
          victim = top[Math.floor(random() * top.length)];
          why = `leading ${most}/${ls.size} observation partitions`;
        }
        const node = c.nodes.find((n) => n.id === victim);
        if (!node) throw new Error(`no node ${String(victim)} to kill (${p.role})`);
        const alsoController = p.role !== 'controller' && leaderBefore?.id === node.id;
        if (alsoController)
          why += `, also the active controller (quorum epoch ${leaderBefore?.epoch ?? '?'})`;
        await stopClusterNode(node, 'kill');
        if (p.role === 'controller' || alsoController) {
          // It really was the quorum leader: the survivors elect another one (a newer epoch).
          const after = await eventually(
            () => {
              const l = quorumLeader(c);
              return l && l.epoch > (leaderBefore?.epoch ?? -1) && l.id !== node.id ? l : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 200, what: `a new controller after node ${node.id}` },
          );
          why += ` → node ${after.id} elected (epoch ${after.epoch})`;
        }
        kills.push(`node ${node.id} ${why}, at batch ${b}`);
        outage = { node, since: Date.now(), pushed: 0, plan: p, consolidationKilled: false };
        next++;
      }
      if (
        outage &&
        outage.plan.consolidationAfter !== undefined &&
        !outage.consolidationKilled &&
        outage.pushed >= outage.plan.consolidationAfter
      ) {
        outage.consolidationKilled = true;
        await killConsolidation();
      }

      const records = Array.from({ length: Math.min(BATCH, RECORDS - b * BATCH) }, (_, j) =>
        citizen(b * BATCH + j),
      );
      const started = Date.now();
      await pushUntilAcknowledged({
        send: (key) => send(records, key),
        key: `svcf-${h.run}-${b}`,
        stats: push,
        label: `batch ${b}`,
        onRefused: (r) => {
          refusals.push(r);
          const what = `${r.status} ${r.body.error?.code ?? '(no code)'}`;
          refused.set(what, (refused.get(what) ?? 0) + 1);
        },
      });
      slowestAckMs = Math.max(slowestAckMs, Date.now() - started);

      if (outage) {
        outage.pushed++;
        const due =
          outage.pushed >= outage.plan.minBatches &&
          (Date.now() - outage.since >= outage.plan.downMs || outage.pushed >= maxOutageBatches) &&
          (outage.plan.consolidationAfter === undefined || outage.consolidationKilled);
        if (due) bringBack(); // it comes back while the sender goes on
      }
    }
    // The load may end before an outage did.
    if (outage && outage.plan.consolidationAfter !== undefined && !outage.consolidationKilled) {
      outage.consolidationKilled = true;
      await killConsolidation();
    }
    bringBack();
    if (returning) await returning;
    await fullyReplicated(h, topics);

    // http-ingest rode through on its own: the same process, still serving.
    expect(ingest.proc.alive(), `http-ingest exited:\n${ingest.proc.log().slice(-3000)}`).toBe(true);
    expect(ingest.proc.starts, 'http-ingest was never restarted').toBe(1);
    expect(
      consolidation.proc.alive(),
      `consolidation exited:\n${consolidation.proc.log().slice(-3000)}`,
    ).toBe(true);
    expect(consolidation.proc.starts).toBe(1 + consolidationKills);
    expect(kills).toHaveLength(BROKER_KILLS);
    expect(consolidationKills).toBe(CONSOLIDATION_KILLS);
    // What could not be published was refused clearly (503, a code, Retry-After), never a 500, a
    // 4xx or a request left without an answer.
    expect(
      refusals.filter((r) => !(r.status === 503 && r.body.error?.code && Number.isFinite(r.retryAfter))),
      `refusals: ${JSON.stringify([...refused])}`,
    ).toEqual([]);
    expect(push.leaseWaits + push.stuckKeys).toBe(0);

    // Reconcile: every citizen exactly once in the master table (nothing lost, nothing duplicated).
    const db = new pg.Client({ connectionString: consolidation.dbUrl });
    await db.connect();
    try {
      const ids = Array.from({ length: RECORDS }, (_, i) => pid(i));
      const counts = await eventually(
        async () => {
          const { rows } = await db.query<{ active: string; total: string; distinct_ids: string }>(
            `select count(*) filter (where status = 'ACTIVE') as active, count(*) as total, count(distinct personal_id) as distinct_ids
               from citizens where personal_id = any($1)`,
            [ids],
          );
          const row = rows[0];
          return row && Number(row.distinct_ids) === RECORDS ? row : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 1000, what: `all ${RECORDS} citizens in the master table` },
      );
      expect(Number(counts.distinct_ids)).toBe(RECORDS);
      expect(Number(counts.total), 'master rows (a duplicate master would show here, even merged)').toBe(
        RECORDS,
      );
      expect(Number(counts.active)).toBe(RECORDS);
      const { rows: src } = await db.query<{ n: string }>(
        `select count(*) as n from source_records where source_system = 'police-residence' and source_record_id like 'SVCF-%'`,
      );
      expect(Number(src[0]?.n)).toBe(RECORDS);
    } finally {
      await db.end();
    }
    // A broker crash is an outage, never bad data: nothing in consolidation's dead letters.
    const { readTopic } = await import('@hub/connector-runtime/testing');
    const letters = await readTopic(h.kafka, h.topics.dlqConsolidation);
    expect(
      letters.map((m) => `${m.headers['hub-dlq-reason'] ?? '?'}: ${m.headers['hub-dlq-error'] ?? ''}`),
    ).toEqual([]);

    const refusedTotal = refusals.length;
    process.stdout.write(
      `services-failover${CHAOS ? ' (chaos)' : ''}: ${RECORDS} records in ${batches} batches, ${push.attempts} push attempts, ` +
        `${kills.length} broker kill -9 (${kills.join('; ')}), ${consolidationKills} consolidation kill -9 while a broker was down, ` +
        `${refusedTotal} pushes refused${refused.size ? ` (${[...refused].map(([k, n]) => `${n}× ${k}`).join(', ')})` : ''}, ` +
        `slowest acknowledged batch ${(slowestAckMs / 1000).toFixed(1)} s, http-ingest never restarted; 0 lost, 0 duplicated (seed ${SEED})\n`,
    );
  }, 1_500_000);

  // The bus itself unavailable: two of the three nodes down (the KRaft quorum lost too), so no write
  // can reach min.insync.replicas. http-ingest must answer 503 with Retry-After (its README: "Kafka
  // down → 503, nothing accepted, retry with the same Idempotency-Key") rather than hold the
  // department's request open, stay up, and deliver the batch once a node is back.
  it('answers 503 while the bus cannot acknowledge (2 of 3 nodes down) and delivers the batch once a node is back', async () => {
    const h = must(hub, 'hub');
    const c = must(cluster, 'cluster');
    const topics = [
      h.topics.obsCitizen,
      h.topics.masterCitizen,
      h.topics.dlqConsolidation,
      '__consumer_offsets',
    ];
    await fullyReplicated(h, topics);
    const first = RECORDS + 100;
    const records = Array.from({ length: BATCH }, (_, j) => citizen(first + j));
    const survivor = c.nodes[Math.floor(random() * c.nodes.length)];
    const down = c.nodes.filter((n) => n !== survivor);
    for (const n of down) await stopClusterNode(n, 'kill');
    const downAt = Date.now();
    const push = newPushStats();
    const refusals: { status: number; code: string; retryAfter: number; afterMs: number }[] = [];
    let acknowledged = false;
    const sending = pushUntilAcknowledged({
      send: (key) => batchSender(ingest.url, KEY)(records, key),
      key: `svcf-${h.run}-down`,
      stats: push,
      label: 'the batch pushed while the bus was down',
      retryDelayMs: 500,
      onRefused: (r) =>
        refusals.push({
          status: r.status,
          code: r.body.error?.code ?? '(none)',
          retryAfter: r.retryAfter,
          afterMs: Date.now() - downAt,
        }),
    }).then((r) => {
      acknowledged = true;
      return r;
    });
    sending.catch(() => undefined);
    // Two refusals (or a hang bound) before a node comes back.
    await eventually(() => (refusals.length >= 2 || acknowledged ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: 'two answers to the pushes while the bus is down',
    }).catch(() => undefined);
    const [firstBack, secondBack] = down;
    if (!firstBack || !secondBack) throw new Error('expected two nodes down');
    const backA = restartClusterNode(settings, c, firstBack); // resolves once all three are up
    backA.catch(() => undefined);
    await sending; // a quorum and two in-sync replicas again: acknowledged
    const backB = restartClusterNode(settings, c, secondBack);
    await Promise.all([backA, backB]);
    await fullyReplicated(h, topics);

    expect(ingest.proc.alive(), `http-ingest exited:\n${ingest.proc.log().slice(-3000)}`).toBe(true);
    expect(ingest.proc.starts, 'http-ingest was never restarted').toBe(1);
    expect(refusals.length, 'pushes answered while the bus was down').toBeGreaterThan(0);
    expect(
      refusals.filter((r) => !(r.status === 503 && r.code !== '(none)' && Number.isFinite(r.retryAfter))),
      'every push the bus could not acknowledge is refused with 503 and Retry-After, not left without an answer',
    ).toEqual([]);

    const db = new pg.Client({ connectionString: consolidation.dbUrl });
    await db.connect();
    try {
      const ids = records.map((r) => r.personalId);
      const row = await eventually(
        async () => {
          const { rows } = await db.query<{ total: string; distinct_ids: string }>(
            `select count(*) as total, count(distinct personal_id) as distinct_ids from citizens where personal_id = any($1)`,
            [ids],
          );
          return rows[0] && Number(rows[0].distinct_ids) === ids.length ? rows[0] : undefined;
        },
        {
          timeoutMs: 300_000,
          intervalMs: 1000,
          what: 'the batch pushed while the bus was down, in the master table',
        },
      );
      expect(Number(row.total)).toBe(ids.length);
      const { rows: src } = await db.query<{ n: string }>(
        `select count(*) as n from source_records where source_system = 'police-residence' and source_record_id = any($1)`,
        [records.map((r) => r.recordId)],
      );
      expect(Number(src[0]?.n)).toBe(ids.length);
    } finally {
      await db.end();
    }
    expect(consolidation.proc.alive()).toBe(true);
    process.stdout.write(
      `services-failover, bus down: nodes ${down.map((n) => n.id).join(' and ')} killed (node ${survivor?.id ?? '?'} alone, no quorum), ` +
        `${refusals.length} pushes refused (${refusals.map((r) => `${r.status} ${r.code} Retry-After ${r.retryAfter} after ${(r.afterMs / 1000).toFixed(1)} s`).join('; ')}), ` +
        `${push.attempts} attempts, acknowledged once a node was back; ${BATCH} records, 0 lost, 0 duplicated\n`,
    );
  }, 900_000);

  it('leaks no key, token or personal number into the logs of these processes', () => {
    assertNoLeaks(must(hub, 'hub').procs.map((p) => p.logFile));
  });
});
