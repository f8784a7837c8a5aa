import type { StatusChange } from '@hub/schemas';
import type { HistoryEntry, OutboxEntry } from '../domain/store.js';
import type { Pin } from '../domain/survivorship.js';
import type { ConflictState } from './settled-matches.js';
import type { LineageWrite } from './lineage-writer.js';
import type {
  EntityType,
  MasterRow,
  MasterStatus,
  NewReviewTask,
  SourceRecord,
} from '../domain/types.js';

/** Map keys (NUL-separated: never part of an id, a source system or an identifier). */
export const masterKey = (type: EntityType, id: string): string => `${type}\u0000${id}`;
export const recordKey = (type: EntityType, system: string, recordId: string): string =>
  `${type}\u0000${system}\u0000${recordId}`;
export const aliasKey = (type: EntityType, scheme: string, value: string): string =>
  `${type}\u0000${scheme}\u0000${value}`;
export const blockKey = (type: EntityType, key: string): string => `${type}\u0000${key}`;

/**
 * A candidate read's primary-number filter as one text: '' reads every record of the block, else
 * only records of masters holding no primary number outside these (sorted, unit-separated).
 */
export const primaryFilter = (primaries: readonly string[]): string =>
  [...new Set(primaries)].sort().join('\u001f');
export const linkKey = (fromType: EntityType, fromId: string, relation: string): string =>
  `${fromType}\u0000${fromId}\u0000${relation}`;

export interface RecordEntry {
  readonly type: EntityType;
  readonly record: SourceRecord;
  readonly blockingKeys: readonly string[];
  /** Written by this batch (kept over what the database says; written by flush). */
  readonly dirty: boolean;
}

export interface AliasEntry {
  readonly type: EntityType;
  readonly scheme: string;
  readonly value: string;
  readonly masterId: string;
  readonly primary: boolean;
}

export interface LinkRow {
  readonly fromType: EntityType;
  readonly fromMasterId: string;
  readonly relation: string;
  readonly targetType: EntityType;
  readonly targetScheme: string;
  readonly targetValue: string;
  readonly targetMasterId: string | null;
}

export interface TimelineRow extends StatusChange {
  readonly system: string;
  readonly recordId: string;
  readonly eventId: string;
}
export const timelineKey = (e: StatusChange): string => `${e.status}@${e.at}`;

export interface MasterEntry {
  row: MasterRow;
  /** Created by this batch (inserted by flush, with a real seq). */
  readonly isNew: boolean;
  dirty: boolean;
  /** The steward's pins as the database had them at load (buffered lineage is not read back). */
  readonly pins: readonly Pin[];
  /** Dossiers: the status timeline. */
  readonly timeline: Map<string, TimelineRow>;
}

export interface ReviewEntry {
  task: NewReviewTask;
  readonly at: number;
}

/** A statement for rows this batch never loaded, run in order after the bulk writes. */
export type DeferredUpdate =
  | {
      readonly kind: 'merged_into' | 'review_tasks' | 'match_exclusions';
      readonly type: EntityType;
      readonly survivor: string;
      readonly absorbed: readonly string[];
    }
  | {
      readonly kind: 'settled_matches';
      readonly type: EntityType;
      /** The survivor's cluster right after this merge. */
      readonly members: readonly string[];
      readonly actor: string;
      readonly at: number;
    };

function addTo(index: Map<string, Set<string>>, k: string, v: string): void {
  const s = index.get(k);
  if (s) s.add(v);
  else index.set(k, new Set([v]));
}

/**
 * Everything one consumed batch knows and changes, in memory. Entries read from the database are
 * "clean"; entries the batch changed are "dirty" and win over later reads (this transaction holds
 * the advisory locks of their keys). Flush writes the dirty state with bulk statements.
 */
export class BatchState {
  readonly masters = new Map<string, MasterEntry>();
  /** Masters whose row is locked and whose records, aliases, pins, inbound links, timeline are loaded. */
  readonly loaded = new Set<string>();
  /** Status seen without a lock (candidate rows), for masters not loaded. */
  readonly knownStatus = new Map<string, MasterStatus>();
  newMasters = 0;

  readonly records = new Map<string, RecordEntry>();
  /** Record keys whose database row was looked up (absent ones are not in `records`). */
  readonly knownRecords = new Set<string>();
  readonly recordsByMaster = new Map<string, Set<string>>();
  readonly recordsByBlock = new Map<string, Set<string>>();
  /**
   * Blocking keys whose candidate rows were fetched, each with the primary-number filters it was read
   * under (`primaryFilter`; '' for the unfiltered read). Forgetting a key forgets every filter.
   */
  readonly loadedBlocks = new Map<string, Set<string>>();

