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

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/**
 * Idempotency keys per source in the connectors' database: the first request with a key is
 * processed and its response stored; a retry with the same key and body gets the stored response
 * (nothing is published twice); a retry while the first is still in flight is 409.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly ttlHours: number,
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
    const row = await this.db('ingest_idempotency')
      .where({ source_system: system, idempotency_key: key })
      .first<
        { request_sha256: string; state: string; status_code: number | null; response: unknown } | undefined
      >();
    if (!row) return this.claim(system, key, requestSha256); // expired between the two statements
    if (row.request_sha256 !== requestSha256) throw new IdempotencyKeyReusedError();
    if (row.state !== 'done')
      throw new ConflictError('a request with this Idempotency-Key is still being processed; retry later');
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
