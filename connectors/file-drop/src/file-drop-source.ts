import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { foldAccents } from '@hub/vn';
import { errorMessage } from '@hub/errors';
import type { BadRecord, Db, Mapping, PollSource, SourceBatch, SourceRecord } from '@hub/connector-runtime';
import type { Logger } from '@hub/log';
import { FileLedger } from './file-ledger.js';
import { alignColumns, checkHeader, parseCsv, parseXlsx, type ParsedFile } from './parse.js';
import type { FileDropSourceConfig } from './config.js';
import { XlsxRefusedError } from './xlsx-guard.js';

/** Position in the file being read: its name and content hash, the last line handed on. */
export interface FileCursor {
  readonly file: string;
  readonly sha: string;
  readonly line: number;
  /** Every line handed on: move the file once this cursor is committed. */
  readonly done?: boolean;
  /** The file could not be read at all: it goes to failed/ (its dead letter says why). */
  readonly failed?: string;
  /** Refused for its name alone: not recorded in the content ledger (the same content under a sound name is taken). */
  readonly nameRefused?: boolean;
}

interface OpenFile {
  readonly name: string;
  readonly sha: string;
  readonly parsed: ParsedFile;
  readonly lastLine: number;
}

export interface FileDropSourceOptions {
  readonly db: Db;
  readonly connectorId: string;
  /** The drop folder (directoryEnv applied). */
  readonly directory: string;
  readonly logger?: Logger;
  /** The connector's mapping: a file whose header lacks its source columns is refused whole. */
  readonly mapping?: Mapping;
}

/** `*` and `?` wildcards, case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** A file name without control characters (each becomes `_`): safe in failed/, logs and terminals. */
export function safeFileName(name: string): string {
  return name.replace(CONTROL_CHARS, '_');
}

const hasControlChars = (name: string): boolean => safeFileName(name) !== name;

const fold = (v: unknown): string =>
  foldAccents(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))
    .trim()
    .toLowerCase();

/**
 * A drop folder as a polled source. Files are taken oldest first, once they are `minAgeMs` old; dot
 * files (temporary names of writers that write then rename) are ignored. Each file is parsed whole,
 * text repaired field by field, and its rows handed on in batches with a cursor (file, hash, line),
 * so a crash resumes in the middle of a file. Once the last batch of a file is committed (Kafka
 * acknowledged it and its dead letters) the file is renamed into processed/ (or failed/ when it
 * could not be read at all) and marked in the content-hash ledger: the same content is never
 * processed twice, whatever its name.
 */
export class FileDropSource implements PollSource {
  private readonly ledger: FileLedger;
  private readonly include: RegExp[];
  private readonly processedDir: string;
  private readonly failedDir: string;
  private current: OpenFile | undefined;
  /** Live rows of the newest file read (the department's full export): its record count. */
  private newestLive: { mtimeMs: number; live: number } | undefined;

  constructor(
    private readonly cfg: FileDropSourceConfig,
    private readonly opts: FileDropSourceOptions,
  ) {
    this.ledger = new FileLedger(opts.db, opts.connectorId);
    this.include = cfg.include.map(globToRegExp);
    this.processedDir = cfg.processedDir ?? join(opts.directory, 'processed');
    this.failedDir = cfg.failedDir ?? join(opts.directory, 'failed');
  }

