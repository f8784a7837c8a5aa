import type { Db } from '@hub/connector-runtime';

export type LedgerStatus = 'processing' | 'done' | 'failed';

export interface LedgerEntry {
  readonly contentSha256: string;
  readonly fileName: string;
  readonly status: LedgerStatus;
  readonly linesDone: number;
}

/**
 * Which files a connector has taken, by content hash (table `file_ledger` in the connectors'
 * database). A file whose content is already `done` or `failed` is never processed again, whatever
 * its name; `processing` is a file interrupted by a crash, resumed from the connector's cursor.
 */
export class FileLedger {
  constructor(
    private readonly db: Db,
    private readonly connectorId: string,
  ) {}

  async find(sha: string): Promise<LedgerEntry | undefined> {
    const row = await this.db('file_ledger')
      .where({ connector_id: this.connectorId, content_sha256: sha })
      .first<
        { content_sha256: string; file_name: string; status: LedgerStatus; lines_done: number } | undefined
      >();
    return row
      ? {
          contentSha256: row.content_sha256,
          fileName: row.file_name,
          status: row.status,
          linesDone: row.lines_done,
        }
      : undefined;
  }

  async begin(sha: string, fileName: string): Promise<void> {
    await this.db('file_ledger')
      .insert({
        connector_id: this.connectorId,
        content_sha256: sha,
        file_name: fileName,
        status: 'processing',
      })
      .onConflict(['connector_id', 'content_sha256'])
      .ignore();
  }

  async progress(sha: string, linesDone: number, rowsDeadLettered: number): Promise<void> {
    await this.db('file_ledger')
      .where({ connector_id: this.connectorId, content_sha256: sha, status: 'processing' })
      .update({ lines_done: linesDone, rows_dead_lettered: rowsDeadLettered });
  }

  /** Final state; `rowsPublished` = rows handed on for mapping (mapping failures are dead-lettered later). */
  async finish(
    sha: string,
    status: 'done' | 'failed',
    counts: { lines: number; rows: number; unparsable: number },
    error?: string,
  ): Promise<void> {
    await this.db('file_ledger')
      .where({ connector_id: this.connectorId, content_sha256: sha })
      .update({
        status,
        lines_done: counts.lines,
        rows_published: counts.rows,
        rows_dead_lettered: counts.unparsable,
        error: error ?? null,
        finished_at: this.db.fn.now(),
      });
  }
}
