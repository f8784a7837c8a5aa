import fc from 'fast-check';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, ValidationError } from '@hub/errors';
import type { KafkaClient } from './client.js';
import { AvroCodec } from './codec.js';
import { ConsumerRunner } from './consumer.js';
import type { DeadLetter, DeadLetterWriter, OriginalMessage } from './dead-letter.js';
import { ok } from './outcome.js';
import {
  classifyHandlerError,
  messageFailureAction,
  RACE_RETRIES,
  type HandlerFailure,
} from './poison-batch.js';
import type { SchemaRegistry } from './schema-registry.js';

/** What `pg` throws (a DatabaseError carries the SQLSTATE in `code`), as knex re-throws it. */
function pgError(code: string, message: string, fields: Record<string, string> = {}): Error {
  return Object.assign(new Error(`insert into "t" ("n") values ($1) - ${message}`), { code, ...fields });
}

const DATA = () => pgError('22P02', 'invalid input syntax for type integer: "mười hai"', { column: 'n' });
const RACE = () => pgError('23505', 'duplicate key value violates unique constraint "t_pkey"');
/** Outages, as the handler's driver reports them. */
const OUTAGES: Record<string, () => Error> = {
  'connection refused': () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  '57P01 admin shutdown': () => pgError('57P01', 'terminating connection due to administrator command'),
  '40001 serialization failure': () =>
    pgError('40001', 'could not serialize access due to concurrent update'),
  '40P01 deadlock': () => pgError('40P01', 'deadlock detected'),
  'a timeout': () => new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
  'a data error declared retriable by its wrapper': () =>
    new DependencyUnavailableError('postgres', 'down', { cause: DATA() }),
};

