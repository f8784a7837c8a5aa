import { errorMessage, isAppError } from '@hub/errors';
import { deadLetterFor, isPoison } from './outcome.js';

/**
 * What a failed `handleBatch` call means for the batch consumer:
 *
 * - `transient`: the same batch may succeed later (connection lost, serialization failure,
 *   deadlock, server shutting down, an unexpected bug): retry with backoff, then pause the partition.
 *   Outages are not poison messages.
 * - `record`: some record of the batch can never be stored as it is (PostgreSQL SQLSTATE class 22
 *   "data exception", 23 "integrity constraint violation", 54 "program limit exceeded", or a
 *   `PoisonMessageError`/`ValidationError` thrown by the handler). Retrying the same batch fails the
 *   same way forever, so the batch is bisected down to the record, which is dead-lettered.
 *
 * Unique, exclusion and foreign-key violations (23505, 23P01, 23503) are record-level only once they
 * repeat (`mayBeRace`): two instances of a consumer group may race on the same row, and the retry then
 * succeeds; the batch consumer retries them `RACE_RETRIES` times before bisecting.
 *
 * Serialization failures and deadlocks are class 40 and connection errors class 08 or 57, so they
 * stay transient; so does anything wrapped in a `DependencyUnavailableError` (retriable).
 */
export type HandlerFailure =
  | { readonly kind: 'transient'; readonly description: string }
  | {
      readonly kind: 'record';
      /** Stable machine-readable reason for the `hub-dlq-reason` header. */
      readonly reason: string;
      /** What is wrong, without the offending value (it may be personal data). */
      readonly description: string;
      /**
       * The error may also be a race between instances (a unique, exclusion or foreign-key
       * violation: another consumer inserted or deleted the same row a moment earlier): retry the
       * batch a few times before blaming a record.
       */
      readonly mayBeRace?: boolean;
    };

/** SQLSTATE classes that say "this data", not "this moment". */
const RECORD_CLASSES = new Set(['22', '23', '54']);

/** Condition names of the codes a handler is most likely to meet (PostgreSQL Appendix A). */
const CONDITIONS: Readonly<Record<string, string>> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
  '54000': 'program_limit_exceeded',
  '54001': 'statement_too_complex',
};