  async open(): Promise<void> {
    await mkdir(this.processedDir, { recursive: true });
    await mkdir(this.failedDir, { recursive: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private isDeleted(data: Record<string, unknown>): boolean {
    const sd = this.cfg.softDelete;
    if (!sd) return false;
    const v = fold(data[sd.column] ?? '');
    return sd.deletedValues.some((d) => fold(d) === v);
  }

  private async parse(name: string, bytes: Buffer): Promise<ParsedFile> {
    return extname(name).toLowerCase() === '.xlsx' ? parseXlsx(bytes, this.cfg) : parseCsv(bytes, this.cfg);
  }

  /** Files the include patterns take; a name with control characters is judged by its safe form (and refused later). */
  private async candidates(dir: string): Promise<Array<{ name: string; mtimeMs: number }>> {
    const out: Array<{ name: string; mtimeMs: number }> = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (!e.isFile() || e.name.startsWith('.')) continue;
      if (!this.include.some((r) => r.test(safeFileName(e.name)))) continue;
      const s = await stat(join(dir, e.name)).catch(() => undefined);
      if (s) out.push({ name: e.name, mtimeMs: s.mtimeMs });
    }
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
  }

  /**
   * Rename into `dir` (same filesystem: atomic) under its safe name (control characters replaced);
   * a name already there gets the hash appended.
   */
  private async moveInto(dir: string, fileName: string, sha: string): Promise<string | undefined> {
    const name = safeFileName(fileName);
    const from = join(this.opts.directory, fileName);
    if (
      !(await access(from).then(
        () => true,
        () => false,
      ))
    )
      return undefined; // already moved
    let target = join(dir, name);
    if (
      await access(target).then(
        () => true,
        () => false,
      )
    ) {
      const ext = extname(name);
      target = join(dir, `${basename(name, ext)}.${sha.slice(0, 12)}${ext}`);
      if (
        await access(target).then(
          () => true,
          () => false,
        )
      )
        target = join(dir, `${basename(name, ext)}.${sha.slice(0, 12)}.${Date.now()}${ext}`);
    }
    await rename(from, target);
    return target;
  }

  private async load(name: string): Promise<{ sha: string; bytes: Buffer } | undefined> {
    const bytes = await readFile(join(this.opts.directory, name)).catch(() => undefined);
    return bytes && { sha: createHash('sha256').update(bytes).digest('hex'), bytes };
  }

  private opened(name: string, sha: string, parsed: ParsedFile, mtimeMs: number): OpenFile {
    const lastLine = Math.max(0, ...parsed.rows.map((r) => r.line), ...parsed.bad.map((b) => b.line));
    if (!this.newestLive || mtimeMs >= this.newestLive.mtimeMs)
      this.newestLive = { mtimeMs, live: parsed.rows.filter((r) => !this.isDeleted(r.data)).length };
    this.opts.logger?.info(
      {
        file: name,
        rows: parsed.rows.length,
        unparsable: parsed.bad.length,
        encoding: parsed.encoding,
        repairedFields: parsed.repairedFields,
      },
      'file_opened',
    );
    return { name, sha, parsed, lastLine };
  }

  /** A file refused whole: a failed cursor (it goes to failed/) and its dead letter saying why. */
  private refuse(
    name: string,
    file: { sha: string; bytes: Buffer },
    code: string,
    problem: string,
    hint: string,
    nameRefused = false,
  ): { failed: FileCursor; bad: BadRecord } {
    this.opts.logger?.warn(
      { file: name, code, err: problem },
      code === 'FILE_UNREADABLE' ? 'file_unreadable' : 'file_refused',
    );
    return {
      failed: {
        file: name,
        sha: file.sha,
        line: 0,
        done: true,
        failed: problem,
        ...(nameRefused ? { nameRefused } : {}),
      },
      bad: {
        key: null,
        recordId: null,
        raw: JSON.stringify({ file: name, sha256: file.sha, bytes: file.bytes.length }),
        location: safeFileName(name),
        reason: 'PARSE_FAILED',
        errors: [{ field: '(file)', code, problem, hint }],
      },
    };
  }

  /** The next file to read, after skipping files whose content was processed before. */
  private async next(): Promise<OpenFile | { failed: FileCursor; bad: BadRecord } | undefined> {
    const cutoff = Date.now() - this.cfg.minAgeMs;
    for (const c of await this.candidates(this.opts.directory)) {
      if (c.mtimeMs > cutoff) continue;
      const file = await this.load(c.name);
      if (!file) continue;
      if (hasControlChars(c.name))
        return this.refuse(
          c.name,
          file,
          'FILE_NAME_REFUSED',
          `file name contains control characters: ${JSON.stringify(c.name)}`,
          `The file is kept in ${this.failedDir} as ${JSON.stringify(safeFileName(c.name))}; drop it again under a name without control characters (line breaks, tabs).`,
          true,
        );
      const known = await this.ledger.find(file.sha);
      if (known && known.status !== 'processing') {
        const to = await this.moveInto(
          known.status === 'done' ? this.processedDir : this.failedDir,
          c.name,
          file.sha,
        );
        this.opts.logger?.info(
          { file: c.name, sameAs: known.fileName, movedTo: to },
          'file_duplicate_skipped',
        );
        continue;
      }
      let parsed: ParsedFile;
      try {
        parsed = await this.parseAligned(c.name, file.bytes);
      } catch (e) {
        if (e instanceof XlsxRefusedError) return this.refuse(c.name, file, e.code, e.problem, e.hint);
        return this.refuse(
          c.name,
          file,
          'FILE_UNREADABLE',
          `the file cannot be read: ${errorMessage(e)}`,
          `The file is kept in ${this.failedDir}; fix and drop it again.`,
        );
      }
      const header =
        this.opts.mapping &&
        checkHeader(this.opts.mapping, parsed.columns, parsed.rows.length + parsed.bad.length);
      if (header?.refuse)
        return this.refuse(
          c.name,
          file,
          'HEADER_COLUMNS_MISSING',
          `the file is refused whole: ${header.problem}`,
          `The file is kept in ${this.failedDir}; export it again with its full header and drop it again.`,
        );
      if (header) this.opts.logger?.warn({ file: c.name, problem: header.problem }, 'file_header_incomplete');
      await this.ledger.begin(file.sha, c.name);
      return this.opened(c.name, file.sha, parsed, c.mtimeMs);
    }
    return undefined;
  }

  /** Reopen the file a committed cursor points into (after a restart). */
  private async resume(cursor: FileCursor): Promise<OpenFile | undefined> {
    const file = await this.load(cursor.file);
    if (!file || file.sha !== cursor.sha) {
      this.opts.logger?.warn({ file: cursor.file }, 'file_in_progress_gone');
      return undefined;
    }
    const s = await stat(join(this.opts.directory, cursor.file));
    return this.opened(cursor.file, file.sha, await this.parseAligned(cursor.file, file.bytes), s.mtimeMs);
  }

  /**
   * Parse a file and align its column names with the mapping — the same way when a file is opened and
   * when a restart resumes it mid-file, so the rows after the cursor keep their columns (and their
   * eventIds, which hash the raw row).
   */
  private async parseAligned(name: string, bytes: Buffer): Promise<ParsedFile> {
    const parsed = await this.parse(name, bytes);
    return this.opts.mapping ? alignColumns(parsed, this.opts.mapping) : parsed;
  }

  async read(cursorText: string | undefined, limit: number): Promise<SourceBatch> {
    let cursor = cursorText ? (JSON.parse(cursorText) as FileCursor) : undefined;
    if (cursor?.done) {
      await this.committed(cursorText); // idempotent: finishes a file a crash left unmoved
      cursor = undefined;
    }
    if (cursor && this.current?.sha !== cursor.sha) this.current = await this.resume(cursor);
    if (!cursor || !this.current) {
      const next = await this.next();
      if (!next) return { records: [], cursor: cursorText, more: false };
      if ('failed' in next)
        return { records: [], unparsable: [next.bad], cursor: JSON.stringify(next.failed), more: true };
      this.current = next;
      cursor = undefined;
    }
    const f = this.current;
    const from = cursor?.line ?? 0;
    const rows = f.parsed.rows.filter((r) => r.line > from).slice(0, limit);
    const full = rows.length === limit && rows.length > 0;
    const upTo = full ? (rows[rows.length - 1]?.line ?? f.lastLine) : f.lastLine;
    const records: SourceRecord[] = rows.map((r) => ({
      data: r.data,
      location: `${f.name} line ${r.line}`,
      ...(this.isDeleted(r.data) ? { operation: 'DELETE' as const } : {}),
    }));
    const unparsable: BadRecord[] = f.parsed.bad
      .filter((b) => b.line > from && b.line <= upTo)
      .map((b) => ({
        key: null,
        recordId: null,
        raw: b.raw,
        location: `${f.name} line ${b.line}`,
        reason: 'PARSE_FAILED',
        errors: [
          {
            field: '(row)',
            code: 'ROW_UNPARSABLE',
            problem: b.problem,
            hint: 'Fix the line in the file and drop the file again.',
          },
        ],
      }));
    const next: FileCursor = {
      file: f.name,
      sha: f.sha,
      line: upTo,
      ...(upTo >= f.lastLine ? { done: true } : {}),
    };
    return { records, unparsable, cursor: JSON.stringify(next), more: true };
  }

  /** After the cursor is durable: record progress, and move a finished file out of the drop folder. */
  async committed(cursorText: string | undefined): Promise<void> {
    if (!cursorText) return;
    const c = JSON.parse(cursorText) as FileCursor;
    if (!c.done) return this.ledger.progress(c.sha, c.line, 0);
    const f = this.current?.sha === c.sha ? this.current : undefined;
    const counts = { lines: c.line, rows: f?.parsed.rows.length ?? 0, unparsable: f?.parsed.bad.length ?? 0 };
    if (c.nameRefused) {
      // refused for its name: the content ledger is left alone
    } else if (c.failed) {
      await this.ledger.begin(c.sha, c.file);
      await this.ledger.finish(c.sha, 'failed', counts, c.failed);
    } else await this.ledger.finish(c.sha, 'done', counts);
    const to = await this.moveInto(c.failed ? this.failedDir : this.processedDir, c.file, c.sha);
    if (to)
      this.opts.logger?.info(
        { file: c.file, movedTo: to, ...counts },
        c.failed ? 'file_failed' : 'file_processed',
      );
    if (f) this.current = undefined;
  }

  /** Live rows (not soft-deleted) of the newest export read: what the department holds now. */
  async count(): Promise<number> {
    if (this.newestLive) return this.newestLive.live;
    const newest = (await this.candidates(this.processedDir)).pop();
    if (!newest) return 0;
    const bytes = await readFile(join(this.processedDir, newest.name));
    const parsed = await this.parse(newest.name, bytes);
    this.newestLive = {
      mtimeMs: newest.mtimeMs,
      live: parsed.rows.filter((r) => !this.isDeleted(r.data)).length,
    };
    return this.newestLive.live;
  }
}
