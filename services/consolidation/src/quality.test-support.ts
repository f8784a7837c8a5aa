/**
 * Matching quality against the generator's truth file: the seeded population of `@hub/departments`
 * (default noise profiles) is turned into canonical observations by the connectors' own mapping
 * library (`@hub/connector-runtime` Mapper with the department files of `connectors/config`; rows
 * of sql-poll sources with `joins` carry their referenced rows through the runtime's `memoryJoin`,
 * the in-memory form of sql-poll's LEFT JOIN with the same record shaping), run through the
 * consumer's batch handler into PostgreSQL, and the resulting master of every source record is
 * compared with its true entity: pairwise precision, recall and F1 per dataset, for pairs
 * of records that both carry a strong identifier and for pairs where at least one carries none.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import type { Knex } from 'knex';
import { parse as parseYaml } from 'yaml';
import {
  Mapper,
  MappingSchema,
  memoryJoin,
  SourceJoinSchema,
  targetFields,
  type Mapping,
  type SourceJoin,
} from '@hub/connector-runtime';
import { DEFAULT_AS_OF, DEPARTMENT_IDS, renderWorld, SOCIAL_HEADERS } from '@hub/departments';
import { silentLogger } from '@hub/log';
import { catalog } from '@hub/schemas';
import { decodeTcvn3 } from '@hub/vn';
import { createObservationHandler } from './consumers/observations.consumer.js';
import { Consolidator, type MatchingConfig } from './domain/consolidator.js';
import type { AuthorityConfig } from './domain/survivorship.js';
import { ENTITY_TYPES, type EntityType, type Observation } from './domain/types.js';
import { consumePartitioned } from './handler.test-support.js';
import { KINDS } from './kinds.js';
import { createMetrics } from './metrics.js';

const CONFIG_DIR = fileURLToPath(new URL('../../../connectors/config/departments/', import.meta.url));

/** The authorities of `.env.example` (the deployment default). */
export const QUALITY_AUTHORITIES: AuthorityConfig = {
  identity: ['police-residence', 'civil-status'],
  residence: ['police-residence'],
  civilStatus: ['civil-status'],
  businessRegistration: ['business-registry'],
  dossier: ['one-stop'],
};

export const DEFAULT_MATCHING: MatchingConfig = {
  thresholds: { citizen: { upper: 22, lower: 14 }, business: { upper: 20, lower: 12 } },
  maxCandidates: 200,
};

interface MappingFile {
  readonly id: string;
  readonly system: string;
  /** Which rendered records it reads: `<department>/<table>`. */
  readonly reads: string;
  readonly mapper: Mapper;
  readonly softDelete?: { column: string; deletedValues: unknown[] };
  /** sql-poll `source.joins`: rows of other tables of the source read with each row. */
  readonly joins: readonly SourceJoin[];
  /** Truth: which related entity a record of this file is about (marriages: husband / wife). */
  readonly role?: string;
}

type Yaml = Record<string, unknown> & {
  id: string;
  kind: string;
  source?: Record<string, unknown>;
  mapping?: unknown;
  sources?: { system: string; entities: Record<string, { mapping: unknown }> }[];
};

/** A mapping as the connector would run it (fields the installed runtime does not know are dropped). */
function mapperOf(raw: unknown, id: string, system: string): Mapper {
  // A record without an update time is stamped with the read time: the as-of date of the world.
  const mapping: Mapping = MappingSchema.parse(raw);
  const known = targetFields(mapping.entity);
  const fields = Object.fromEntries(Object.entries(mapping.fields).filter(([path]) => known.has(path)));
  return new Mapper({ ...mapping, fields }, { system, connectorId: id }, () => READ_AT);
}

const READ_AT = Date.parse(`${DEFAULT_AS_OF}T12:00:00Z`);

const TABLE_OF_SOCIAL: Record<string, string> = {
  'social-protection-tq': 'xlsx',
  'social-protection-hg': 'legacy_csv',
};

