/**
 * Races between instances of one consumer group, forced instead of hoped for (the scale-out system
 * test meets them only by chance). Transaction 1 stops just before its COMMIT (the handler's
 * `beforeCommit` seam); transaction 2 runs against it until it either waits for one of transaction
 * 1's locks (seen in `pg_stat_activity`: `pg_blocking_pids` names the stopped backend) or finishes;
 * then transaction 1 commits and transaction 2 goes on. The tables must then be what the same
 * batches give one after the other, on a fresh database. Each case ran wrong before commit b035191:
 *
 * (a) a link (a dossier's applicant, a business's representative) written at the same moment as the
 *     personal number it targets stayed pending for good — each transaction missed the other's row;
 *     now both hold the identifier's advisory lock (`lockKeys`, `lockIdentifiers`);
 * (b) a record matched probabilistically against (or bridged to) a master that a concurrent merge
 *     was absorbing ended in a master of its own, a duplicate of the survivor, or under the absorbed
 *     id — now the candidate is locked before joining and ranked again when merged away, and a record
 *     whose own master was merged away meanwhile rolls its batch back (`MergedMeanwhileError`, retried);
 * (c) a link written while its target's master was being merged away kept the absorbed id — now the
 *     merge locks the absorbed masters' identifiers before reading the links to them.
 *
 * The last case is the price of (c): a merge (master rows, then the absorbed identifiers) and a batch
 * holding one of those identifiers (identifier, then that master's row) take the same locks in
 * opposite orders. There a third party, the test, stops the batch between its advisory locks and its
 * master rows; PostgreSQL breaks the deadlock and the consumer's retry ends as if one after the other.
 *
 * Every case runs with both stores: the set-based batch store (production) and the
 * statement-by-statement store (steward operations, the reference).
 */
import type { Knex } from 'knex';
import type { CitizenObserved } from '@hub/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMessage, isAppError } from '@hub/errors';
import { classifyHandlerError, type ConsumedBatch } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { eventually } from '@hub/testing';
import { createObservationHandler } from './consumers/observations.consumer.js';
import { Consolidator, lockKeys } from './domain/consolidator.js';
import { ENTITY_TYPES, identifierLock, type EntityType, type Observation } from './domain/types.js';
import { lockId } from './db/tables.js';
import {
  aBusinessObserved,
  aCitizenObserved,
  aDossierObserved,
  address,
  day,
} from './fixtures.test-support.js';
import { batchOf, TEST_AUTHORITIES, TEST_MATCHING } from './handler.test-support.js';
import { createTestDatabase } from './int-harness.test-support.js';
import { KINDS } from './kinds.js';
import { createMetrics } from './metrics.js';

type Mode = 'batch' | 'per-statement';

/** Bound of every wait below (a deadline against hangs, not a timing assumption). */
const DEADLINE_MS = 30_000;

/**
 * One consolidation instance: the consumer's batch handler with its own master ids (`one-001`, …)
 * and its own topics (so two instances never share a partition's offset row), and a hold before COMMIT.
 */
class Instance {
  /** Failures the consumer retried (transient ones: what the batch consumer retries), by code. */
  readonly retried: string[] = [];
  private readonly handle: (batch: ConsumedBatch<Observation>) => Promise<void>;
  private readonly offsets = new Map<string, number>();
  private hold: { readonly reached: () => void; readonly gate: Promise<void> } | undefined;

  constructor(
    db: Knex,
    private readonly name: string,
    mode: Mode,
  ) {
    let n = 0;
    this.handle = createObservationHandler({
      db,
      consolidator: new Consolidator({
        kinds: KINDS,
        authorities: TEST_AUTHORITIES,
        matching: TEST_MATCHING,
        newId: () => `${name}-${String(++n).padStart(3, '0')}`,
      }),
      kinds: KINDS,
      groupId: 'races',
      topicTypes: new Map(ENTITY_TYPES.map((t) => [this.topic(t), t])),
      metrics: createMetrics(),
      logger: silentLogger(),
      mode,
      beforeCommit: async () => {
        const hold = this.hold;
        this.hold = undefined;
        if (!hold) return;
        hold.reached();
        await hold.gate;
      },
    });
  }

