import type { Knex } from 'knex';
import { errorMessage } from '@hub/errors';
import type { OutputDefinition, Publisher, TombstoneWriter } from '@hub/kafka';
import { avroType } from '@hub/kafka';
import type { Logger } from '@hub/log';
import type { EntityType } from '../domain/types.js';
import { lockId } from '../db/tables.js';
import type { Metrics } from '../metrics.js';

export type MasterOutputs = Record<EntityType, OutputDefinition>;

interface OutboxRow {
  id: string | number;
  entity_type: EntityType;
  message_key: string;
  version: string | number;
  change: string;
  payload: Record<string, unknown> | null;
  occurred_at: string | number;
}

export interface OutboxRelayOptions {
  readonly db: Knex;
  readonly publisher: Publisher<MasterOutputs>;
  readonly tombstones: TombstoneWriter;
  readonly outputs: MasterOutputs;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly batchSize?: number;
  readonly pollMs?: number;
}

/** Header on tombstones: which version of the master record the tombstone ends. */
export const MASTER_VERSION_HEADER = 'hub-master-version';

/**
 * Publishes outbox rows to master.* in id order (so per key in version order), then marks them
 * sent. At-least-once: a crash after the send and before the mark sends the rows again; consumers
 * dedupe by (masterId, version). One relay at a time across instances (a transaction-level
 * advisory lock), so two instances never interleave versions of one key on a compacted topic.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Rows were committed since the current pass began: look again before sleeping. */
  private nudged = false;
  private readonly fields: Record<EntityType, string[]>;
  private lastError: string | undefined;

  constructor(private readonly opts: OutboxRelayOptions) {
    const names = (d: OutputDefinition): string[] =>
      (avroType(d.schema) as unknown as { fields: { name: string }[] }).fields.map((f) => f.name);
    this.fields = {
      citizen: names(opts.outputs.citizen),
      business: names(opts.outputs.business),
      dossier: names(opts.outputs.dossier),
    };
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * New outbox rows were committed (by this process): publish them now instead of at the next poll.
   * Rows committed by other instances are still found by polling (`pollMs`).
   */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  health(): { ok: boolean; lastError?: string } {
    return {
      ok: this.running && this.lastError === undefined,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Publish what is pending now; returns how many rows were sent. */
  async relayOnce(): Promise<number> {
    const size = this.opts.batchSize ?? 500;
    return this.opts.db.transaction(async (trx) => {
      const got = await trx.raw<{ rows: { ok: boolean }[] }>(
        'select pg_try_advisory_xact_lock(?::bigint) as ok',
        [String(lockId('consolidation:outbox-relay'))],
      );
      if (!got.rows[0]?.ok) return 0;
      const rows = (await trx('outbox').whereNull('sent_at').orderBy('id').limit(size)) as OutboxRow[];
      if (rows.length === 0) return 0;
      // Consecutive rows of one topic and one kind (value / tombstone) go in one request; requests are
      // sequential and acknowledged (acks=all) before the next, so order per key is kept.
      let i = 0;
      while (i < rows.length) {
        const first = rows[i] as OutboxRow;
        let j = i + 1;
        while (
          j < rows.length &&
          rows[j]?.entity_type === first.entity_type &&
          (rows[j]?.payload === null) === (first.payload === null)
        )
          j++;
        await this.send(rows.slice(i, j));
        i = j;
      }
      await trx('outbox')
        .whereIn(
          'id',
          rows.map((r) => r.id),
        )
        .update({ sent_at: trx.fn.now(), attempts: trx.raw('attempts + 1') });
      return rows.length;
    });
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const type = (rows[0] as OutboxRow).entity_type;
    if ((rows[0] as OutboxRow).payload === null) {
      await this.opts.tombstones.write(
        this.opts.outputs[type].topic,
        rows.map((r) => ({ key: r.message_key, headers: { [MASTER_VERSION_HEADER]: String(r.version) } })),
      );
      this.opts.metrics.outboxPublished.inc({ entity: type, kind: 'tombstone' }, rows.length);
      return;
    }
    const items = rows.map((r) => ({
      key: r.message_key,
      value: this.goldenValue(r),
      headers: { [MASTER_VERSION_HEADER]: String(r.version) },
    }));
    const results = await this.opts.publisher.publishBatch(type, items);
    const bad = results.find((r) => !r.ok);
    if (bad && !bad.ok)
      throw new Error(`golden ${type} record does not fit its schema: ${errorMessage(bad.error)}`);
    this.opts.metrics.outboxPublished.inc({ entity: type, kind: 'record' }, rows.length);
  }

  /** The Avro golden record: the stored golden attributes plus identity and version. */
  goldenValue(r: OutboxRow): Record<string, unknown> {
    const all: Record<string, unknown> = {
      ...r.payload,
      eventId: `${r.message_key}:${String(r.version)}`,
      occurredAt: Number(r.occurred_at),
      masterId: r.message_key,
      version: Number(r.version),
      change: r.change,
    };
    return Object.fromEntries(this.fields[r.entity_type].map((f) => [f, all[f] ?? null]));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      this.nudged = false;
      try {
        sent = await this.relayOnce();
        this.lastError = undefined;
        const pending = await this.opts.db('outbox').whereNull('sent_at').count({ n: '*' }).first();
        this.opts.metrics.outboxPending.set(Number(pending?.n ?? 0));
      } catch (e) {
        this.lastError = errorMessage(e);
        this.opts.logger.error({ err: this.lastError }, 'outbox_relay_failed');
      }
      // After a failure, wait (a nudge does not shorten the back-off); otherwise sleep until the
      // next poll unless rows were committed meanwhile.
      if (this.running && (this.lastError !== undefined || (sent === 0 && !this.nudged))) {
        await new Promise<void>((resolve) => {
          const failed = this.lastError !== undefined;
          const t = setTimeout(resolve, failed ? 2000 : (this.opts.pollMs ?? 200));
          this.wake = () => {
            if (failed && this.running) return;
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