/** The department connector files, each with the rendered table it reads. */
export function loadMappingFiles(dir = CONFIG_DIR): MappingFile[] {
  const out: MappingFile[] = [];
  for (const kindDir of readdirSync(dir).sort()) {
    for (const file of readdirSync(join(dir, kindDir)).sort()) {
      if (!/\.ya?ml$/.test(file)) continue;
      const y = parseYaml(readFileSync(join(dir, kindDir, file), 'utf8')) as Yaml;
      if (y.kind === 'http-ingest') {
        for (const s of y.sources ?? []) {
          const citizen = s.entities.citizen;
          if (s.system === 'police-residence' && citizen)
            out.push({
              id: y.id,
              system: s.system,
              reads: 'police-residence/events',
              mapper: mapperOf(citizen.mapping, y.id, s.system),
              joins: [],
            });
        }
        continue;
      }
      const source = y.source ?? {};
      const system = String(source.system);
      const table =
        y.kind === 'file-drop'
          ? TABLE_OF_SOCIAL[y.id]
          : y.kind === 'rest-poll'
            ? 'dossiers'
            : (source.table as string | undefined);
      if (!table) continue;
      const soft = (source.softDelete ?? undefined) as
        { column?: string; field?: string; deletedValues: unknown[] } | undefined;
      out.push({
        id: y.id,
        system,
        reads: `${system}/${table}`,
        mapper: mapperOf(y.mapping, y.id, system),
        joins: SourceJoinSchema.array().parse(source.joins ?? []),
        ...(soft
          ? { softDelete: { column: soft.column ?? soft.field ?? '', deletedValues: soft.deletedValues } }
          : {}),
        ...(y.id.endsWith('-ket-hon-chong') ? { role: 'husband' } : {}),
        ...(y.id.endsWith('-ket-hon-vo') ? { role: 'wife' } : {}),
      });
    }
  }
  return out;
}

const TYPE_OF: Record<string, EntityType> = { citizen: 'citizen', business: 'business', dossier: 'dossier' };

/** How a file connector sees a social-protection row: its header names, text cells, TCVN3 repaired. */
function asFileRow(table: string, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, header] of Object.entries(SOCIAL_HEADERS)) {
    const v = row[column];
    const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
    out[header] = table === 'legacy_csv' ? decodeTcvn3(text) : v;
  }
  return out;
}

export interface LabelledObservation {
  readonly type: EntityType;
  readonly observation: Observation;
  /** The true entity the record is about. */
  readonly entity: string;
}

export interface Population {
  readonly observations: LabelledObservation[];
  /** Rendered records no mapping reads, and mapped records the mapping rejected. */
  readonly unmapped: number;
  readonly rejected: number;
}

const codecs = new Map<EntityType, avro.Type>();
/** Fill the canonical defaults the way the Avro encoding on the topic does. */
function canonical(type: EntityType, value: Record<string, unknown>): Observation {
  let codec = codecs.get(type);
  if (!codec) {
    codec = avro.Type.forSchema(catalog().forTopic(`obs.${type}`) as avro.Schema);
    codecs.set(type, codec);
  }
  return codec.fromBuffer(codec.toBuffer(value)) as Observation;
}