  private topic(type: EntityType): string {
    return `obs.${type}.${this.name}`;
  }

  /** One batch, as the batch consumer handles it: a transient failure rolls back and is retried. */
  async consume(type: EntityType, ...values: Observation[]): Promise<void> {
    const topic = this.topic(type);
    const at = this.offsets.get(topic) ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handle(batchOf(topic, values, at));
        break;
      } catch (e) {
        if (attempt >= 5 || classifyHandlerError(e).kind !== 'transient') throw e;
        const code = (e as { code?: unknown }).code;
        this.retried.push(isAppError(e) || typeof code === 'string' ? String(code) : errorMessage(e));
      }
    }
    this.offsets.set(topic, at + values.length);
  }

  /** The next transaction of this instance stops before COMMIT until `release`. */
  holdNextCommit(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const stopped = new Promise<void>((r) => (reached = r));
    this.hold = { reached, gate };
    return { reached: stopped, release };
  }
}

/** How transaction 2 met the stopped transaction 1. */
type Meeting = { readonly second: 'waited'; readonly on: string } | { readonly second: 'finished' };

const rowsOf = async <T>(db: Knex, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<T[]> =>
  (await db.raw<{ rows: T[] }>(sql, bindings)).rows;

/**
 * `first` on the instance `held` runs up to just before its COMMIT and stops there; then `second`
 * runs until it waits for a lock of the stopped transaction or has finished (polled, bounded); then
 * the first commits, and both are awaited. Returns how they met.
 */
async function interleave(
  db: Knex,
  held: Instance,
  first: () => Promise<void>,
  second: () => Promise<void>,
): Promise<Meeting> {
  const hold = held.holdNextCommit();
  const t1 = first();
  const t1Ended = t1.then(
    () => ({ error: new Error('transaction 1 committed without stopping before COMMIT') }),
    (e: unknown) => ({ error: e }),
  );
  const stop = await Promise.race([hold.reached.then(() => 'stopped' as const), t1Ended]);
  if (stop !== 'stopped') throw stop.error;
  // The stopped transaction: the only backend of this test's database idle inside a transaction.
  const paused = await eventually(
    async () => {
      const idle = await rowsOf<{ pid: number }>(
        db,
        `select pid from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`,
      );
      return idle.length === 1 ? idle[0]?.pid : undefined;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 10, what: 'transaction 1 idle before COMMIT' },
  );
  let finished = false;
  const t2 = second().finally(() => {
    finished = true;
  });
  const t2Ended = t2.then(
    () => undefined,
    () => undefined,
  );
  let meeting: Meeting;
  try {
    // Blocked by the stopped backend (lock manager) and showing it (its activity row): the two are
    // read at slightly different moments, so a backend that has just started waiting may show
    // only the first; it is polled again.
    meeting = await eventually<Meeting>(
      async () => {
        const waiting = await rowsOf<{ wait_event_type: string; wait_event: string }>(
          db,
          `select wait_event_type, wait_event from pg_stat_activity
            where datname = current_database() and ?::int = any(pg_blocking_pids(pid))
            and wait_event_type = 'Lock'`,
          [paused],
        );
        const w = waiting[0];
        if (w) return { second: 'waited', on: `${w.wait_event_type}:${w.wait_event}` };
        return finished ? { second: 'finished' } : undefined;
      },
      { timeoutMs: DEADLINE_MS, intervalMs: 10, what: 'transaction 2 to wait for transaction 1 or finish' },
    );
    if (meeting.second === 'waited') expect(finished).toBe(false); // still waiting: transaction 1 holds on
  } finally {
    // Also on failure: a transaction left stopped would keep its connection (and the drop) waiting.
    hold.release();
  }
  await Promise.all([t1, t2, t2Ended]);
  return meeting;
}

/** The backend waiting for a lock `pid` holds, once there is one (polled, bounded), and on what. */
async function waiterOf(db: Knex, pid: number, what: string): Promise<{ pid: number; on: string }> {
  return eventually(
    async () => {
      const [w] = await rowsOf<{ pid: number; wait_event_type: string; wait_event: string }>(
        db,
        `select pid, wait_event_type, wait_event from pg_stat_activity
          where datname = current_database() and ?::int = any(pg_blocking_pids(pid))
            and wait_event_type = 'Lock'`,
        [pid],
      );
      return w ? { pid: w.pid, on: `${w.wait_event_type}:${w.wait_event}` } : undefined;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 10, what },
  );
}

/**
 * What the tables say, independent of master ids: a master is named by its smallest source record
 * (`citizen:population/a`), a reference to a merged-away id by `MERGED→<survivor>`, so a link or a
 * golden record left on an absorbed id shows as a difference.
 */
async function outcome(db: Knex): Promise<{
  masters: string[];
  identifiers: string[];
  links: string[];
  violations: string[];
}> {
  const masters = await rowsOf<{
    t: EntityType;
    master_id: string;
    status: string;
    merged_into: string | null;
    golden: Record<string, unknown> | null;
  }>(
    db,
    `select 'citizen' as t, master_id, status, merged_into, golden from citizens
     union all select 'business', master_id, status, merged_into, golden from businesses
     union all select 'dossier', master_id, status, merged_into, golden from dossiers`,
  );
  const records = await rowsOf<{
    entity_type: EntityType;
    source_system: string;
    source_record_id: string;
    master_id: string;
    deleted: boolean;
  }>(db, `select entity_type, source_system, source_record_id, master_id, deleted from source_records`);
  const byId = new Map(masters.map((m) => [`${m.t}:${m.master_id}`, m]));
  const cluster = new Map<string, string[]>();
  for (const r of records) {
    const k = `${r.entity_type}:${r.master_id}`;
    cluster.set(k, [
      ...(cluster.get(k) ?? []),
      `${r.source_system}/${r.source_record_id}${r.deleted ? ' (deleted)' : ''}`,
    ]);
  }
  for (const c of cluster.values()) c.sort();
  const nameOf = (t: EntityType, id: string): string =>
    `${t}:${cluster.get(`${t}:${id}`)?.[0]?.split(' ')[0] ?? '(no source record)'}`;
  const label = (t: EntityType, id: string | null): string | null => {
    if (id === null) return null;
    let cur = byId.get(`${t}:${id}`);
    let hops = 0;
    for (; cur?.status === 'MERGED' && hops < 100; hops++) cur = byId.get(`${t}:${cur.merged_into ?? ''}`);
    if (!cur) return `${t}:(unknown master ${id})`;
    return hops > 0 ? `MERGED→${nameOf(t, cur.master_id)}` : nameOf(t, cur.master_id);
  };
  const violations: string[] = [];
  const out = { masters: [] as string[], identifiers: [] as string[], links: [] as string[] };
  for (const m of masters) {
    const key = `${m.t}:${m.master_id}`;
    if (m.status === 'MERGED') {
      if (cluster.has(key))
        violations.push(`${key} is merged away but holds ${cluster.get(key)?.join(', ')}`);
      continue;
    }
    const golden: Record<string, unknown> = { ...(m.golden ?? {}) };
    delete golden.mergedFrom;
    for (const [f, target] of [
      ['representativeMasterId', 'citizen'],
      ['parentMasterId', 'business'],
      ['applicantMasterId', golden.applicantKind === 'BUSINESS' ? 'business' : 'citizen'],
    ] as const)
      if (typeof golden[f] === 'string') golden[f] = label(target, golden[f]);
    out.masters.push(
      JSON.stringify({
        master: nameOf(m.t, m.master_id),
        status: m.status,
        records: cluster.get(key),
        golden,
      }),
    );
  }
  for (const i of await rowsOf<{
    entity_type: EntityType;
    scheme: string;
    value: string;
    master_id: string;
    is_primary: boolean;
  }>(db, `select entity_type, scheme, value, master_id, is_primary from identifier_aliases`))
    out.identifiers.push(
      `${label(i.entity_type, i.master_id)} ${i.scheme}:${i.value}${i.is_primary ? ' (primary)' : ''}`,
    );
  for (const l of await rowsOf<{
    from_type: EntityType;
    from_master_id: string;
    relation: string;
    target_type: EntityType;
    target_scheme: string;
    target_value: string;
    target_master_id: string | null;
  }>(db, `select * from links`))
    out.links.push(
      `${label(l.from_type, l.from_master_id)} ${l.relation} ${l.target_type} ${l.target_scheme}:${l.target_value} → ${label(l.target_type, l.target_master_id) ?? 'pending'}`,
    );
  const [stale] = await rowsOf<{ n: number }>(
    db,
    `select count(*)::int as n from links l join identifier_aliases a
       on a.entity_type = l.target_type and a.scheme = l.target_scheme and a.value = l.target_value
     where l.target_master_id is distinct from a.master_id`,
  );
  if (stale && stale.n > 0)
    violations.push(`${stale.n} links do not point at the master holding their target`);
  for (const v of Object.values(out)) v.sort();
  return { ...out, violations };
}

// A test's databases are dropped after it (their pools would otherwise keep connections open).
const databases: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
afterEach(async () => {
  const dropped = await Promise.allSettled(databases.splice(0).map((d) => d.drop()));
  for (const d of dropped) if (d.status === 'rejected') throw d.reason;
});

/**
 * The race on one database, the same batches one after the other (in transaction 1's commit order:
 * seed, first, second) on another, with two instances each. Returns how they met and the race's tables.
 */
async function race(
  mode: Mode,
  scenario: {
    readonly seed?: readonly { type: EntityType; values: Observation[] }[];
    readonly first: { type: EntityType; values: Observation[] };
    readonly second: { type: EntityType; values: Observation[] };
  },
): Promise<{
  meeting: Meeting;
  db: Knex;
  one: Instance;
  two: Instance;
  got: Awaited<ReturnType<typeof outcome>>;
  expected: Awaited<ReturnType<typeof outcome>>;
}> {
  const [raced, serial] = [await createTestDatabase(), await createTestDatabase()];
  databases.push(raced, serial);
  const run = async (db: Knex, concurrently: boolean) => {
    const [one, two] = [new Instance(db, 'one', mode), new Instance(db, 'two', mode)];
    for (const b of scenario.seed ?? []) await one.consume(b.type, ...b.values);
    const first = () => one.consume(scenario.first.type, ...scenario.first.values);
    const second = () => two.consume(scenario.second.type, ...scenario.second.values);
    let meeting: Meeting = { second: 'finished' };
    if (concurrently) meeting = await interleave(db, one, first, second);
    else {
      await first();
      await second();
    }
    return { one, two, meeting };
  };
  const { one, two, meeting } = await run(raced.db, true);
  await run(serial.db, false);
  return {
    meeting,
    db: raced.db,
    one,
    two,
    got: await outcome(raced.db),
    expected: await outcome(serial.db),
  };
}

const masterOf = async (db: Knex, type: EntityType, system: string, recordId: string): Promise<string> => {
  const [r] = await rowsOf<{ master_id: string }>(
    db,
    `select master_id from source_records where entity_type = ? and source_system = ? and source_record_id = ?`,
    [type, system, recordId],
  );
  if (!r) throw new Error(`no source record ${type} ${system}/${recordId}`);
  return r.master_id;
};

const linkOf = async (
  db: Knex,
  type: EntityType,
  masterId: string,
): Promise<{ relation: string; target_master_id: string | null }[]> =>
  rowsOf(db, `select relation, target_master_id from links where from_type = ? and from_master_id = ?`, [
    type,
    masterId,
  ]);

const goldenOf = async (db: Knex, table: string, masterId: string): Promise<Record<string, unknown>> => {
  const [r] = await rowsOf<{ golden: Record<string, unknown> }>(
    db,
    `select golden from ${table} where master_id = ?`,
    [masterId],
  );
  return r?.golden ?? {};
};

/** Which master each of these citizen records is under, named by `population/a`'s master: `survivor`. */
const placement = async (db: Knex, ...records: string[]): Promise<Record<string, string>> => {
  const survivor = await masterOf(db, 'citizen', 'population', 'a');
  const out: Record<string, string> = {};
  for (const r of records) {
    const [system = '', id = ''] = r.split('/');
    const m = await masterOf(db, 'citizen', system, id);
    out[r] = m === survivor ? 'survivor' : `${m} (not the survivor ${survivor})`;
  }
  return out;
};

const activeCitizens = async (db: Knex): Promise<number> =>
  (await rowsOf<{ n: number }>(db, `select count(*)::int as n from citizens where status = 'ACTIVE'`))[0]
    ?.n ?? -1;

const PID = '008170000123';
const CMND = '071234567';
const PASSPORT = 'B1234567';
const DOSSIER_CODE = '000.00.01.H60-250901-0001';

/** The person the number `PID` belongs to, as the population register states it. */
const numbered = (): Observation =>
  aCitizenObserved({
    system: 'population',
    recordId: 'p-1',
    minute: 1,
    personalId: PID,
    fullName: 'Trần Văn Bình',
    dateOfBirth: day(1970, 5, 5),
    sex: 'MALE',
    currentAddress: address('02290'),
  });

/** A dossier whose applicant is the citizen holding `PID`. */
const dossier = (minute = 2): Observation =>
  aDossierObserved({
    system: 'one-stop',
    recordId: 'os-1',
    dossierCode: DOSSIER_CODE,
    minute,
    applicant: { kind: 'CITIZEN', personalId: PID, enterpriseCode: null, name: 'Trần Văn Bình' },
  });

/** Lê Thị Hoa as a source states her (name, birth date, sex, commune), plus `extra` (numbers, phone). */
const hoa = (system: string, recordId: string, minute: number, extra: Partial<CitizenObserved> = {}) =>
  aCitizenObserved({
    system,
    recordId,
    minute,
    fullName: 'Lê Thị Hoa',
    dateOfBirth: day(1990, 2, 2),
    sex: 'FEMALE',
    currentAddress: address('02215'),
    ...extra,
  });

/**
 * Two masters: Bình (`population/a`, `PID`, the older) and Hoa (`tax/b`, CMND `CMND`); then the police
 * record `police/d` holding both numbers proves they are one, and merges Hoa's master into Bình's.
 */
const twoMastersThenMerge = (...more: Observation[]) => ({
  seed: [
    {
      type: 'citizen' as const,
      values: [
        aCitizenObserved({
          system: 'population',
          recordId: 'a',
          minute: 1,
          personalId: PID,
          fullName: 'Trần Văn Bình',
          dateOfBirth: day(1970, 5, 5),
          sex: 'MALE',
          currentAddress: address('02290'),
        }),
        hoa('tax', 'b', 2, { legacyIds: [{ kind: 'CMND9', value: CMND }] }),
        ...more,
      ],
    },
  ],
  merge: {
    type: 'citizen' as const,
    values: [
      aCitizenObserved({
        system: 'police',
        recordId: 'd',
        minute: 3,
        personalId: PID,
        legacyIds: [{ kind: 'CMND9', value: CMND }],
      }),
    ],
  },
});

for (const mode of ['batch', 'per-statement'] as const) {
  describe(`races between two instances (${mode} store)`, () => {
    describe('(a) a link and its target identifier arriving at the same moment', () => {
      it('the number commits while the dossier naming it runs: the dossier waits, then links to it', async () => {
        const r = await race(mode, {
          first: { type: 'citizen', values: [numbered()] },
          second: { type: 'dossier', values: [dossier()] },
        });
        const person = await masterOf(r.db, 'citizen', 'population', 'p-1');
        const d = await masterOf(r.db, 'dossier', 'one-stop', 'os-1');
        expect(await linkOf(r.db, 'dossier', d)).toEqual([
          { relation: 'APPLICANT', target_master_id: person },
        ]);
        expect((await goldenOf(r.db, 'dossiers', d)).applicantMasterId).toBe(person);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        // How: the dossier's batch locks the applicant's number (lockKeys), held by the citizen's batch.
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      it('the dossier commits while the number arrives: the citizen waits, then resolves the pending link', async () => {
        const r = await race(mode, {
          first: { type: 'dossier', values: [dossier()] },
          second: { type: 'citizen', values: [numbered()] },
        });
        const person = await masterOf(r.db, 'citizen', 'population', 'p-1');
        const d = await masterOf(r.db, 'dossier', 'one-stop', 'os-1');
        expect(await linkOf(r.db, 'dossier', d)).toEqual([
          { relation: 'APPLICANT', target_master_id: person },
        ]);
        expect((await goldenOf(r.db, 'dossiers', d)).applicantMasterId).toBe(person);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      it("a business's representative: the business waits for the number's transaction, then links", async () => {
        const r = await race(mode, {
          first: { type: 'citizen', values: [numbered()] },
          second: {
            type: 'business',
            values: [
              aBusinessObserved({
                system: 'tax',
                recordId: 'tx-1',
                minute: 2,
                name: 'Công ty TNHH Hòa Bình',
                address: address('02290'),
                representativePersonalId: PID,
              }),
            ],
          },
        });
        const person = await masterOf(r.db, 'citizen', 'population', 'p-1');
        const b = await masterOf(r.db, 'business', 'tax', 'tx-1');
        expect(await linkOf(r.db, 'business', b)).toEqual([
          { relation: 'REPRESENTATIVE', target_master_id: person },
        ]);
        expect((await goldenOf(r.db, 'businesses', b)).representativeMasterId).toBe(person);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
      });
      it('a target that only the recompute finds (another record of the dossier) is locked there, then linked', async () => {
        // The one-stop system (the authority) names another applicant; the sector system names `PID`.
        const applicant = (personalId: string) => ({
          kind: 'CITIZEN' as const,
          personalId,
          enterpriseCode: null,
          name: null,
        });
        const seed = [
          {
            type: 'dossier' as const,
            values: [
              aDossierObserved({
                system: 'one-stop',
                recordId: 'os-1',
                dossierCode: DOSSIER_CODE,
                minute: 1,
                applicant: applicant('008175000456'),
              }),
              aDossierObserved({
                system: 'sector',
                recordId: 'sx-1',
                dossierCode: DOSSIER_CODE,
                minute: 2,
                applicant: applicant(PID),
              }),
            ],
          },
        ];
        const r = await race(mode, {
          seed,
          first: { type: 'citizen', values: [numbered()] },
          // The one-stop system's newer statement no longer names the applicant: the golden record
          // falls back to the sector's, `PID`, which this batch's own lock keys do not contain.
          second: {
            type: 'dossier',
            values: [
              aDossierObserved({
                system: 'one-stop',
                recordId: 'os-1',
                dossierCode: DOSSIER_CODE,
                minute: 3,
              }),
            ],
          },
        });
        const person = await masterOf(r.db, 'citizen', 'population', 'p-1');
        const d = await masterOf(r.db, 'dossier', 'one-stop', 'os-1');
        expect(await linkOf(r.db, 'dossier', d)).toEqual([
          { relation: 'APPLICANT', target_master_id: person },
        ]);
        expect((await goldenOf(r.db, 'dossiers', d)).applicantMasterId).toBe(person);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        // How: `MasterWriter.recompute` locks the targets of the links it writes (`lockIdentifiers`)
        // and reads them again after the lock.
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });
    });

    describe('(b) a candidate merged away while a record is matched against it', () => {
      it('a probabilistic match against the absorbed master joins the survivor, no duplicate master', async () => {
        const s = twoMastersThenMerge();
        const r = await race(mode, {
          seed: s.seed,
          first: s.merge,
          // Hoa again, no number at all: only her name, birth date and commune match `tax/b`.
          second: { type: 'citizen', values: [hoa('health', 'h', 4)] },
        });
        expect(await placement(r.db, 'tax/b', 'police/d', 'health/h')).toEqual({
          'tax/b': 'survivor',
          'police/d': 'survivor',
          'health/h': 'survivor',
        });
        expect(await activeCitizens(r.db)).toBe(1);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        // How: locking the best candidate (Hoa's master) waits for the merge's row lock; it is then
        // merged, and the ranking redone with its records under the survivor.
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:transactionid' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      it('a record placed by its identifier and bridged to the absorbed master merges with the survivor', async () => {
        // `social/s`: a passport and nothing else (no name: no candidate of anyone), its own master.
        const s = twoMastersThenMerge(
          aCitizenObserved({
            system: 'social',
            recordId: 's',
            minute: 3,
            legacyIds: [{ kind: 'PASSPORT', value: PASSPORT }],
          }),
        );
        const r = await race(mode, {
          seed: s.seed,
          first: s.merge,
          // The passport places it in `social/s`'s master; its name etc. match Hoa's above the upper
          // threshold, so the two masters are bridged.
          second: {
            type: 'citizen',
            values: [hoa('health', 'h', 4, { legacyIds: [{ kind: 'PASSPORT', value: PASSPORT }] })],
          },
        });
        expect(await placement(r.db, 'tax/b', 'social/s', 'health/h')).toEqual({
          'tax/b': 'survivor',
          'social/s': 'survivor',
          'health/h': 'survivor',
        });
        expect(await activeCitizens(r.db)).toBe(1);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:transactionid' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      // The statement-by-statement store reads the record under the master it names before locking
      // that master. The batch store locks the masters behind a batch's records before reading what
      // they hold (prefetch), finds the record moved and never meets this (not even before b035191).
      if (mode === 'per-statement')
        it('a record whose own master is merged away meanwhile: MergedMeanwhileError, the retry joins the survivor', async () => {
          // `health/h` joined Hoa's master probabilistically in the seed.
          const s = twoMastersThenMerge(hoa('health', 'h', 2));
          const r = await race(mode, {
            seed: s.seed,
            first: s.merge,
            // A newer statement of `health/h` (a phone number): sticky to the master it was read under.
            second: { type: 'citizen', values: [hoa('health', 'h', 5, { phone: '0912345678' })] },
          });
          expect(await placement(r.db, 'tax/b', 'health/h')).toEqual({
            'tax/b': 'survivor',
            'health/h': 'survivor',
          });
          expect(await activeCitizens(r.db)).toBe(1);
          expect(r.got).toEqual(r.expected);
          expect(r.got.violations).toEqual([]);
          expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:transactionid' });
          // Locking the master it read the record under found it merged: the batch rolled back once,
          // and the consumer's retry read the merge's result.
          expect(r.two.retried).toEqual(['MERGED_MEANWHILE']);
          expect(r.one.retried).toEqual([]);
        });
    });

    describe("(c) a link written while its target's master is merged away", () => {
      /**
       * Bình (`population/a`, CMND) and Bính (`tax/b`, the personal number and a passport): two
       * masters, Bình's the older; `police/d` holds the CMND and the passport, so it merges Bính's
       * master into Bình's, and the personal number moves with it.
       */
      const seed = [
        {
          type: 'citizen' as const,
          values: [
            aCitizenObserved({
              system: 'population',
              recordId: 'a',
              minute: 1,
              legacyIds: [{ kind: 'CMND9', value: CMND }],
              fullName: 'Trần Văn Bình',
              dateOfBirth: day(1970, 5, 5),
              sex: 'MALE',
              currentAddress: address('02290'),
            }),
            aCitizenObserved({
              system: 'tax',
              recordId: 'b',
              minute: 2,
              personalId: PID,
              legacyIds: [{ kind: 'PASSPORT', value: PASSPORT }],
              fullName: 'Trần Văn Bính',
              dateOfBirth: day(1971, 5, 5),
              sex: 'MALE',
              currentAddress: address('02215'),
            }),
          ],
        },
      ];
      const merge = () => ({
        type: 'citizen' as const,
        values: [
          aCitizenObserved({
            system: 'police',
            recordId: 'd',
            minute: 3,
            legacyIds: [
              { kind: 'CMND9', value: CMND },
              { kind: 'PASSPORT', value: PASSPORT },
            ],
          }),
        ],
      });

      const check = async (r: Awaited<ReturnType<typeof race>>): Promise<void> => {
        const survivor = await masterOf(r.db, 'citizen', 'population', 'a');
        expect(await masterOf(r.db, 'citizen', 'tax', 'b')).toBe(survivor);
        const d = await masterOf(r.db, 'dossier', 'one-stop', 'os-1');
        expect(await linkOf(r.db, 'dossier', d)).toEqual([
          { relation: 'APPLICANT', target_master_id: survivor },
        ]);
        expect((await goldenOf(r.db, 'dossiers', d)).applicantMasterId).toBe(survivor);
        expect(r.got).toEqual(r.expected);
        expect(r.got.violations).toEqual([]);
      };

      it('the dossier runs while the merge waits to commit: it waits for the number, then links to the survivor', async () => {
        const r = await race(mode, {
          seed,
          first: merge(),
          second: { type: 'dossier', values: [dossier(4)] },
        });
        await check(r);
        // How: the merge locked the absorbed master's identifiers, the personal number among them.
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      it('the merge runs while the dossier waits to commit: the merge waits, then re-points the link', async () => {
        const r = await race(mode, {
          seed,
          first: { type: 'dossier', values: [dossier(4)] },
          second: merge(),
        });
        await check(r);
        expect(r.meeting).toEqual({ second: 'waited', on: 'Lock:advisory' });
        expect([...r.one.retried, ...r.two.retried]).toEqual([]);
      });

      it("the trade-off: a merge and a batch holding one of the absorbed master's identifiers deadlock; PostgreSQL aborts one, its retry ends as if one after the other", async () => {
        // A third statement of Bính's personal number (nothing else): its batch locks the number
        // first, then Bính's master row. The merge locks both master rows first, then the number.
        // Its record id is chosen so that its source key is locked after the number (keys are locked
        // in ascending order): the test holds that key, so the batch stops holding the number only.
        const kind = KINDS.citizen;
        const numberLock = lockId(identifierLock('citizen', { scheme: 'PID', value: PID }));
        let other: Observation | undefined;
        for (let n = 1; !other && n < 1000; n++) {
          const o = aCitizenObserved({ system: 'health', recordId: `h-${n}`, minute: 4, personalId: PID });
          if (lockKeys(kind, o).some((k) => lockId(k) > numberLock)) other = o;
        }
        if (!other) throw new Error('no record id whose lock keys sort after the number');
        const stopAt = lockKeys(kind, other)
          .map(lockId)
          .find((id) => id > numberLock);
        const [raced, serial] = [await createTestDatabase(), await createTestDatabase()];
        databases.push(raced, serial);
        const db = raced.db;
        const [one, two] = [new Instance(db, 'one', mode), new Instance(db, 'two', mode)];
        for (const b of seed) await one.consume(b.type, ...b.values);

        const holder = await db.transaction();
        const ended: Promise<void>[] = [];
        let batch: Promise<void> | undefined;
        let merging: Promise<void> | undefined;
        try {
          const [me] = await rowsOf<{ pid: number }>(holder, 'select pg_backend_pid() as pid');
          await holder.raw('select pg_advisory_xact_lock(?::bigint)', [String(stopAt)]);
          batch = two.consume('citizen', other);
          ended.push(batch.catch(() => undefined));
          const waiting = await waiterOf(db, me?.pid ?? -1, 'the batch to wait for the held source key');
          expect(waiting.on).toBe('Lock:advisory');
          merging = one.consume(merge().type, ...merge().values);
          ended.push(merging.catch(() => undefined));
          // The merge waits for the number, which the stopped batch holds.
          expect(await waiterOf(db, waiting.pid, 'the merge to wait for the number')).toMatchObject({
            on: 'Lock:advisory',
          });
        } finally {
          // Also on failure: the stopped batch would keep its connection (and the drop) waiting.
          await holder.commit();
          await Promise.all(ended);
        }
        await Promise.all([batch, merging]);

        // Exactly one of the two was chosen as the deadlock victim, rolled back and retried.
        expect([...one.retried, ...two.retried]).toEqual(['40P01']);
        const sequential = [
          new Instance(serial.db, 'one', mode),
          new Instance(serial.db, 'two', mode),
        ] as const;
        for (const b of seed) await sequential[0].consume(b.type, ...b.values);
        await sequential[0].consume(merge().type, ...merge().values);
        await sequential[1].consume('citizen', other);
        expect(await placement(db, 'tax/b', 'police/d', `health/${other.source.recordId}`)).toEqual({
          'tax/b': 'survivor',
          'police/d': 'survivor',
          [`health/${other.source.recordId}`]: 'survivor',
        });
        const got = await outcome(db);
        expect(got).toEqual(await outcome(serial.db));
        expect(got.violations).toEqual([]);
      });
    });
  });
}
