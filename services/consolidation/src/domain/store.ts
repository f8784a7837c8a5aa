import type { StatusChange } from '@hub/schemas';
import type { Pin } from './survivorship.js';
import type {
  EntityType,
  Identifier,
  LineageEntry,
  LinkSpec,
  MasterRow,
  MasterStatus,
  NewReviewTask,
  Observation,
  SourceRecord,
} from './types.js';

export interface IdentifierRow extends Identifier {
  readonly masterId: string;
  readonly primary: boolean;
}

/** Why two masters must stay apart. */
export interface Exclusion {
  readonly origin: 'KEEP_APART' | 'SPLIT';
  readonly reviewTaskId: number | null;
  readonly actor: string;
  readonly reason: string | null;
  readonly at: number;
}

export interface HistoryEntry {
  readonly entityType: EntityType;
  readonly masterId: string;
  readonly version: number;
  /** CREATED, UPDATED, MERGED_INTO, ABSORBED, SPLIT_FROM, SPLIT_OFF, DELETED, PINNED, … */
  readonly change: string;
  readonly snapshot: Record<string, unknown> | null;
  readonly changedAttributes: readonly string[];
  readonly eventId: string | null;
  /** `consolidation` for automatic changes, `steward:<id>` for a steward's. */
  readonly actor: string;
  readonly reason: string | null;
  readonly at: number;
  readonly relatedMasterId: string | null;
}

export interface OutboxEntry {
  readonly entityType: EntityType;
  readonly masterId: string;
  readonly version: number;
  /** The change kind of the master.* record: CREATED, UPDATED, MERGED, SPLIT, DELETED. */
  readonly change: 'CREATED' | 'UPDATED' | 'MERGED' | 'SPLIT' | 'DELETED';
  /** Golden record value, or null for a tombstone. */
  readonly payload: Record<string, unknown> | null;
  readonly occurredAt: number;
}

export interface MasterUpdate {
  readonly masterId: string;
  readonly status: MasterStatus;
  readonly version: number;
  readonly golden: Record<string, unknown> | null;
  readonly mergedInto: string | null;
  readonly mergedFrom: readonly string[];
  readonly lineageHash: string | null;
}

/**
 * Everything consolidation reads and writes, inside one database transaction. Reads see the
 * transaction's own writes; appends (history, lineage, outbox, processed events) may be buffered
 * and written by `flush()` before commit.
 */
export interface ConsolidationStore {
  /** Transaction-scoped advisory locks, taken in a fixed order (no lock-order deadlocks). */
  lock(keys: readonly string[]): Promise<void>;
  /**
   * Lock identifiers (`identifierLock`) a golden record links to, before their masters are looked
   * up, or that a merge moves, before the links to them are read: a transaction adding or moving
   * one of them and one linking to it are serialized, so neither misses the other (a link left
   * pending although its target exists, or pointing at a merged-away master). Locks already held
   * are skipped; whatever was read about the newly locked identifiers before is read again.
   */
  lockIdentifiers(ids: readonly (Identifier & { readonly type: EntityType })[]): Promise<void>;
  /**
   * Optional hint, after the locks: these observations are about to be applied in this order. A
   * store may read everything they are likely to need at once; results must not depend on it.
   */
  prepare?(type: EntityType, observations: readonly Observation[]): Promise<void>;
  processedEventIds(ids: readonly string[]): Promise<Set<string>>;
  markProcessed(eventId: string, topic: string, partition: number, offset: string): void;

