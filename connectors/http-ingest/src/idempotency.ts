import type { Db } from '@hub/connector-runtime';
import { ConflictError, AppError } from '@hub/errors';

/** The same Idempotency-Key sent with a different request (IETF draft: 422). */
export class IdempotencyKeyReusedError extends AppError {
  override readonly httpStatus = 422;
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used with a different request body; use a new key for a new request',
    );
  }
}

/**
 * A request with this key is in flight (its claim's lease has not expired): 409 with Retry-After.
 * A claim whose lease expired (its process died mid-request) is taken over by the next retry.
 */
export class IdempotencyInProgressError extends ConflictError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `a request with this Idempotency-Key is still being processed; retry in ${retryAfterSeconds} s (Retry-After)`,
    );
  }
}

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/**
 * Idempotency keys per source in the connectors' database: the first request with a key is
 * processed and its response stored; a retry with the same key and body gets the stored response
 * (nothing is published twice); a retry while the first is still in flight is 409. An in-progress
 * claim holds a lease of `leaseSeconds` from its claim time (`created_at`, reset on takeover): a
 * retry after the lease expired (the claiming process died) takes the claim over and is processed.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly ttlHours: number,
    private readonly leaseSeconds = 60,
  ) {}

  async claim(system: string, key: string, requestSha256: string): Promise<IdempotencyClaim> {
    await this.db('ingest_idempotency')
      .where({ source_system: system, idempotency_key: key })
      .andWhere('created_at', '<', this.db.raw(`now() - (? * interval '1 hour')`, [this.ttlHours]))
      .delete();
    const inserted = await this.db('ingest_idempotency')
      .insert({
        source_system: system,
        idempotency_key: key,
        request_sha256: requestSha256,
        state: 'in_progress',
      })
      .onConflict(['source_system', 'idempotency_key'])
      .ignore()
      .returning('idempotency_key');
    if (inserted.length > 0) return { kind: 'new' };
    // A claim whose lease expired is taken over in one statement: the row lock makes a concurrent
    // retry re-check the (now fresh) claim time, so only one of them gets it.
    const taken = await this.db('ingest_idempotency')
      .where({
        source_system: system,
        idempotency_key: key,
        state: 'in_progress',
        request_sha256: requestSha256,
      })
      .andWhere('created_at', '<=', this.db.raw(`now() - (? * interval '1 second')`, [this.leaseSeconds]))
      .update({ created_at: this.db.fn.now() })
      .returning('idempotency_key');
    if (taken.length > 0) return { kind: 'new' };
    const row = await this.db('ingest_idempotency')
      .where({ source_system: system, idempotency_key: key })
      .first<
        | {
            request_sha256: string;
            state: string;
            status_code: number | null;
            response: unknown;
            age_seconds: number | string;
          }
        | undefined
      >(
        'request_sha256',
        'state',
        'status_code',
        'response',
        this.db.raw('extract(epoch from (now() - created_at)) as age_seconds'),
      );
    if (!row) return this.claim(system, key, requestSha256); // expired between the two statements
    if (row.request_sha256 !== requestSha256) throw new IdempotencyKeyReusedError();
    if (row.state !== 'done') {
      const left = this.leaseSeconds - Number(row.age_seconds);
      if (left <= 0) return this.claim(system, key, requestSha256); // the lease expired meanwhile
      throw new IdempotencyInProgressError(Math.max(1, Math.ceil(left)));
    }
    return { kind: 'replay', status: row.status_code ?? 200, body: row.response };
  }

  async complete(system: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db('ingest_idempotency')
      .where({ source_system: system, idempotency_key: key })
      .update({ state: 'done', status_code: status, response: JSON.stringify(body) });
  }

  /** The request failed before Kafka acknowledged: forget the key so a retry is processed. */
  async release(system: string, key: string): Promise<void> {
    await this.db('ingest_idempotency')
      .where({ source_system: system, idempotency_key: key, state: 'in_progress' })
      .delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db('ingest_idempotency')
      .where('created_at', '<', this.db.raw(`now() - (? * interval '1 hour')`, [this.ttlHours]))
      .delete();
  }
}