/** Integrity violations that a concurrent writer can cause as well as the data itself. */
const RACY_CODES = new Set(['23505', '23P01', '23503']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

interface PgLikeError {
  readonly code: string;
  readonly message: string;
  readonly table?: unknown;
  readonly column?: unknown;
  readonly constraint?: unknown;
  readonly dataType?: unknown;
}

/** The error and its causes, outermost first (bounded: causes can be cyclic). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** A PostgreSQL server error (`pg`'s DatabaseError, possibly re-thrown by knex): it has a SQLSTATE. */
function asPgError(error: unknown): PgLikeError | undefined {
  if (!(error instanceof Error) || isAppError(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && SQLSTATE.test(code) ? (error as Error & PgLikeError) : undefined;
}

/**
 * PostgreSQL's own message without the SQL knex puts in front of it and without quoted values
 * (`invalid input syntax for type integer: "…"`): the value may be personal data, and the dead
 * letter already holds the record.
 */
function pgMessage(error: PgLikeError): string {
  const message = error.message;
  const at = message.lastIndexOf(' - ');
  const own = at >= 0 ? message.slice(at + 3) : message;
  return own.replace(/"[^"]*"/g, '"…"').slice(0, 300);
}

/** One line naming the SQLSTATE, its condition, PostgreSQL's message and where (table, column, constraint). */
export function describePgError(error: PgLikeError): string {
  const where = (['table', 'column', 'constraint', 'dataType'] as const)
    .map((k) => (typeof error[k] === 'string' && error[k] !== '' ? `${k} ${String(error[k])}` : undefined))
    .filter((s): s is string => s !== undefined);
  const condition = CONDITIONS[error.code];
  return [
    `PostgreSQL ${error.code}${condition ? ` ${condition}` : ''}: ${pgMessage(error)}`,
    where.length > 0 ? ` (${where.join(', ')})` : '',
  ].join('');
}

/** Attempts of a batch that failed with a possibly racy integrity violation before it is bisected. */
export const RACE_RETRIES = 2;

/** Whether a failed batch attempt (0 = the first failure) should be retried as it is. */
export function shouldRetryBatch(failure: HandlerFailure, attempt: number): boolean {
  return failure.kind === 'transient' || (failure.mayBeRace === true && attempt < RACE_RETRIES);
}

/**
 * What the per-message `ConsumerRunner` does after attempt `attempt` (0 = the first) of one message
 * failed: the batch consumer's classification, with the message itself in the place of the record
 * a bisection would find.
 *
 * - `deadLetter`: the message can never be processed as it is (record-level), or a possible race
 *   (23505, 23P01, 23503) failed `RACE_RETRIES` more times;
 * - `retry`: an outage while the `attempts` allow, or a possible race not yet retried enough (those
 *   retries do not count against `attempts`: a short outage budget must not make a race a dead letter);
 * - `pause`: an outage that outlasted the attempts: pause the partition and read the message again
 *   later. Also anything not yet final while the consumer is stopping: the next owner of the
 *   partition reads it again.
 */
export type MessageFailureAction = 'retry' | 'deadLetter' | 'pause';

export function messageFailureAction(
  failure: HandlerFailure,
  attempt: number,
  opts: { readonly attempts: number; readonly stopping: boolean },
): MessageFailureAction {
  if (failure.kind === 'record' && !shouldRetryBatch(failure, attempt)) return 'deadLetter';
  if (opts.stopping) return 'pause';
  if (failure.kind === 'record') return 'retry';
  return attempt + 1 < opts.attempts ? 'retry' : 'pause';
}

/**
 * Names a record in a dead letter's error: `topic/partition/offset`, and the event id when the
 * decoded value has one (`(event …)`).
 */
export function recordRef(topic: string, partition: number, offset: string, value?: unknown): string {
  const eventId =
    typeof value === 'object' && value !== null ? (value as { eventId?: unknown }).eventId : undefined;
  return `${topic}/${partition}/${offset}${typeof eventId === 'string' ? ` (event ${eventId})` : ''}`;
}

export function classifyHandlerError(error: unknown): HandlerFailure {
  const chain = causeChain(error);
  // An explicit "retry me" anywhere in the chain wins: whoever wrapped it knew it was an outage.
  if (chain.some((e) => isAppError(e) && e.retriable)) {
    return { kind: 'transient', description: errorMessage(error) };
  }
  const poison = chain.find(isPoison);
  if (poison !== undefined) {
    const outcome = deadLetterFor(poison);
    if (outcome.kind === 'deadLetter') {
      return { kind: 'record', reason: outcome.reason, description: outcome.error };
    }
  }
  for (const e of chain) {
    const pg = asPgError(e);
    if (pg === undefined) continue;
    const description = describePgError(pg);
    if (!RECORD_CLASSES.has(pg.code.slice(0, 2))) return { kind: 'transient', description };
    return RACY_CODES.has(pg.code)
      ? { kind: 'record', reason: 'DATABASE_REJECTED', description, mayBeRace: true }
      : { kind: 'record', reason: 'DATABASE_REJECTED', description };
  }
  return { kind: 'transient', description: errorMessage(error) };
}

export interface IsolatePoisonOptions {
  /** How many records the failed batch holds (indices 0..count-1, in offset order). */
  readonly count: number;
  /**
   * Process records [from, to) except the `excluded` ones in one transaction that also stores the
   * offset after `to - 1`; throw (and change nothing) on failure. `excluded` are records already
   * dead-lettered whose offsets this call must commit past.
   */
  readonly attempt: (from: number, to: number, excluded: ReadonlySet<number>) => Promise<void>;
  readonly classify: (error: unknown) => HandlerFailure;
  /** Why the whole batch failed (the reason of a batch of one record). */
  readonly failure: Extract<HandlerFailure, { kind: 'record' }>;
  /** Dead-letter record `index`; resolves once the dead-letter topic has it. */
  readonly deadLetter: (index: number, failure: Extract<HandlerFailure, { kind: 'record' }>) => Promise<void>;
}

/**
 * After a batch failed with a record-level error: bisect it to find the records that fail on their
 * own, dead-letter them, and commit everything else exactly once.
 *
 * Halves are tried in offset order and each success commits its records and its offset in one
 * transaction, so the committed ranges tile the batch: every good record is applied by exactly one
 * committed attempt. A record that fails alone is dead-lettered, and its offset is committed by the
 * next attempt (it starts at the first uncommitted index, skipping the dead-lettered ones) or by a
 * final attempt with no records when it was last. A transient failure during the bisection is thrown:
 * the caller retries from the stored offset, and what is committed stays committed.
 *
 * One poison record in n costs about 2·log2(n) attempts.
 */
export async function isolatePoison(opts: IsolatePoisonOptions): Promise<number[]> {
  const poison = new Set<number>();
  let next = 0; // first index whose offset is not committed yet; [next, lo) are all dead-lettered

  const split = async (
    lo: number,
    hi: number,
    failure: Extract<HandlerFailure, { kind: 'record' }>,
  ): Promise<void> => {
    if (hi - lo === 1) {
      await opts.deadLetter(lo, failure);
      poison.add(lo);
      return;
    }
    const mid = lo + Math.ceil((hi - lo) / 2);
    await run(lo, mid);
    await run(mid, hi);
  };

  const run = async (lo: number, hi: number): Promise<void> => {
    try {
      await opts.attempt(next, hi, poison);
      next = hi;
    } catch (e) {
      const failure = opts.classify(e);
      if (failure.kind === 'transient') throw e;
      await split(lo, hi, failure);
    }
  };

  // The whole batch has already failed: start with its halves (or the record itself).
  await split(0, opts.count, opts.failure);
  if (next < opts.count) await opts.attempt(next, opts.count, poison);
  return [...poison].sort((a, b) => a - b);
}