/** The generator's population, mapped by the connectors' mappings, labelled with the truth file. */
export function population(options: { seed: number; people: number; configDir?: string }): Population {
  const files = loadMappingFiles(options.configDir);
  const byTable = new Map<string, MappingFile[]>();
  for (const f of files) byTable.set(f.reads, [...(byTable.get(f.reads) ?? []), f]);
  const observations: LabelledObservation[] = [];
  let unmapped = 0;
  let rejected = 0;
  // The whole world first: a joined row may reference any row of its source's tables, as in SQL.
  const households = [...renderWorld({ seed: options.seed, people: options.people })];
  const tables = new Map<string, Record<string, unknown>[]>();
  for (const { records } of households)
    for (const d of DEPARTMENT_IDS)
      for (const r of records[d]) {
        const rows = tables.get(`${d}/${r.table}`) ?? [];
        rows.push(r.row);
        tables.set(`${d}/${r.table}`, rows);
      }
  // sql-poll's joins (LEFT JOIN on the referenced key, the referenced row's soft delete applied),
  // over the rendered tables: the same join definition and record shaping as SqlSource.
  const joined = new Map(
    files
      .filter((f) => f.joins.length > 0)
      .map((f) => [f, memoryJoin(f.joins, (table) => tables.get(`${f.system}/${table}`) ?? [])] as const),
  );
  for (const { records } of households) {
    for (const d of DEPARTMENT_IDS) {
      for (const r of records[d]) {
        const readers = byTable.get(`${d}/${r.table}`);
        if (!readers) {
          unmapped++;
          continue;
        }
        const row = d === 'social-protection' ? asFileRow(r.table, r.row) : r.row;
        for (const f of readers) {
          const data = joined.get(f)?.(row) ?? row;
          const soft = f.softDelete;
          const deleted = soft !== undefined && soft.deletedValues.some((v) => v === data[soft.column]);
          const mapped = f.mapper.map({ data, operation: deleted ? 'DELETE' : 'UPSERT' });
          if (!mapped.ok) {
            rejected++;
            continue;
          }
          const type = TYPE_OF[f.mapper.entity];
          if (!type) continue;
          // Same label form for both (`person:P…`): a spouse is the person other records name.
          const related = f.role ? r.truth.related?.find((x) => x.role === f.role) : undefined;
          const entity = f.role
            ? related && `${related.type}:${related.id}`
            : `${r.truth.entityType}:${r.truth.entityId}`;
          if (!entity) {
            rejected++;
            continue;
          }
          observations.push({ type, observation: canonical(type, mapped.value), entity });
        }
      }
    }
  }
  // A replay in source time order per dataset (as connectors deliver after an initial load).
  observations.sort(
    (a, b) =>
      a.observation.occurredAt - b.observation.occurredAt ||
      (a.observation.eventId < b.observation.eventId ? -1 : 1),
  );
  return { observations, unmapped, rejected };
}

/**
 * Runs the observations through the consumer's batch handler (set-based path), batch by batch, on
 * `partitions` partitions consumed concurrently (one by default).
 */
export async function consolidate(
  db: Knex,
  observations: readonly LabelledObservation[],
  opts: {
    batchSize?: number;
    /** Partitions consumed concurrently, spread by message key (the service's default is 2). */
    partitions?: number;
    matching?: MatchingConfig;
    authorities?: AuthorityConfig;
    /** After each committed batch: the dataset, observations of it done and its total. */
    onBatch?: (type: EntityType, done: number, total: number) => void;
  } = {},
): Promise<{ deadLettered: number; retries: number }> {
  const consolidator = new Consolidator({
    kinds: KINDS,
    authorities: opts.authorities ?? QUALITY_AUTHORITIES,
    matching: opts.matching ?? DEFAULT_MATCHING,
  });
  const handler = createObservationHandler({
    db,
    consolidator,
    kinds: KINDS,
    groupId: 'quality',
    topicTypes: new Map(ENTITY_TYPES.map((t) => [`obs.${t}`, t])),
    metrics: createMetrics(),
    logger: silentLogger(),
  });
  let deadLettered = 0;
  let retries = 0;
  // Businesses before dossiers, citizens first: links resolve either way; this is the usual lag order.
  for (const type of ENTITY_TYPES) {
    const list = observations.filter((o) => o.type === type).map((o) => o.observation);
    const r = await consumePartitioned(handler, `obs.${type}`, list, {
      partitions: opts.partitions ?? 1,
      batchSize: opts.batchSize ?? 500,
      deadLetter: () => {
        deadLettered++;
        return Promise.resolve();
      },
      onBatch: (done) => opts.onBatch?.(type, done, list.length),
    });
    retries += r.retries;
  }
  return { deadLettered, retries };
}