  /** null: known absent (or deleted by this batch when the key is in `dirtyAliases`). */
  readonly aliases = new Map<string, AliasEntry | null>();
  readonly dirtyAliases = new Set<string>();
  readonly aliasesByMaster = new Map<string, Set<string>>();
  readonly aliasesLoadedFor = new Set<string>();

  readonly links = new Map<string, LinkRow>();
  readonly dirtyLinks = new Set<string>();
  /** Masters whose outgoing links were replaced: flush deletes their rows first. */
  readonly replacedLinksFrom = new Set<string>();
  /** Identifiers (alias keys) whose incoming link rows are all loaded. */
  readonly linkTargetsLoaded = new Set<string>();

  readonly deletedTimeline: { masterId: string; status: string; at: number }[] = [];
  /** Timeline rows added by this batch, by `<master id>\0<status>@<at>`. */
  readonly dirtyTimeline = new Map<string, { masterId: string; row: TimelineRow }>();
  readonly lineage = new Map<string, LineageWrite>();
  readonly reviewTasks = new Map<string, ReviewEntry>();
  /** Attributes in conflict per master after its last recompute (`<type>:<master id>`; closed at flush). */
  readonly conflicts = new Map<string, ConflictState>();
  /** Tasks this batch opened and a later merge of the batch settled (written closed). */
  readonly settledTasks: (ReviewEntry & { readonly actor: string; readonly resolvedAt: number })[] = [];
  /** Merges of this batch: type → master id → the id it resolves to now. */
  readonly mergedRoots = new Map<EntityType, Map<string, string>>();
  readonly history: HistoryEntry[] = [];
  readonly outbox: OutboxEntry[] = [];
  readonly processed: { event_id: string; topic: string; partition: number; offset: string }[] = [];
  readonly deferred: DeferredUpdate[] = [];

  // ----- source records -----

  setRecord(entry: RecordEntry): void {
    const { type, record } = entry;
    const k = recordKey(type, record.system, record.recordId);
    this.dropRecord(k);
    this.records.set(k, entry);
    this.knownRecords.add(k);
    addTo(this.recordsByMaster, masterKey(type, record.masterId), k);
    for (const b of entry.blockingKeys) addTo(this.recordsByBlock, blockKey(type, b), k);
  }

  /** Forget a record (a clean entry found stale): the next read asks the database. */
  dropRecord(k: string): void {
    const old = this.records.get(k);
    if (!old) return;
    this.records.delete(k);
    this.knownRecords.delete(k);
    this.recordsByMaster.get(masterKey(old.type, old.record.masterId))?.delete(k);
    for (const b of old.blockingKeys) this.recordsByBlock.get(blockKey(old.type, b))?.delete(k);
  }

  /** A clean row read from the database: ignored when this batch already changed the record. */
  readRecord(entry: Omit<RecordEntry, 'dirty'>): void {
    const k = recordKey(entry.type, entry.record.system, entry.record.recordId);
    const old = this.records.get(k);
    if (old?.dirty) return;
    // The same statement read again (candidates, then the master's records): nothing to re-index.
    if (
      old &&
      old.record.eventId === entry.record.eventId &&
      old.record.masterId === entry.record.masterId &&
      old.record.deleted === entry.record.deleted &&
      old.record.observedAt === entry.record.observedAt
    )
      return;
    this.setRecord({ ...entry, dirty: false });
  }

  recordsOf(type: EntityType, masterId: string): RecordEntry[] {
    const keys = this.recordsByMaster.get(masterKey(type, masterId)) ?? new Set<string>();
    return [...keys].flatMap((k) => this.records.get(k) ?? []);
  }

  // ----- identifiers -----

  setAlias(k: string, entry: AliasEntry | null, dirty: boolean): void {
    const old = this.aliases.get(k);
    if (old) this.aliasesByMaster.get(masterKey(old.type, old.masterId))?.delete(k);
    this.aliases.set(k, entry);
    if (entry) addTo(this.aliasesByMaster, masterKey(entry.type, entry.masterId), k);
    if (dirty) this.dirtyAliases.add(k);
  }

  readAlias(entry: AliasEntry): void {
    const k = aliasKey(entry.type, entry.scheme, entry.value);
    if (!this.dirtyAliases.has(k)) this.setAlias(k, entry, false);
  }

  dropAlias(k: string): void {
    if (this.dirtyAliases.has(k)) return;
    const old = this.aliases.get(k);
    if (old) this.aliasesByMaster.get(masterKey(old.type, old.masterId))?.delete(k);
    this.aliases.delete(k);
  }