  findIdentifiers(type: EntityType, ids: readonly Identifier[]): Promise<IdentifierRow[]>;
  identifiersOf(type: EntityType, masterIds: readonly string[]): Promise<IdentifierRow[]>;
  addIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primary: Identifier | null,
  ): Promise<void>;
  /** Rebuild a master's identifiers from its live source records (after a split or move). */
  replaceIdentifiers(
    type: EntityType,
    masterId: string,
    ids: readonly Identifier[],
    primaries: readonly Identifier[],
  ): Promise<void>;

  findSourceRecord(type: EntityType, system: string, recordId: string): Promise<SourceRecord | undefined>;
  /**
   * Source records sharing a blocking key, of active masters only, the first `limit` in (system,
   * record id) order. With `primaries`, only records of masters holding no primary number outside
   * them (the others are a different entity whatever the score), and the limit counts only those.
   */
  candidates(
    type: EntityType,
    keys: readonly string[],
    limit: number,
    primaries?: readonly string[],
  ): Promise<SourceRecord[]>;
  sourceRecordsOf(type: EntityType, masterId: string): Promise<SourceRecord[]>;
  upsertSourceRecord(type: EntityType, record: SourceRecord, blockingKeys: readonly string[]): Promise<void>;
  moveSourceRecords(
    type: EntityType,
    refs: readonly { system: string; recordId: string }[],
    toMasterId: string,
  ): Promise<void>;

  createMaster(type: EntityType, masterId: string): Promise<MasterRow>;
  /** Lock and read masters (FOR UPDATE), in id order. */
  lockMasters(type: EntityType, masterIds: readonly string[]): Promise<MasterRow[]>;
  saveMaster(type: EntityType, update: MasterUpdate): Promise<void>;
  /** The masters a steward declared different from this one (keep-apart, split): never matched with it. */
  excludedWith(type: EntityType, masterId: string): Promise<Set<string>>;
  /** Re-point everything of `absorbed` (records, identifiers, links, timeline) to `survivor`. */
  absorb(type: EntityType, survivor: string, absorbed: readonly string[]): Promise<void>;

  /**
   * After a merge (its master rows saved): close the open POSSIBLE_MATCH tasks whose two sides now
   * resolve to the same master — the merge settled them — with a resolution note.
   */
  closeSettledMatches(
    type: EntityType,
    survivor: string,
    absorbed: readonly string[],
    cause: { readonly actor: string; readonly at: number },
  ): Promise<void>;

  pins(type: EntityType, masterId: string): Promise<Pin[]>;
  /**
   * Buffer the master's lineage (written at flush). `previous` is the master row's `lineage_hash`
   * before this recompute: what the lineage rows hold, so that only the difference is written.
   */
  replaceLineage(
    type: EntityType,
    masterId: string,
    lineage: readonly LineageEntry[],
    at: number,
    previous: string | null,
  ): void;
  addHistory(entry: HistoryEntry): void;
  addOutbox(entry: OutboxEntry): void;
  openReviewTask(task: NewReviewTask, at: number): Promise<void>;
  /**
   * The attributes of a master in conflict after its latest recompute in this transaction. At
   * `flush`, after the tasks it opened, the master's OPEN ATTRIBUTE_CONFLICT tasks on any other
   * attribute are closed: its sources no longer disagree there (a record was corrected, deleted or
   * split off, or a more authoritative source now decides). Only the last call per master counts.
   */
  settleConflicts(
    type: EntityType,
    masterId: string,
    inConflict: readonly string[],
    cause: { readonly actor: string; readonly at: number },
  ): void;

  /** Replace the outgoing links of a master; returns the resolved target per relation. */
  replaceLinks(
    type: EntityType,
    masterId: string,
    links: readonly LinkSpec[],
  ): Promise<Map<string, string | null>>;
  /** A master now holds these identifiers: point pending links at it; returns the masters linking to it. */
  resolveLinks(
    targetType: EntityType,
    ids: readonly Identifier[],
    masterId: string,
  ): Promise<{ type: EntityType; masterId: string }[]>;
  /** Masters with a link to one of these masters. */
  linkingTo(
    targetType: EntityType,
    masterIds: readonly string[],
  ): Promise<{ type: EntityType; masterId: string }[]>;

  addTimeline(
    masterId: string,
    entry: StatusChange,
    source: { system: string; recordId: string },
    eventId: string,
  ): Promise<void>;
  timeline(masterId: string): Promise<StatusChange[]>;

  /** Write buffered appends. */
  flush(): Promise<void>;
}