export interface PairCounts {
  /** Record pairs in one master and one true entity / in one master / in one true entity. */
  tp: number;
  predicted: number;
  truth: number;
}

export interface Figures extends PairCounts {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface DatasetQuality {
  readonly records: number;
  readonly recordsWithStrongId: number;
  readonly recordsWithoutStrongId: number;
  readonly entities: number;
  readonly masters: number;
  readonly overall: Figures;
  /** Pairs of two records that both carry a strong identifier. */
  readonly withStrongId: Figures;
  /** Pairs where at least one record carries no strong identifier (probabilistic decisions). */
  readonly withoutStrongId: Figures;
  /**
   * The same over records that carry a strong identifier or a birth date: records with a name only
   * (before the joins: marriage and death registrations; now those whose person row lacks both)
   * cannot be told apart from namesakes.
   */
  readonly nameOnlyRecords: number;
  readonly resolvable: { readonly overall: Figures; readonly withoutStrongId: Figures };
  /** Records without a strong identifier whose arrival opened a POSSIBLE_MATCH task, over those records. */
  readonly reviewRate: number;
  readonly reviewTasks: Record<string, number>;
  /**
   * Open POSSIBLE_MATCH tasks by score band (2 points wide, from the lower threshold): how many, and
   * how many pair two masters holding records of one true person — what a steward confirming them
   * would gain, and what a higher lower threshold would cost. Tasks naming a master merged away
   * since count in neither share.
   */
  readonly reviewBands: readonly {
    readonly from: number;
    readonly tasks: number;
    readonly samePerson: number;
  }[];
}

const pairs = (n: number): number => (n * (n - 1)) / 2;

function figures(c: PairCounts): Figures {
  const precision = c.predicted === 0 ? 1 : c.tp / c.predicted;
  const recall = c.truth === 0 ? 1 : c.tp / c.truth;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...c, precision, recall, f1 };
}

/**
 * Pairwise counts over records labelled (master, entity, strong): pairs are split into
 * "both strong" and "at least one without" by counting per cell.
 */
export function pairwise(records: readonly { master: string; entity: string; strong: boolean }[]): {
  overall: Figures;
  strong: Figures;
  weak: Figures;
} {
  const count = (key: (r: (typeof records)[number]) => string) => {
    const all = new Map<string, number>();
    const strong = new Map<string, number>();
    for (const r of records) {
      const k = key(r);
      all.set(k, (all.get(k) ?? 0) + 1);
      if (r.strong) strong.set(k, (strong.get(k) ?? 0) + 1);
    }
    let a = 0;
    let s = 0;
    for (const n of all.values()) a += pairs(n);
    for (const n of strong.values()) s += pairs(n);
    return { all: a, strong: s };
  };
  const tp = count((r) => `${r.master}\u0000${r.entity}`);
  const predicted = count((r) => r.master);
  const truth = count((r) => r.entity);
  return {
    overall: figures({ tp: tp.all, predicted: predicted.all, truth: truth.all }),
    strong: figures({ tp: tp.strong, predicted: predicted.strong, truth: truth.strong }),
    weak: figures({
      tp: tp.all - tp.strong,
      predicted: predicted.all - predicted.strong,
      truth: truth.all - truth.strong,
    }),
  };
}