  /**
   * Forget identifier rows read before their lock was taken, so the next read asks the database.
   * Rows this batch wrote stay, and so do those of masters it holds locked (a merge or a split,
   * the only moves of an existing row, locks the master first).
   */
  forgetAliases(keys: readonly string[]): void {
    for (const k of keys) {
      if (this.dirtyAliases.has(k)) continue;
      const old = this.aliases.get(k);
      if (old) {
        const owner = masterKey(old.type, old.masterId);
        if (this.loaded.has(owner)) continue;
        this.aliasesByMaster.get(owner)?.delete(k);
        // That master's identifier list is no longer complete here: read it again when asked.
        this.aliasesLoadedFor.delete(owner);
      }
      this.aliases.delete(k);
    }
  }

  aliasesOf(type: EntityType, masterId: string): AliasEntry[] {
    const keys = this.aliasesByMaster.get(masterKey(type, masterId)) ?? new Set<string>();
    return [...keys].flatMap((k) => this.aliases.get(k) ?? []);
  }

  // ----- links -----

  setLink(row: LinkRow, dirty: boolean): void {
    const k = linkKey(row.fromType, row.fromMasterId, row.relation);
    if (!dirty && this.dirtyLinks.has(k)) return;
    if (!dirty && this.replacedLinksFrom.has(masterKey(row.fromType, row.fromMasterId))) return;
    this.links.set(k, row);
    if (dirty) this.dirtyLinks.add(k);
  }

  /** Drop every outgoing link of a master (flush deletes its rows, then writes what is left here). */
  clearLinksFrom(type: EntityType, masterId: string): void {
    this.replacedLinksFrom.add(masterKey(type, masterId));
    for (const [k, l] of this.links) {
      if (l.fromType === type && l.fromMasterId === masterId) {
        this.links.delete(k);
        this.dirtyLinks.delete(k);
      }
    }
  }

  // ----- masters -----

  master(type: EntityType, id: string): MasterEntry | undefined {
    return this.masters.get(masterKey(type, id));
  }

  statusOf(type: EntityType, id: string): MasterStatus | undefined {
    return this.master(type, id)?.row.status ?? this.knownStatus.get(masterKey(type, id));
  }

  /**
   * Re-point everything of `absorbed` to `survivor` (records, identifiers, incoming links, older
   * merges, open tasks, the dossier timeline) and drop their outgoing links, as the per-statement
   * store's UPDATEs would; rows never loaded are fixed by the deferred updates at flush. The masters
   * must be loaded.
   */
  absorb(type: EntityType, survivor: string, absorbed: readonly string[]): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- reads like the store code it mirrors
    const s = this;
    const gone = new Set(absorbed);
    for (const a of absorbed) {
      for (const e of s.recordsOf(type, a))
        s.setRecord({ ...e, record: { ...e.record, masterId: survivor }, dirty: true });
      for (const al of s.aliasesOf(type, a))
        s.setAlias(aliasKey(type, al.scheme, al.value), { ...al, masterId: survivor }, true);
    }
    for (const l of [...s.links.values()])
      if (l.targetType === type && l.targetMasterId !== null && gone.has(l.targetMasterId))
        s.setLink({ ...l, targetMasterId: survivor }, true);
    for (const a of absorbed) s.clearLinksFrom(type, a);
    for (const m of s.masters.values())
      if (m.row.entityType === type && m.row.mergedInto !== null && gone.has(m.row.mergedInto)) {
        m.row = { ...m.row, mergedInto: survivor };
        m.dirty = true;
      }
    for (const t of s.reviewTasks.values())
      if (t.task.entityType === type && gone.has(t.task.masterId)) t.task = { ...t.task, masterId: survivor };
    s.deferred.push({ kind: 'merged_into', type, survivor, absorbed: [...absorbed] });
    s.deferred.push({ kind: 'review_tasks', type, survivor, absorbed: [...absorbed] });
    s.deferred.push({ kind: 'match_exclusions', type, survivor, absorbed: [...absorbed] });
    if (type === 'dossier') {
      const target = s.master(type, survivor);
      for (const a of absorbed) {
        const from = s.master(type, a);
        if (!from || !target) continue;
        for (const [k, row] of from.timeline) {
          if (!target.timeline.has(k)) {
            target.timeline.set(k, row);
            s.dirtyTimeline.set(`${survivor}\u0000${k}`, { masterId: survivor, row });
          }
          s.dirtyTimeline.delete(`${a}\u0000${k}`);
          s.deletedTimeline.push({ masterId: a, status: row.status, at: row.at });
        }
        from.timeline.clear();
      }
    }
  }
}
