import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, PoisonMessageError, ValidationError } from '@hub/errors';
import {
  classifyHandlerError,
  isolatePoison,
  RACE_RETRIES,
  shouldRetryBatch,
  type HandlerFailure,
} from './poison-batch.js';

/** What `pg` throws (a DatabaseError carries the SQLSTATE in `code`), as knex re-throws it. */
function pgError(code: string, message: string, fields: Record<string, string> = {}): Error {
  return Object.assign(new Error(`insert into "t" ("n") values ($1) - ${message}`), { code, ...fields });
}

describe('classifyHandlerError', () => {
  it.each([
    ['22P02', 'invalid input syntax for type integer: "12 bis"'],
    ['22001', 'value too long for type character varying(8)'],
    ['22003', 'numeric field overflow'],
    ['22008', 'timestamp out of range'],
    ['23505', 'duplicate key value violates unique constraint "t_pkey"'],
    ['23514', 'new row for relation "t" violates check constraint "t_n_check"'],
    ['23502', 'null value in column "n" violates not-null constraint'],
    ['54000', 'index row size 9000 exceeds btree version 4 maximum 2704'],
  ])('%s is a record-level failure: dead-letter the record, not the batch', (code, message) => {
    const failure = classifyHandlerError(pgError(code, message));
    expect(failure.kind).toBe('record');
    expect(failure).toMatchObject({ reason: 'DATABASE_REJECTED' });
    expect(failure.description).toContain(`PostgreSQL ${code}`);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint "t_pkey"'],
    ['23P01', 'conflicting key value violates exclusion constraint "t_excl"'],
    ['23503', 'insert or update on table "t" violates foreign key constraint "t_fk"'],
  ])(
    '%s may be a race between instances: the batch is retried before a record is blamed',
    (code, message) => {
      const failure = classifyHandlerError(pgError(code, message));
      expect(failure).toMatchObject({ kind: 'record', mayBeRace: true });
      for (let attempt = 0; attempt < RACE_RETRIES; attempt++)
        expect(shouldRetryBatch(failure, attempt)).toBe(true);
      expect(shouldRetryBatch(failure, RACE_RETRIES)).toBe(false);
    },
  );

  it('bisects a data exception at once and retries an outage every time', () => {
    const data = classifyHandlerError(pgError('22P02', 'invalid input syntax for type integer: "x"'));
    expect(data).not.toHaveProperty('mayBeRace');
    expect(shouldRetryBatch(data, 0)).toBe(false);
    const outage = classifyHandlerError(pgError('57P01', 'terminating connection'));
    expect(shouldRetryBatch(outage, 0)).toBe(true);
    expect(shouldRetryBatch(outage, 100)).toBe(true);
  });

  it.each([
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
    ['08003', 'connection does not exist'],
    ['53300', 'sorry, too many clients already'],
    ['25P02', 'current transaction is aborted'],
  ])('%s is transient: retry the batch', (code, message) => {
    expect(classifyHandlerError(pgError(code, message)).kind).toBe('transient');
  });

  it('treats errors without a SQLSTATE as transient (connection lost, node errno codes, bugs)', () => {
    expect(classifyHandlerError(new Error('Connection terminated unexpectedly')).kind).toBe('transient');
    expect(
      classifyHandlerError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).kind,
    ).toBe('transient');
    expect(classifyHandlerError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })).kind).toBe(
      'transient',
    );
    expect(
      classifyHandlerError(new TypeError("Cannot read properties of undefined (reading 'x')")).kind,
    ).toBe('transient');
    expect(classifyHandlerError('a string').kind).toBe('transient');
  });

  it('finds the PostgreSQL error in the cause chain, unless someone declared it retriable', () => {
    const data = pgError('22P02', 'invalid input syntax for type integer: "x"');
    expect(classifyHandlerError(new Error('batch failed', { cause: data })).kind).toBe('record');
    expect(
      classifyHandlerError(new DependencyUnavailableError('postgres', 'down', { cause: data })).kind,
    ).toBe('transient');
  });

  it('dead-letters poison and validation errors thrown by a handler with their own reason', () => {
    expect(classifyHandlerError(new PoisonMessageError('SCHEMA_MISMATCH', 'no'))).toMatchObject({
      kind: 'record',
      reason: 'SCHEMA_MISMATCH',
    });
    expect(
      classifyHandlerError(new ValidationError('bad', { details: [{ field: '/n', problem: 'odd' }] })),
    ).toMatchObject({
      kind: 'record',
      reason: 'VALIDATION_FAILED',
      description: 'bad: /n odd',
    });
  });

  it('describes the error without the SQL in front and without the quoted value', () => {
    const failure = classifyHandlerError(
      pgError('22P02', 'invalid input syntax for type bigint: "008185000123"', {
        table: 'scores',
        column: 'n',
      }),
    );
    expect(failure.description).toBe(
      'PostgreSQL 22P02 invalid_text_representation: invalid input syntax for type bigint: "…" (table scores, column n)',
    );
    expect(failure.description).not.toContain('008185000123');
    expect(failure.description).not.toContain('insert into');
  });
});

const DATA_ERROR = (): Error => pgError('22P02', 'invalid input syntax for type integer: "x"');
const FIRST_FAILURE = classifyHandlerError(DATA_ERROR()) as Extract<HandlerFailure, { kind: 'record' }>;

