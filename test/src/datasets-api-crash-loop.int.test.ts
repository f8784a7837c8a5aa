import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Publisher, SchemaRegistry, TombstoneWriter } from '@hub/kafka';
import { catalog, type CitizenGoldenInput } from '@hub/schemas';
import { eventually } from '@hub/testing';
import { TestHub } from './support/hub.js';
import { CHAOS, SEED, runs } from './support/hostile.js';
import { assertNoLeaks } from './support/leaks.js';
import { rng } from './support/rng.js';
import { kill9AndRestart, waitReady } from './support/stack.js';

/**
 * ARCHITECTURE §9.1 and §9.3 for the datasets API (issue 11): the real process (`dist/main.js`,
 * consumer enabled, its own database and master topics) consumes golden citizen records published
 * while it runs — new records, newer versions, merges (the survivor naming the absorbed record in
 * `mergedFrom`, and the absorbed record's tombstone with its `hub-master-version` header, in either
 * order, as consolidation's outbox may deliver them on two partitions), plain deletions (tombstones)
 * and re-deliveries of the same version — and is killed -9 at seeded random points and restarted.
 * Afterwards the read model and the API answer every record as it was last published, merged-away
 * ids answer 301 to their survivor, and a feed reader that kept only its cursor across the restarts
 * has seen every applied change exactly once: no gap, no duplicate.
 */
const endpoints = inject('endpoints');
const hub = new TestHub(endpoints, 'dscrash');
const RECORDS = runs(300, 3000);
const KILLS = runs(4, 30);
const CHUNK = 20;
const random = rng(SEED);

let api: Awaited<ReturnType<TestHub['datasetsApi']>>;
let key: string;

beforeAll(async () => {
  await hub.createTopics(3);
  // Small read-model batches: a kill lands between two transactions, or inside one, more often.
  api = await hub.datasetsApi(
    '',
    { mirror: ['citizen.identity'] },
    { BATCH_MAX_MESSAGES: '25', PAGE_SIZE_MAX: '200' },
  );
  key = api.keys.mirror ?? '';
  await waitReady(api.proc, `${api.url}/readyz`);
}, 300_000);

afterAll(async () => {
  await hub.stop();
}, 120_000);

type Event =
  | { readonly kind: 'value'; readonly value: CitizenGoldenInput }
  | { readonly kind: 'tombstone'; readonly masterId: string; readonly version: number };

interface Expected {
  version: number;
  state: 'LIVE' | 'DELETED' | 'MERGED';
  mergedInto: string | null;
  fullName: string;
  /** Ids this record absorbed (its golden record's mergedFrom). */
  mergedFrom: string[];
}

const T0 = Date.UTC(2025, 7, 1, 8, 0, 0);
const masterId = (i: number) => `dsc-${i}`;
const golden = (i: number, version: number, mergedFrom: string[]): CitizenGoldenInput => ({
  eventId: `${masterId(i)}:${version}`,
  occurredAt: T0 + i * 60_000 + version * 1000,
  change: version === 1 ? 'CREATED' : 'UPDATED',
  personalId: `00818${5 + (i % 2)}${String(i).padStart(6, '0')}`,
  aliases: [],
  fullName: `Nguyễn Văn Thử ${i} bản ${version}`,
  dateOfBirth: { year: 1985, month: 3, day: 12, precision: 'DAY' },
  sex: 'MALE',
  ethnicity: 'Kinh',
  nationality: 'VN',
  permanentAddress: {
    provinceCode: '08',
    communeCode: '02215',
    currentCommuneCodes: ['02215'],
    detail: 'Tổ 5',
    text: 'Tổ 5, phường Minh Xuân',
  },
  currentAddress: null,
  deceased: false,
  sources: [{ system: 'population', recordId: `pop-${i}` }],
  mergedFrom,
  masterId: masterId(i),
  version,
});