/** Compares the consolidated tables with the truth. */
export async function measure(
  db: Knex,
  observations: readonly LabelledObservation[],
): Promise<Record<EntityType, DatasetQuality>> {
  // The latest statement of each source record decides its strong identifiers; its truth is fixed.
  const latest = new Map<string, LabelledObservation>();
  for (const o of observations)
    latest.set(`${o.type}\u0000${o.observation.source.system}\u0000${o.observation.source.recordId}`, o);
  const rows: { entity_type: string; source_system: string; source_record_id: string; master_id: string }[] =
    await db('source_records').select('entity_type', 'source_system', 'source_record_id', 'master_id');
  const masterOf = new Map(
    rows.map((r) => [`${r.entity_type}\u0000${r.source_system}\u0000${r.source_record_id}`, r.master_id]),
  );
  const tasks: {
    entity_type: string;
    kind: string;
    status: string;
    master_id: string;
    other_master_id: string | null;
    details: { source?: string; sourceRecordId?: string; score?: number };
  }[] = await db('review_tasks').select(
    'entity_type',
    'kind',
    'status',
    'master_id',
    'other_master_id',
    'details',
  );
  const out = {} as Record<EntityType, DatasetQuality>;
  for (const type of ENTITY_TYPES) {
    const labelled: { master: string; entity: string; strong: boolean; nameOnly: boolean }[] = [];
    const weakKeys = new Set<string>();
    for (const [key, o] of latest) {
      if (o.type !== type) continue;
      const master = masterOf.get(key);
      if (master === undefined) continue; // dead-lettered
      const strong = KINDS[type].identifiers(o.observation).length > 0;
      if (!strong) weakKeys.add(`${o.observation.source.system}\u0000${o.observation.source.recordId}`);
      const dob = 'dateOfBirth' in o.observation ? o.observation.dateOfBirth : undefined;
      labelled.push({ master, entity: o.entity, strong, nameOnly: !strong && dob === null });
    }
    const { overall, strong, weak } = pairwise(labelled);
    const resolvable = pairwise(labelled.filter((l) => !l.nameOnly));
    const ofType = tasks.filter((t) => t.entity_type === type);
    const reviewed = new Set(
      ofType
        .filter((t) => t.kind === 'POSSIBLE_MATCH')
        .map((t) => `${t.details.source ?? ''}\u0000${t.details.sourceRecordId ?? ''}`)
        .filter((k) => weakKeys.has(k)),
    );
    const byKind: Record<string, number> = {};
    for (const t of ofType) byKind[t.kind] = (byKind[t.kind] ?? 0) + 1;
    const entitiesOf = new Map<string, Set<string>>();
    for (const l of labelled) entitiesOf.set(l.master, (entitiesOf.get(l.master) ?? new Set()).add(l.entity));
    const bands = new Map<number, { from: number; tasks: number; samePerson: number }>();
    for (const t of ofType) {
      if (t.kind !== 'POSSIBLE_MATCH' || t.status !== 'OPEN' || typeof t.details.score !== 'number') continue;
      const from = 2 * Math.floor(t.details.score / 2);
      const band = bands.get(from) ?? { from, tasks: 0, samePerson: 0 };
      band.tasks++;
      const [a, b] = [entitiesOf.get(t.master_id), entitiesOf.get(t.other_master_id ?? '')];
      if (a && b && [...a].some((e) => b.has(e))) band.samePerson++;
      bands.set(from, band);
    }
    out[type] = {
      records: labelled.length,
      recordsWithStrongId: labelled.filter((l) => l.strong).length,
      recordsWithoutStrongId: labelled.filter((l) => !l.strong).length,
      entities: new Set(labelled.map((l) => l.entity)).size,
      masters: new Set(labelled.map((l) => l.master)).size,
      overall,
      withStrongId: strong,
      withoutStrongId: weak,
      nameOnlyRecords: labelled.filter((l) => l.nameOnly).length,
      resolvable: { overall: resolvable.overall, withoutStrongId: resolvable.weak },
      reviewRate: weakKeys.size === 0 ? 0 : reviewed.size / weakKeys.size,
      reviewTasks: byKind,
      reviewBands: [...bands.values()].sort((x, y) => x.from - y.from),
    };
  }
  return out;
}
