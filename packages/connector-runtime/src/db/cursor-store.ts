import type { Db } from './connection.js';

export interface KnownKey {
  readonly recordId: string;
  /** Version / update time of the last observation published for the key (eventId of its deletion). */
  readonly versionToken: string | null;
  /** Canonical fields a deletion event needs (e.g. the dossier code). */
  readonly identity: Readonly<Record<string, unknown>> | null;
}

export interface CursorCommit {
  readonly cursor: string | undefined;
  /** Keys published in the batch (kept for delete detection by key comparison). */
  readonly upsertKeys?: readonly KnownKey[];
  /** Keys whose deletion was published in the batch. */
  readonly deleteKeys?: readonly string[];
}

export interface CursorView {
  readonly connectorId: string;
  readonly cursor: string | null;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/**
 * Durable source positions, one per connector, in the connectors' own database. A connector calls
 * `commit` only after Kafka acknowledged the batch, so a crash re-reads (never skips) records; the
 * known-key bookkeeping for delete detection commits in the same transaction as the cursor.
 */
export class CursorStore {
  constructor(private readonly db: Db) {}

  async load(connectorId: string): Promise<string | undefined> {
    const row = await this.db('connector_cursors')
      .where({ connector_id: connectorId })
      .first<{ cursor: string | null } | undefined>('cursor');
    return row?.cursor ?? undefined;
  }

  async commit(connectorId: string, c: CursorCommit): Promise<void> {
    await this.db.transaction(async (trx) => {
      const keys = c.upsertKeys ?? [];
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000).map((k) => ({
          connector_id: connectorId,
          record_id: k.recordId,
          version_token: k.versionToken,
          identity: k.identity === null ? null : JSON.stringify(k.identity),
        }));
        await trx('connector_known_keys')
          .insert(chunk)
          .onConflict(['connector_id', 'record_id'])
          .merge(['version_token', 'identity']);
      }
      const gone = c.deleteKeys ?? [];
      for (let i = 0; i < gone.length; i += 1000) {
        await trx('connector_known_keys')
          .where({ connector_id: connectorId })
          .whereIn('record_id', gone.slice(i, i + 1000))
          .delete();
      }
      await trx('connector_cursors')
        .insert({
          connector_id: connectorId,
          cursor: c.cursor ?? null,
          updated_at: trx.fn.now(),
          updated_by: 'connector',
        })
        .onConflict('connector_id')
        .merge(['cursor', 'updated_at', 'updated_by']);
    });
  }

  /** Every key published and not deleted, for comparison with the source's keys. */
  async knownKeys(connectorId: string): Promise<Map<string, KnownKey>> {
    const rows = await this.db('connector_known_keys')
      .where({ connector_id: connectorId })
      .select<
        { record_id: string; version_token: string | null; identity: Record<string, unknown> | null }[]
      >('record_id', 'version_token', 'identity');
    return new Map(
      rows.map((r) => [
        r.record_id,
        { recordId: r.record_id, versionToken: r.version_token, identity: r.identity },
      ]),
    );
  }

  async view(connectorId?: string): Promise<CursorView[]> {
    const q = this.db('connector_cursors')
      .select<{ connector_id: string; cursor: string | null; updated_at: Date; updated_by: string }[]>('*')
      .orderBy('connector_id');
    const rows = await (connectorId ? q.where({ connector_id: connectorId }) : q);
    return rows.map((r) => ({
      connectorId: r.connector_id,
      cursor: r.cursor,
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
    }));
  }

  /**
   * Operator reset: back to the start (a full re-snapshot; consolidation dedupes by eventId) or to a
   * given cursor. Stop the connector first: a running one would overwrite the reset on its next batch.
   */
  async reset(connectorId: string, to: string | null = null, by = 'operator'): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('connector_cursors')
        .insert({ connector_id: connectorId, cursor: to, updated_at: trx.fn.now(), updated_by: by })
        .onConflict('connector_id')
        .merge(['cursor', 'updated_at', 'updated_by']);
      if (to === null) await trx('connector_known_keys').where({ connector_id: connectorId }).delete();
    });
  }
}