/**
 * A fake transactional handler over records 0..n-1: an attempt fails (and changes nothing) when it
 * includes a bad record, otherwise "commits" its records and the offset after its range.
 */
function fakeStore(bad: ReadonlySet<number>, opts: { transientOnce?: number } = {}) {
  const applied: number[] = [];
  const commits: [number, number][] = [];
  const deadLettered: number[] = [];
  let attempts = 0;
  let transientLeft = opts.transientOnce ?? -1;
  return {
    applied,
    commits,
    deadLettered,
    attempts: () => attempts,
    attempt: (from: number, to: number, excluded: ReadonlySet<number>): Promise<void> => {
      attempts++;
      if (transientLeft-- === 0) return Promise.reject(pgError('40001', 'could not serialize access'));
      const records = Array.from({ length: to - from }, (_, i) => from + i).filter((i) => !excluded.has(i));
      if (records.some((i) => bad.has(i))) return Promise.reject(DATA_ERROR());
      applied.push(...records);
      commits.push([from, to]);
      return Promise.resolve();
    },
    deadLetter: (index: number): Promise<void> => {
      deadLettered.push(index);
      return Promise.resolve();
    },
  };
}

describe('isolatePoison', () => {
  it('dead-letters the one bad record and applies each neighbour once, in order', async () => {
    const store = fakeStore(new Set([5]));
    const poison = await isolatePoison({
      count: 10,
      failure: FIRST_FAILURE,
      classify: classifyHandlerError,
      ...store,
    });
    expect(poison).toEqual([5]);
    expect(store.deadLettered).toEqual([5]);
    expect(store.applied).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    // Committed ranges tile the batch: every offset is stored once, none skipped.
    expect(store.commits.flat()[0]).toBe(0);
    for (let i = 1; i < store.commits.length; i++)
      expect(store.commits[i]?.[0]).toBe(store.commits[i - 1]?.[1]);
    expect(store.commits.at(-1)?.[1]).toBe(10);
  });

  it('commits the offset past a bad last record with an attempt holding no records', async () => {
    const store = fakeStore(new Set([3]));
    await isolatePoison({ count: 4, failure: FIRST_FAILURE, classify: classifyHandlerError, ...store });
    expect(store.applied).toEqual([0, 1, 2]);
    expect(store.commits.at(-1)).toEqual([3, 4]);
  });

  it('dead-letters a batch of one without trying it again, then stores its offset', async () => {
    const store = fakeStore(new Set([0]));
    await isolatePoison({ count: 1, failure: FIRST_FAILURE, classify: classifyHandlerError, ...store });
    expect(store.deadLettered).toEqual([0]);
    expect(store.commits).toEqual([[0, 1]]);
    expect(store.attempts()).toBe(1);
  });

  it('dead-letters a record with the reason of its own failure', async () => {
    const reasons: string[] = [];
    const store = fakeStore(new Set([1]));
    await isolatePoison({
      count: 2,
      failure: { kind: 'record', reason: 'FIRST', description: 'batch' },
      classify: classifyHandlerError,
      attempt: store.attempt,
      deadLetter: (_i, f) => {
        reasons.push(f.reason);
        return Promise.resolve();
      },
    });
    expect(reasons).toEqual(['DATABASE_REJECTED']);
  });

  it('throws a transient failure met while bisecting, keeping what was committed', async () => {
    // Attempt 0 is the first half [0, 4) (fine), attempt 1 the second half: a serialization failure.
    const store = fakeStore(new Set([6]), { transientOnce: 1 });
    await expect(
      isolatePoison({ count: 8, failure: FIRST_FAILURE, classify: classifyHandlerError, ...store }),
    ).rejects.toMatchObject({ code: '40001' });
    expect(store.applied).toEqual([0, 1, 2, 3]);
    expect(store.deadLettered).toEqual([]);
  });

  it('needs about 2·log2(n) attempts for one bad record', async () => {
    const store = fakeStore(new Set([317]));
    await isolatePoison({ count: 500, failure: FIRST_FAILURE, classify: classifyHandlerError, ...store });
    expect(store.attempts()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(500)));
  });

  it('for any batch and any bad records: bad ones dead-lettered once, good ones applied once, offsets tiled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 64 })
          .chain((count) =>
            fc.tuple(
              fc.constant(count),
              fc.uniqueArray(fc.integer({ min: 0, max: count - 1 }), { minLength: 1 }),
            ),
          ),
        async ([count, badList]) => {
          const bad = new Set(badList);
          const store = fakeStore(bad);
          const poison = await isolatePoison({
            count,
            failure: FIRST_FAILURE,
            classify: classifyHandlerError,
            ...store,
          });
          const good = Array.from({ length: count }, (_, i) => i).filter((i) => !bad.has(i));
          expect(poison).toEqual([...bad].sort((a, b) => a - b));
          expect([...store.deadLettered].sort((a, b) => a - b)).toEqual(poison);
          expect(store.applied).toEqual(good);
          expect(store.commits[0]?.[0]).toBe(0);
          for (let i = 1; i < store.commits.length; i++) {
            expect(store.commits[i]?.[0]).toBe(store.commits[i - 1]?.[1]);
          }
          expect(store.commits.at(-1)?.[1]).toBe(count);
        },
      ),
      { seed: 20261127, numRuns: 300 },
    );
  });
});