/** The seeded stream of master-topic messages and the state each record must end in. */
function stream(): { events: Event[]; expected: Map<string, Expected>; counts: Record<string, number> } {
  const events: Event[] = [];
  const expected = new Map<string, Expected>();
  const index = new Map<string, number>();
  const counts = { created: 0, updated: 0, redelivered: 0, merged: 0, deleted: 0 };
  const live = () => [...expected].filter(([, e]) => e.state === 'LIVE').map(([id]) => id);
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
  const publishVersion = (id: string, e: Expected) => {
    const v = golden(index.get(id) ?? 0, e.version, [...e.mergedFrom].sort());
    e.fullName = v.fullName ?? '';
    events.push({ kind: 'value', value: v });
  };
  let next = 0;
  while (next < RECORDS) {
    const r = random();
    const alive = live();
    if (r < 0.55 || alive.length < 10) {
      const id = masterId(next);
      index.set(id, next++);
      const e: Expected = { version: 1, state: 'LIVE', mergedInto: null, fullName: '', mergedFrom: [] };
      expected.set(id, e);
      publishVersion(id, e);
      counts.created++;
    } else if (r < 0.8) {
      const id = pick(alive) ?? '';
      const e = expected.get(id) as Expected;
      e.version++;
      publishVersion(id, e);
      counts.updated++;
    } else if (r < 0.9) {
      // A re-delivery of the current version (a relay resending after its own crash).
      const id = pick(alive) ?? '';
      const e = expected.get(id) as Expected;
      events.push({ kind: 'value', value: golden(index.get(id) ?? 0, e.version, [...e.mergedFrom].sort()) });
      counts.redelivered++;
    } else if (r < 0.97) {
      // A merge: a live record that never absorbed another is absorbed into another live record.
      const survivorId = pick(alive) ?? '';
      const absorbedId = pick(
        alive.filter((id) => id !== survivorId && expected.get(id)?.mergedFrom.length === 0),
      );
      if (absorbedId === undefined) continue;
      const s = expected.get(survivorId) as Expected;
      const a = expected.get(absorbedId) as Expected;
      a.version++; // the version the tombstone ends, as consolidation numbers it
      a.state = 'MERGED';
      a.mergedInto = survivorId;
      s.mergedFrom.push(absorbedId);
      s.version++;
      const tombstone: Event = { kind: 'tombstone', masterId: absorbedId, version: a.version };
      // Consolidation's outbox writes the tombstone first; on two partitions either may be consumed first.
      const tombstoneFirst = random() < 0.5;
      if (tombstoneFirst) events.push(tombstone);
      publishVersion(survivorId, s);
      if (!tombstoneFirst) events.push(tombstone);
      if (random() < 0.2) events.push(tombstone); // re-delivered tombstone
      counts.merged++;
    } else {
      const id = pick(alive.filter((x) => expected.get(x)?.mergedFrom.length === 0)) ?? '';
      const e = expected.get(id);
      if (!e) continue;
      e.version++;
      e.state = 'DELETED';
      events.push({ kind: 'tombstone', masterId: id, version: e.version });
      counts.deleted++;
    }
  }
  return { events, expected, counts };
}

interface FeedItem {
  masterId: string;
  version: number;
  change: string;
  mergedInto: string | null;
}
const feedKey = (f: FeedItem) =>
  `${f.masterId}@${f.version}:${f.change}${f.mergedInto ? `>${f.mergedInto}` : ''}`;

