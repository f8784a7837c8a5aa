import type { Knex } from 'knex';
import { BUSINESS_WEIGHTS } from '../domain/business.kind.js';
import { CITIZEN_WEIGHTS } from '../domain/citizen-matching.js';
import { fieldScoresOf, type Agreement, type FieldWeights } from '../domain/fellegi-sunter.js';
import type { ReviewTask } from '../domain/steward.js';
import type { EntityType } from '../domain/types.js';
import { MASTER_TABLE } from './tables.js';

/** A review task as the steward console reads it (README "HTTP API"). */
export interface ReviewTaskView {
  readonly id: number;
  readonly entityType: EntityType;
  readonly kind: ReviewTask['kind'];
  readonly status: ReviewTask['status'];
  readonly createdAt: string | null;
  readonly masterId: string;
  readonly otherMasterId: string | null;
  readonly attribute: string | null;
  readonly totalScore: number | null;
  readonly details: Record<string, unknown>;
  readonly candidates: {
    masterId: string;
    /** The id the task was raised on, when that master has since been merged into `masterId`. */
    resolvedFrom: string | null;
    attributes: Record<string, unknown>;
    sources: { system: string; recordId: string }[];
  }[];
  readonly fieldScores: {
    field: string;
    comparison: string;
    agreement: string;
    left: unknown;
    right: unknown;
    score: number;
    weight: number | null;
  }[];
}

const WEIGHTS: Partial<Record<EntityType, Readonly<Record<string, FieldWeights>>>> = {
  citizen: CITIZEN_WEIGHTS,
  business: BUSINESS_WEIGHTS,
};

/** Compared field → the golden attribute shown next to it (absent: the comparison name is kept). */
const GOLDEN_ATTRIBUTE: Partial<Record<EntityType, Readonly<Record<string, string>>>> = {
  citizen: { name: 'fullName', dateOfBirth: 'dateOfBirth', sex: 'sex' },
  business: { name: 'name', representative: 'representativePersonalId', registeredOn: 'registeredOn' },
};

/** Commune codes of the addresses in a golden record (what the matcher compares as `commune`). */
function communesOf(golden: Record<string, unknown>): string[] | null {
  const out = new Set<string>();
  for (const v of Object.values(golden)) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const a = v as { currentCommuneCodes?: unknown; communeCode?: unknown };
    if (Array.isArray(a.currentCommuneCodes) && a.currentCommuneCodes.length)
      for (const c of a.currentCommuneCodes) out.add(String(c));
    else if (typeof a.communeCode === 'string') out.add(a.communeCode);
  }
  return out.size ? [...out].sort() : null;
}

interface StoredFieldScore {
  field: string;
  agreement: string;
  score: number;
  weight?: number | null;
}

function storedFieldScores(type: EntityType, details: Record<string, unknown>): StoredFieldScore[] {
  if (Array.isArray(details.fieldScores)) return details.fieldScores as StoredFieldScore[];
  // Tasks raised before per-field scores were stored: derive them from the stored agreements.
  const weights = WEIGHTS[type];
  const fields = details.fields;
  if (!weights || !fields || typeof fields !== 'object') return [];
  return fieldScoresOf(weights, fields as Record<string, Agreement>);
}

interface TaskRowExtra {
  readonly createdAt: Date | string | null;
}

/** Both masters of each task side by side, with their golden attributes, sources and field scores. */
export async function reviewTaskViews(
  db: Knex,
  tasks: readonly (ReviewTask & TaskRowExtra)[],
): Promise<ReviewTaskView[]> {
  const byType = new Map<EntityType, Set<string>>();
  for (const t of tasks) {
    const ids = byType.get(t.entityType) ?? new Set<string>();
    ids.add(t.masterId);
    if (t.otherMasterId) ids.add(t.otherMasterId);
    byType.set(t.entityType, ids);
  }
  const masters = new Map<string, { golden: Record<string, unknown> | null; mergedInto: string | null }>();
  const key = (type: EntityType, id: string): string => `${type}\u0000${id}`;
  const sources = new Map<string, { system: string; recordId: string }[]>();
  for (const [type, ids] of byType) {
    const load = async (list: string[]): Promise<string[]> => {
      const rows = (await db(MASTER_TABLE[type])
        .select('master_id', 'golden', 'merged_into')
        .whereIn('master_id', list)) as {
        master_id: string;
        golden: Record<string, unknown> | null;
        merged_into: string | null;
      }[];
      for (const r of rows)
        masters.set(key(type, r.master_id), { golden: r.golden, mergedInto: r.merged_into });
      return rows
        .map((r) => r.merged_into)
        .filter((m): m is string => m !== null && !masters.has(key(type, m)));
    };
    // Follow merged_into (a merge chain is short; bounded to be safe).
    let pending = [...ids];
    for (let i = 0; i < 5 && pending.length; i++) pending = await load(pending);
    const prefix = `${type}\u0000`;
    const all = [...masters.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    const rows = (await db('source_records')
      .select('master_id', 'source_system as system', 'source_record_id as recordId')
      .where('entity_type', type)
      .whereIn('master_id', all)
      .orderBy(['source_system', 'source_record_id'])) as {
      master_id: string;
      system: string;
      recordId: string;
    }[];
    for (const r of rows) {
      const list = sources.get(key(type, r.master_id)) ?? [];
      list.push({ system: r.system, recordId: r.recordId });
      sources.set(key(type, r.master_id), list);
    }
  }
  const current = (type: EntityType, id: string): string => {
    let at = id;
    for (let i = 0; i < 10; i++) {
      const next = masters.get(key(type, at))?.mergedInto;
      if (!next) break;
      at = next;
    }
    return at;
  };
  return tasks.map((t) => {
    const type = t.entityType;
    const candidates = [t.masterId, ...(t.otherMasterId ? [t.otherMasterId] : [])].map((asked) => {
      const id = current(type, asked);
      return {
        masterId: id,
        resolvedFrom: id === asked ? null : asked,
        attributes: masters.get(key(type, id))?.golden ?? {},
        sources: sources.get(key(type, id)) ?? [],
      };
    });
    const [left, right] = candidates;
    const mapping = GOLDEN_ATTRIBUTE[type] ?? {};
    const fieldScores = storedFieldScores(type, t.details).map((f) => {
      const attribute = mapping[f.field];
      const valueOf = (c: (typeof candidates)[number] | undefined): unknown => {
        if (!c) return null;
        if (attribute) return c.attributes[attribute] ?? null;
        if (f.field === 'commune') return communesOf(c.attributes);
        return c.attributes[f.field] ?? null;
      };
      return {
        field: attribute ?? f.field,
        comparison: f.field,
        agreement: f.agreement,
        left: valueOf(left),
        right: valueOf(right),
        score: f.score,
        weight: f.weight ?? null,
      };
    });
    const score = t.details.score;
    return {
      id: t.id,
      entityType: type,
      kind: t.kind,
      status: t.status,
      createdAt:
        t.createdAt === null
          ? null
          : t.createdAt instanceof Date
            ? t.createdAt.toISOString()
            : String(t.createdAt),
      masterId: t.masterId,
      otherMasterId: t.otherMasterId,
      attribute: t.attribute,
      totalScore: typeof score === 'number' ? score : null,
      details: t.details,
      candidates,
      fieldScores,
    };
  });
}