describe('messageFailureAction (the per-message side of decision 0008)', () => {
  const budget = { attempts: 5, stopping: false };

  it('dead-letters a data error at once, whatever the attempt', () => {
    for (const code of ['22P02', '22001', '22008', '23502', '23514', '54000']) {
      const failure = classifyHandlerError(pgError(code, 'refused'));
      expect(messageFailureAction(failure, 0, budget)).toBe('deadLetter');
      expect(messageFailureAction(failure, 0, { attempts: 1, stopping: true })).toBe('deadLetter');
    }
  });

  it.each(['23505', '23P01', '23503'])(
    '%s is retried RACE_RETRIES times before it is dead-lettered, even with a budget of one attempt',
    (code) => {
      const failure = classifyHandlerError(pgError(code, 'conflict'));
      for (const attempts of [1, 2, 5]) {
        for (let n = 0; n < RACE_RETRIES; n++)
          expect(messageFailureAction(failure, n, { attempts, stopping: false })).toBe('retry');
        expect(messageFailureAction(failure, RACE_RETRIES, { attempts, stopping: false })).toBe('deadLetter');
      }
    },
  );

  it.each(Object.keys(OUTAGES))(
    '%s is retried while the attempts allow, then pauses; never a dead letter',
    (name) => {
      const failure = classifyHandlerError(OUTAGES[name]?.());
      expect(failure.kind).toBe('transient');
      for (let n = 0; n < 4; n++) expect(messageFailureAction(failure, n, budget)).toBe('retry');
      expect(messageFailureAction(failure, 4, budget)).toBe('pause');
      expect(messageFailureAction(failure, 1000, budget)).toBe('pause');
    },
  );

  it('starts no new attempt while stopping: a race not yet retried enough is left for the next owner', () => {
    const stopping = { attempts: 5, stopping: true };
    expect(messageFailureAction(classifyHandlerError(RACE()), 0, stopping)).toBe('pause');
    expect(messageFailureAction(classifyHandlerError(RACE()), RACE_RETRIES, stopping)).toBe('deadLetter');
    expect(messageFailureAction(classifyHandlerError(pgError('57P01', 'x')), 0, stopping)).toBe('pause');
  });

  it('for any failure and attempt: a transient failure is never dead-lettered, a data error never retried', () => {
    const failures: HandlerFailure[] = [
      { kind: 'transient', description: 'down' },
      { kind: 'record', reason: 'DATABASE_REJECTED', description: 'x' },
      { kind: 'record', reason: 'DATABASE_REJECTED', description: 'x', mayBeRace: true },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...failures),
        fc.nat(50),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        (failure, attempt, attempts, stopping) => {
          const action = messageFailureAction(failure, attempt, { attempts, stopping });
          if (failure.kind === 'transient') expect(action).not.toBe('deadLetter');
          else if (!failure.mayBeRace) expect(action).toBe('deadLetter');
          else expect(action).toBe(attempt >= RACE_RETRIES ? 'deadLetter' : stopping ? 'pause' : 'retry');
          if (stopping) expect(action).not.toBe('retry');
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// ConsumerRunner end to end against an in-memory kafkajs consumer (the broker-backed version of
// these cases is consumer-postgres.int.test.ts).

interface Row {
  eventId: string;
  n: number;
}
const RowSchema = {
  type: 'record',
  name: 'Row',
  namespace: 'hub.test',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'n', type: 'int' },
  ],
};
const TOPIC = 'obs.test';
const registry = { lookup: () => Promise.resolve(7) } as unknown as SchemaRegistry;

/** Just what ConsumerRunner uses of a kafkajs consumer; `deliver` plays one fetched batch. */
function fakeKafka() {
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const state = {
    paused: [] as number[],
    seeks: [] as string[],
    resolved: [] as string[],
    committed: [] as string[],
  };
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: () => undefined,
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    run: (cfg: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      eachBatch = cfg.eachBatch;
      return Promise.resolve();
    },
    pause: (t: { partitions: number[] }[]) => state.paused.push(...t.flatMap((x) => x.partitions)),
    resume: () => undefined,
    seek: (s: { offset: string }) => state.seeks.push(s.offset),
  };
  const kafka = { raw: { consumer: () => consumer } } as unknown as KafkaClient;
  const deliver = async (messages: KafkaMessage[]) => {
    const payload = {
      batch: { topic: TOPIC, partition: 0, messages, firstOffset: () => messages[0]?.offset ?? null },
      resolveOffset: (o: string) => state.resolved.push(o),
      heartbeat: () => Promise.resolve(),
      commitOffsetsIfNecessary: (o: { topics: { partitions: { offset: string }[] }[] }) => {
        state.committed.push(o.topics[0]?.partitions[0]?.offset ?? '?');
        return Promise.resolve();
      },
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    if (!eachBatch) throw new Error('runner not started');
    await eachBatch(payload);
  };
  return { kafka, state, deliver };
}

function fakeDeadLetters() {
  const letters: { original: OriginalMessage; letter: DeadLetter }[] = [];
  const writer = {
    topic: 'dlq.test',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    write: (original: OriginalMessage, letter: DeadLetter) => {
      letters.push({ original, letter });
      return Promise.resolve(true);
    },
  } as unknown as DeadLetterWriter;
  return { writer, letters };
}

async function messages(count: number): Promise<KafkaMessage[]> {
  const codec = new AvroCodec<Row>(registry, `${TOPIC}-value`, RowSchema);
  await codec.init();
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k-${i}`),
    value: codec.encode({ eventId: `e-${i}`, n: i }),
    timestamp: '0',
    attributes: 0,
    offset: String(i),
    headers: {},
  }));
}

async function runner(
  handler: (row: Row) => Promise<void>,
  retry: { attempts: number; baseMs: number; maxMs: number } = { attempts: 3, baseMs: 0, maxMs: 0 },
) {
  const fake = fakeKafka();
  const dlq = fakeDeadLetters();
  const r = new ConsumerRunner<Row>({
    kafka: fake.kafka,
    registry,
    groupId: 'test.unit',
    inputs: [{ topic: TOPIC, schema: RowSchema }],
    deadLetters: dlq.writer,
    retry,
    handler: async (row) => {
      await handler(row);
      return ok();
    },
  });
  await r.start();
  return { runner: r, ...fake, letters: dlq.letters };
}

describe('ConsumerRunner classifies handler failures', () => {
  it('dead-letters a message PostgreSQL refuses for its data at once, naming it, and goes on', async () => {
    const calls: number[] = [];
    const applied: number[] = [];
    const t = await runner((row) => {
      calls.push(row.n);
      if (row.n === 1) return Promise.reject(DATA());
      applied.push(row.n);
      return Promise.resolve();
    });
    await t.deliver(await messages(3));
    expect(applied).toEqual([0, 2]);
    expect(calls).toEqual([0, 1, 2]); // no retry of a data error
    expect(t.letters).toHaveLength(1);
    const { original, letter } = t.letters[0] ?? {};
    expect(original?.offset).toBe('1');
    expect(letter?.reason).toBe('DATABASE_REJECTED');
    expect(letter?.error).toBe(
      `record ${TOPIC}/0/1 (event e-1) fails on its own: PostgreSQL 22P02 invalid_text_representation: invalid input syntax for type integer: "…" (column n)`,
    );
    expect(letter?.error).not.toContain('mười hai'); // the refused value stays in the payload
    expect(t.state.committed).toEqual(['3']);
    expect(t.state.paused).toEqual([]);
    expect(t.runner.stats).toMatchObject({ processed: 2, deadLettered: 1, retries: 0, blocked: 0 });
    expect(t.runner.health().ok).toBe(true);
  });

  it('retries a unique violation RACE_RETRIES times before dead-lettering it, even with one attempt configured', async () => {
    const calls: number[] = [];
    const t = await runner(
      (row) => {
        calls.push(row.n);
        return row.n === 0 ? Promise.reject(RACE()) : Promise.resolve();
      },
      { attempts: 1, baseMs: 0, maxMs: 0 },
    );
    await t.deliver(await messages(2));
    expect(calls).toEqual([...Array<number>(RACE_RETRIES + 1).fill(0), 1]);
    expect(t.letters.map((l) => [l.original.offset, l.letter.reason])).toEqual([['0', 'DATABASE_REJECTED']]);
    expect(t.letters[0]?.letter.error).toContain('PostgreSQL 23505 unique_violation');
    expect(t.runner.stats).toMatchObject({ retries: RACE_RETRIES, deadLettered: 1 });
    expect(t.state.committed).toEqual(['2']);
  });

  it('applies a message whose race resolves on retry, without a dead letter', async () => {
    let failures = 0;
    const applied: number[] = [];
    const t = await runner((row) => {
      if (row.n === 0 && failures++ < RACE_RETRIES) return Promise.reject(RACE());
      applied.push(row.n);
      return Promise.resolve();
    });
    await t.deliver(await messages(2));
    expect(applied).toEqual([0, 1]);
    expect(t.letters).toEqual([]);
  });

  it.each(Object.keys(OUTAGES))(
    '%s: retried with backoff, then the partition pauses at that message; nothing dead-lettered',
    async (name) => {
      const calls: number[] = [];
      const t = await runner((row) => {
        calls.push(row.n);
        return row.n === 1 ? Promise.reject(OUTAGES[name]?.() ?? new Error(name)) : Promise.resolve();
      });
      await t.deliver(await messages(3));
      expect(calls).toEqual([0, 1, 1, 1]); // 3 attempts of message 1, message 2 not reached
      expect(t.letters).toEqual([]);
      expect(t.state.committed).toEqual(['1']); // only message 0 is final
      expect(t.state.paused).toEqual([0]);
      expect(t.state.seeks).toEqual(['1']); // read again from the failed message
      expect(t.runner.stats).toMatchObject({ retries: 2, deadLettered: 0, blocked: 1 });
      expect(t.runner.health()).toMatchObject({ ok: false, pausedPartitions: [`${TOPIC}/0`] });
      expect(t.runner.health().lastError).toBeTruthy();
      await t.runner.stop();
    },
  );

  it('names the SQLSTATE of an outage in lastError', async () => {
    const t = await runner(() => Promise.reject(pgError('57P01', 'terminating connection')));
    await t.deliver(await messages(1));
    expect(t.runner.health().lastError).toBe('PostgreSQL 57P01: terminating connection');
    await t.runner.stop();
  });

  it('keeps the reason of a validation error thrown by the handler', async () => {
    const t = await runner((row) =>
      row.n === 0
        ? Promise.reject(new ValidationError('bad row', { details: [{ field: '/n', problem: 'odd' }] }))
        : Promise.resolve(),
    );
    await t.deliver(await messages(2));
    expect(t.letters.map((l) => l.letter)).toMatchObject([
      {
        reason: 'VALIDATION_FAILED',
        error: `record ${TOPIC}/0/0 (event e-0) fails on its own: bad row: /n odd`,
      },
    ]);
  });

  it('dead-letters undecodable bytes with the codec’s explanation, as before', async () => {
    const t = await runner(() => Promise.resolve());
    const [good] = await messages(1);
    await t.deliver([{ ...(good as KafkaMessage), value: Buffer.from('{"json":"not avro"}') }]);
    expect(t.letters.map((l) => l.letter.reason)).toEqual(['NOT_WIRE_FORMAT']);
    expect(t.letters[0]?.letter.error).toMatch(/^value starts with byte 0x7b/);
  });

  it('for any mix of data errors, races and short outages: each message is applied or dead-lettered exactly once, in order', async () => {
    type Script =
      { kind: 'ok' } | { kind: 'data' } | { kind: 'race'; times: number } | { kind: 'outage'; times: number };
    const script: fc.Arbitrary<Script> = fc.oneof(
      fc.constant<Script>({ kind: 'ok' }),
      fc.constant<Script>({ kind: 'data' }),
      fc.integer({ min: 1, max: RACE_RETRIES + 2 }).map<Script>((times) => ({ kind: 'race', times })),
      fc.integer({ min: 1, max: 3 }).map<Script>((times) => ({ kind: 'outage', times })), // < 4 attempts
    );
    const all = await messages(12);
    await fc.assert(
      fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 12 }), async (scripts) => {
        const failures = new Map<number, number>();
        const applied: number[] = [];
        const t = await runner(
          (row) => {
            const s = scripts[row.n] as Script;
            const failed = failures.get(row.n) ?? 0;
            const fail = () => {
              failures.set(row.n, failed + 1);
              return Promise.reject(
                s.kind === 'outage'
                  ? pgError('40P01', 'deadlock detected')
                  : s.kind === 'data'
                    ? DATA()
                    : RACE(),
              );
            };
            if (s.kind === 'data') return fail();
            if ((s.kind === 'race' || s.kind === 'outage') && failed < s.times) return fail();
            applied.push(row.n);
            return Promise.resolve();
          },
          { attempts: 4, baseMs: 0, maxMs: 0 },
        );
        await t.deliver(all.slice(0, scripts.length));
        const dead = scripts.flatMap((s, i) =>
          s.kind === 'data' || (s.kind === 'race' && s.times > RACE_RETRIES) ? [i] : [],
        );
        expect(t.letters.map((l) => Number(l.original.offset))).toEqual(dead);
        expect(applied).toEqual(scripts.map((_, i) => i).filter((i) => !dead.includes(i)));
        expect(t.state.committed).toEqual([String(scripts.length)]);
        expect(t.state.paused).toEqual([]);
        expect(t.runner.stats.processed + t.runner.stats.deadLettered).toBe(scripts.length);
      }),
      { numRuns: 200 },
    );
  });
});