/** A downstream mirror: it keeps only its cursor, and reads on across the API's restarts. */
class FeedReader {
  readonly items: FeedItem[] = [];
  cursor: string | undefined;
  pages = 0;
  async readAll(url: string): Promise<void> {
    for (;;) {
      const res = await fetch(
        `${url}/feeds/citizen?limit=200${this.cursor ? `&cursor=${this.cursor}` : ''}`,
        {
          headers: { authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(30_000),
        },
      );
      if (res.status !== 200) throw new Error(`feed answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { items: FeedItem[]; nextCursor: string | null; hasMore: boolean };
      this.pages++;
      this.items.push(...body.items);
      this.cursor = body.nextCursor ?? this.cursor;
      if (!body.hasMore) return;
    }
  }
}

describe('crash loop of the datasets API (ARCHITECTURE §9.1, §9.3)', () => {
  it(`kill -9 of the datasets API (${KILLS}×) at seeded points while golden records arrive: read model and change feed exact`, async () => {
    const { events, expected, counts } = stream();
    const cat = catalog();
    const publisher = new Publisher({
      kafka: hub.kafka,
      registry: new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL),
      registerSchemas: true,
      outputs: { citizen: { topic: hub.topics.masterCitizen, schema: cat.forTopic('master.citizen') } },
    });
    const tombstones = new TombstoneWriter(hub.kafka);
    await publisher.start();
    await tombstones.start();
    const reader = new FeedReader();
    const chunks = Math.ceil(events.length / CHUNK);
    // Seeded schedule: after which chunk each kill happens, and how long after that chunk was published.
    const killAt = new Map<number, number>();
    while (killAt.size < Math.min(KILLS, chunks))
      killAt.set(Math.floor(random() * chunks), Math.floor(random() * 1500));
    let kills = 0;
    try {
      for (let c = 0; c < chunks; c++) {
        for (const e of events.slice(c * CHUNK, (c + 1) * CHUNK)) {
          if (e.kind === 'value') await publisher.publish('citizen', e.value, { key: e.value.masterId });
          else
            await tombstones.write(hub.topics.masterCitizen, [
              { key: e.masterId, headers: { 'hub-master-version': String(e.version) } },
            ]);
        }
        const delay = killAt.get(c);
        if (delay === undefined) continue;
        // The consumer is applying what was just published: kill it mid-flight, restart, read the feed on.
        await new Promise((r) => setTimeout(r, delay));
        await kill9AndRestart(api.proc, `${api.url}/readyz`);
        kills++;
        await reader.readAll(api.url);
      }
    } finally {
      await publisher.stop();
      await tombstones.stop();
    }

    // Caught up: the offsets stored with the read model reach the end of every partition.
    const db = new pg.Client({ connectionString: api.proc.env.DATABASE_URL });
    await db.connect();
    try {
      const admin = hub.kafka.raw.admin();
      await admin.connect();
      let dlqMessages: number;
      try {
        const ends = await admin.fetchTopicOffsets(hub.topics.masterCitizen);
        await eventually(
          async () => {
            const { rows } = await db.query<{ partition: number; next_offset: string }>(
              `select partition, next_offset from consumer_offsets where group_id = $1 and topic = $2`,
              [api.proc.env.CONSUMER_GROUP, hub.topics.masterCitizen],
            );
            const stored = new Map(rows.map((r) => [Number(r.partition), BigInt(r.next_offset)]));
            return ends.every((e) => (stored.get(e.partition) ?? 0n) >= BigInt(e.high)) ? true : undefined;
          },
          { timeoutMs: 300_000, intervalMs: 500, what: 'the datasets API caught up with the master topic' },
        );
        const dlq = await admin.fetchTopicOffsets(hub.topics.dlqDatasets);
        dlqMessages = dlq.reduce((n, p) => n + Number(p.high), 0);
      } finally {
        await admin.disconnect();
      }
      // Tombstones are parked for their batch, not dead-lettered: nothing reached the dead-letter topic.
      expect(dlqMessages, 'messages in the dead-letter topic').toBe(0);
      expect(api.proc.alive()).toBe(true);
      await reader.readAll(api.url);

      // 1. The read model: every record in its last published state.
      const { rows } = await db.query<{
        master_id: string;
        version: string;
        state: string;
        merged_into: string | null;
        full_name: string | null;
      }>(`select master_id, version, state, merged_into, record->>'fullName' as full_name from citizens`);
      const actual = new Map(rows.map((r) => [r.master_id, r]));
      expect(actual.size).toBe(expected.size);
      const wrong: string[] = [];
      for (const [id, e] of expected) {
        const r = actual.get(id);
        const ok =
          r !== undefined &&
          r.state === e.state &&
          (e.state === 'LIVE'
            ? Number(r.version) === e.version && r.full_name === e.fullName && r.merged_into === null
            : e.state === 'DELETED'
              ? Number(r.version) === e.version && r.merged_into === null
              : r.merged_into === e.mergedInto &&
                Number(r.version) >= e.version - 1 &&
                Number(r.version) <= e.version);
        if (!ok) wrong.push(`${id}: expected ${JSON.stringify(e)}, stored ${JSON.stringify(r)}`);
      }
      expect(wrong.slice(0, 20), `${wrong.length} records not in their last published state`).toEqual([]);

      // 2. The API answers the same: 200 with the last version, 301 to the survivor, 410 when deleted.
      const ids = [...expected.keys()];
      const answers: string[] = [];
      for (let i = 0; i < ids.length; i += 8) {
        await Promise.all(
          ids.slice(i, i + 8).map(async (id) => {
            const e = expected.get(id) as Expected;
            const res = await fetch(`${api.url}/citizens/${id}`, {
              headers: { authorization: `Bearer ${key}` },
              redirect: 'manual',
              signal: AbortSignal.timeout(30_000),
            });
            const body = (await res.json()) as { version?: number; fullName?: string; mergedInto?: string };
            const ok =
              e.state === 'LIVE'
                ? res.status === 200 && body.version === e.version && body.fullName === e.fullName
                : e.state === 'MERGED'
                  ? res.status === 301 && body.mergedInto === e.mergedInto
                  : res.status === 410;
            if (!ok) answers.push(`${id}: ${res.status} ${JSON.stringify(body)} for ${e.state}`);
          }),
        );
      }
      expect(answers.slice(0, 20), `${answers.length} wrong answers`).toEqual([]);

      // 3. The feed the reader saw across the restarts is the change table, entry for entry.
      const { rows: changes } = await db.query<{
        master_id: string;
        version: string;
        change: string;
        merged_into: string | null;
      }>(
        `select master_id, version, change, merged_into from changes where dataset = 'citizen' order by seq`,
      );
      expect(reader.items.map(feedKey)).toEqual(
        changes.map((c) =>
          feedKey({
            masterId: c.master_id,
            version: Number(c.version),
            change: c.change,
            mergedInto: c.merged_into,
          }),
        ),
      );

      // 4. …and holds exactly one entry per applied change: every published version once, every
      // deletion once, every merge ending in the survivor; nothing twice, nothing unknown.
      const seen = new Set<string>();
      const dup = reader.items.map(feedKey).filter((k) => seen.has(k) || !seen.add(k));
      expect(dup, 'feed entries seen twice').toEqual([]);
      const byId = new Map<string, FeedItem[]>();
      for (const f of reader.items) byId.set(f.masterId, [...(byId.get(f.masterId) ?? []), f]);
      expect(
        [...byId.keys()].filter((id) => !expected.has(id)),
        'feed entries of unknown records',
      ).toEqual([]);
      const published = new Map<string, Set<number>>();
      for (const ev of events)
        if (ev.kind === 'value')
          published.set(
            ev.value.masterId,
            (published.get(ev.value.masterId) ?? new Set()).add(ev.value.version),
          );
      const feedWrong: string[] = [];
      const mergePatterns = { survivorFirst: 0, tombstoneFirst: 0, reordered: 0 };
      for (const [id, e] of expected) {
        const mine = byId.get(id) ?? [];
        const values = mine.filter((f) => f.change !== 'DELETED').map((f) => f.version);
        const want = [...(published.get(id) ?? [])].sort((a, b) => a - b);
        const ends = mine.filter((f) => f.change === 'DELETED');
        const last = mine[mine.length - 1];
        let ok = JSON.stringify(values) === JSON.stringify(want);
        if (e.state === 'LIVE') ok &&= ends.length === 0;
        if (e.state === 'DELETED')
          ok &&= ends.length === 1 && feedKey(last as FeedItem) === `${id}@${e.version}:DELETED`;
        if (e.state === 'MERGED') {
          // Survivor first: one entry, merged at the last live version. Tombstone first: deleted at
          // the tombstone's version, then upgraded to merged. A survivor applied before the absorbed
          // record's own last versions (other partition) merges it, the version revives it, and the
          // tombstone merges it again: one merge entry per version, the last one merged.
          ok &&=
            last?.change === 'DELETED' &&
            last.mergedInto === e.mergedInto &&
            ends.every(
              (f) => f.mergedInto === e.mergedInto || (f.mergedInto === null && f.version === e.version),
            );
          const shape = ends.map((f) => feedKey(f)).join(' ');
          if (shape === `${id}@${e.version - 1}:DELETED>${e.mergedInto}`) mergePatterns.survivorFirst++;
          else if (shape === `${id}@${e.version}:DELETED ${id}@${e.version}:DELETED>${e.mergedInto}`)
            mergePatterns.tombstoneFirst++;
          else mergePatterns.reordered++;
        }
        for (let i = 1; i < mine.length; i++) ok &&= (mine[i]?.version ?? 0) >= (mine[i - 1]?.version ?? 0);
        if (!ok) feedWrong.push(`${id} (${e.state}): ${mine.map(feedKey).join(' ')}`);
      }
      expect(feedWrong.slice(0, 20), `${feedWrong.length} records with a wrong feed history`).toEqual([]);
      expect(kills).toBe(Math.min(KILLS, chunks));

      process.stdout.write(
        `datasets-api crash loop${CHAOS ? ' (chaos)' : ''}: ${expected.size} records, ${events.length} messages ` +
          `(${counts.updated} new versions, ${counts.redelivered} re-deliveries, ${counts.merged} merges, ${counts.deleted} deletions), ` +
          `${kills} kill -9, ${reader.items.length} feed entries checked in ${reader.pages} pages read across the restarts ` +
          `(merges seen survivor first ${mergePatterns.survivorFirst}, tombstone first ${mergePatterns.tombstoneFirst}, reordered ${mergePatterns.reordered}); ` +
          `0 lost, 0 duplicated (seed ${SEED})\n`,
      );
    } finally {
      await db.end();
    }
  }, 1_500_000);

  it('leaks no key or personal number into the logs of these processes', () => {
    assertNoLeaks(hub.procs.map((p) => p.logFile));
  });

  it('does not report the tombstones it applies as dead letters (no false alarm for operators)', () => {
    for (const p of hub.procs) {
      const log = readFileSync(p.logFile, 'utf8');
      expect(log).not.toContain('message_dead_lettered');
    }
  });
});
