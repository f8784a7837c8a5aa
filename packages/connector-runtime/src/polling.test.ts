import { describe, expect, it } from 'vitest';
import { silentLogger } from '@hub/log';
import { eventually } from '@hub/testing';
import { connectorConfigSchema } from './config/schema.js';
import type { CursorCommit, CursorStore } from './db/cursor-store.js';
import { Mapper } from './mapping/engine.js';
import { ConnectorMetrics } from './metrics.js';
import { PollingConnector, type PollSource, type SourceBatch } from './polling.js';
import type { DeliveryResult, GoodRecord, ObservationSink } from './sink.js';
import { StatusTracker } from './status.js';

/**
 * The pipelined polling loop against in-memory fakes (no Kafka, no database): every step is logged,
 * and the invariants are checked on the log — a cursor is committed only after Kafka acknowledged
 * its batch and every batch before it, commits go strictly forward, one publish at a time.
 */

const ROWS = 23;
const BATCH = 4;

type Event = string;

/** Rows 1..ROWS in order; the cursor is the number of rows before it. */
class MemorySource implements PollSource {
  reads: Array<string | undefined> = [];
  constructor(
    private readonly log: Event[],
    readonly readAhead: boolean,
  ) {}
  open = () => Promise.resolve();
  close = () => Promise.resolve();
  read(cursor: string | undefined, limit: number): Promise<SourceBatch> {
    this.log.push(`read:${cursor ?? 0}`);
    this.reads.push(cursor);
    const from = cursor === undefined ? 0 : Number(cursor);
    const to = Math.min(ROWS, from + limit);
    const records = Array.from({ length: to - from }, (_, i) => ({
      data: {
        id: from + i + 1,
        v: 1,
        name: `Nguyễn Văn ${String.fromCharCode(65 + ((from + i) % 26))}`,
        dob: '01/02/1990',
      },
    }));
    return Promise.resolve({ records, cursor: String(to), more: to < ROWS });
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A sink whose publish takes a few turns of the event loop, fails on request, and logs start and ack. */
class FakeSink {
  acked = new Set<number>();
  published: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  /** Called as a publish starts (before Kafka answers). */
  onPublish: ((call: number) => void) | undefined;
  constructor(
    private readonly log: Event[],
    private readonly failCalls: ReadonlySet<number> = new Set(),
  ) {}
  schemaIds: number[] = [];
  start = () => Promise.resolve();
  stop = () => Promise.resolve();
  heartbeat = () => Promise.resolve();
  deadLetter = () => Promise.resolve();
  async publish(records: readonly GoodRecord[]): Promise<DeliveryResult> {
    const call = ++this.calls;
    const ids = records.map((r) => Number(r.recordId));
    this.log.push(`publish:${ids.join(',')}`);
    this.onPublish?.(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      for (let i = 0; i < 3; i++) await tick(); // the broker round trip
      if (this.failCalls.has(call)) {
        this.log.push(`fail:${ids.join(',')}`);
        throw new Error('kafka: simulated failed send');
      }
      for (const id of ids) this.acked.add(id);
      this.published.push(...ids);
      this.log.push(`ack:${ids.join(',')}`);
      return { outcomes: records.map(() => ({ ok: true as const })), published: records.length };
    } finally {
      this.inFlight--;
    }
  }
}

/** Records commits, and every commit that passes a row Kafka has not acknowledged. */
class FakeCursors {
  stored: string | undefined;
  commits: string[] = [];
  violations: string[] = [];
  constructor(
    private readonly log: Event[],
    private readonly sink: FakeSink,
  ) {}
  load = () => Promise.resolve(this.stored);
  knownKeys = () => Promise.resolve(new Map());
  commit(_id: string, c: CursorCommit): Promise<void> {
    const to = Number(c.cursor);
    for (let id = 1; id <= to; id++)
      if (!this.sink.acked.has(id)) this.violations.push(`cursor ${to} committed before row ${id} was acked`);
    if (this.commits.length > 0 && to < Number(this.commits[this.commits.length - 1]))
      this.violations.push(`cursor went back to ${to}`);
    this.log.push(`commit:${to}`);
    this.commits.push(String(to));
    this.stored = String(to);
    return Promise.resolve();
  }
}

const config = connectorConfigSchema('memory', {}).parse({
  id: 'pipeline-test',
  kind: 'memory',
  source: { system: 'test-memory' },
  batchSize: BATCH,
  pollIntervalMs: 60_000,
  heartbeatIntervalMs: 60_000,
  countIntervalMs: 0,
  topics: { observations: 'obs.citizen', deadLetter: 'dlq.test' },
  mapping: {
    entity: 'citizen',
    recordId: 'id',
    version: 'v',
    fields: { fullName: 'name', dateOfBirth: 'dob' },
  },
});

function build(opts: { readAhead: boolean; failCalls?: number[] }) {
  const log: Event[] = [];
  const source = new MemorySource(log, opts.readAhead);
  const sink = new FakeSink(log, new Set(opts.failCalls ?? []));
  const cursors = new FakeCursors(log, sink);
  const metrics = new ConnectorMetrics();
  const connector = new PollingConnector({
    id: config.id,
    source,
    sink: sink as unknown as ObservationSink,
    cursors: cursors as unknown as CursorStore,
    mapper: new Mapper(config.mapping, { system: 'test-memory', connectorId: config.id }),
    status: new StatusTracker(config.id, 'memory', 'test-memory', metrics),
    metrics,
    logger: silentLogger(),
    batchSize: BATCH,
    pollIntervalMs: 60_000,
    heartbeatIntervalMs: 60_000,
    countIntervalMs: 0,
    retry: { baseMs: 1, maxMs: 2 },
  });
  return { log, source, sink, cursors, connector };
}

const allRows = Array.from({ length: ROWS }, (_, i) => i + 1);

describe('PollingConnector pipelining', () => {
  it('reads the next batch while the current one is acknowledged, yet commits each cursor only after its batch was acked, in order', async () => {
    const { log, sink, cursors, connector } = build({ readAhead: true });
    await connector.start();
    await eventually(() => (cursors.stored === String(ROWS) ? true : undefined), { what: 'all rows' });
    await connector.stop();
    expect(cursors.violations).toEqual([]);
    expect(cursors.commits).toEqual(['4', '8', '12', '16', '20', '23']);
    expect(sink.published).toEqual(allRows); // every row once, in source order
    expect(sink.maxInFlight).toBe(1); // one publish at a time: Kafka gets batches in order
    // The overlap itself: batch n+1 was read before batch n was acknowledged.
    expect(log.indexOf('read:4')).toBeLessThan(log.indexOf('ack:1,2,3,4'));
    expect(log.indexOf('read:8')).toBeLessThan(log.indexOf('ack:5,6,7,8'));
    // … but never published before batch n's cursor was committed.
    expect(log.indexOf('commit:4')).toBeLessThan(log.indexOf('publish:5,6,7,8'));
  });

  it('drops the batch read ahead when a send fails: nothing past the failed batch is committed, and it resumes from the committed cursor', async () => {
    // The 2nd publish (rows 5–8) fails once; rows 9–12 were read ahead meanwhile.
    const { log, sink, cursors, connector } = build({ readAhead: true, failCalls: [2] });
    await connector.start();
    await eventually(() => (cursors.stored === String(ROWS) ? true : undefined), { what: 'all rows' });
    await connector.stop();

    expect(cursors.violations).toEqual([]);
    expect(cursors.commits).toEqual(['4', '8', '12', '16', '20', '23']);
    const failedAt = log.indexOf('fail:5,6,7,8');
    expect(failedAt).toBeGreaterThan(-1);
    // The read-ahead batch (rows 9–12) was not published on the back of the failure …
    expect(log.indexOf('publish:9,10,11,12')).toBeGreaterThan(log.lastIndexOf('ack:5,6,7,8'));
    // … the retry read again from the committed cursor 4 …
    expect(log.indexOf('read:4', failedAt)).toBeGreaterThan(failedAt);
    // … and every row reached Kafka once acknowledged, in order (the failed send acked nothing).
    expect(sink.published).toEqual(allRows);
    expect(sink.maxInFlight).toBe(1);
  });

  it('without readAhead a source is never read after a cursor that is not committed yet', async () => {
    const { log, source, cursors, connector } = build({ readAhead: false });
    await connector.start();
    await eventually(() => (cursors.stored === String(ROWS) ? true : undefined), { what: 'all rows' });
    await connector.stop();

    expect(cursors.violations).toEqual([]);
    for (const cursor of source.reads.slice(1)) {
      const at = log.indexOf(`read:${cursor}`);
      expect(log.indexOf(`commit:${cursor}`)).toBeLessThan(at);
    }
  });

  it('stop while a batch is read ahead: the batch in hand is committed, the one read ahead is not published', async () => {
    const { log, sink, cursors, connector } = build({ readAhead: true });
    let stopped: Promise<void> | undefined;
    sink.onPublish = (call) => {
      if (call === 1) stopped = connector.stop(); // while rows 1–4 await their ack and 5–8 are read
    };
    await connector.start();
    await eventually(() => (stopped ? true : undefined), { what: 'stop during the first publish' });
    await stopped;

    expect(cursors.violations).toEqual([]);
    expect(log).toContain('read:4'); // read ahead …
    expect(log).not.toContain('publish:5,6,7,8'); // … but dropped
    expect(cursors.stored).toBe('4');
    expect(sink.published).toEqual([1, 2, 3, 4]);
  });
});
