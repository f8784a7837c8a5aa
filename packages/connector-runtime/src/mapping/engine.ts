import type { Operation } from '@hub/schemas';
import { normalise, type NormaliseContext, type NormaliserName } from './normalisers.js';
import type { FieldRule, Mapping } from './schema.js';
import { targetFields, type TargetField } from './targets.js';
import { deterministicEventId, rawJson } from './event-id.js';

/** A record as a source gave it (a row, a JSON object, a CSV line) before mapping. */
export interface SourceRecord {
  readonly data: Readonly<Record<string, unknown>>;
  /** DELETE when the source says the record is gone (soft-delete column, key comparison). */
  readonly operation?: Operation;
  /** Where it was read, for error messages: `citizens.csv line 17`, `page 3`. */
  readonly location?: string;
}

/** One precise problem with one record: which field, what is wrong, how to fix it. */
export interface RecordError {
  /** Canonical field (`dateOfBirth`, `applicant.personalId`), or `recordId` / `updatedAt`. */
  readonly field: string;
  /** The source field(s) the value came from. */
  readonly source?: string;
  readonly code: string;
  readonly problem: string;
  readonly hint?: string;
}

export interface SourceIdentity {
  readonly system: string;
  readonly connectorId: string;
  readonly agencyCode?: string | null;
}

/** A canonical observation as a producer writes it (one of the generated …ObservedInput types). */
export type ObservationInput = Record<string, unknown> & { eventId: string; occurredAt: number };

export type MappedRecord =
  | {
      readonly ok: true;
      readonly recordId: string;
      readonly key: string;
      readonly value: ObservationInput;
      readonly updatedAt: number | null;
      readonly raw: string;
      readonly location?: string;
    }
  | {
      readonly ok: false;
      readonly recordId: string | null;
      readonly key: string | null;
      readonly raw: string;
      readonly errors: readonly RecordError[];
      readonly location?: string;
    };

const NAME_FIELDS = /(^|\.)(fullName|fatherName|motherName|representativeName|name)$/;

/** The normaliser a canonical field implies when the mapping names none. */
export function defaultNormaliser(target: TargetField): NormaliserName {
  switch (target.kind) {
    case 'precisionDate':
      return 'date';
    case 'timestamp':
      return 'datetime';
    case 'day':
      return 'day';
    case 'address':
      return 'address';
    case 'legacyIds':
      return 'legacyId';
    case 'stringList':
      return 'list';
    case 'enum':
      return 'enum';
    case 'int':
      return 'int';
    case 'boolean':
      return 'boolean';
    case 'string':
      if (/(^|\.)personalId$|PersonalId$/.test(target.path)) return 'personalId';
      if (/(^|\.)(enterpriseCode|parentEnterpriseCode)$/.test(target.path)) return 'taxCode';
      if (target.path === 'dossierCode') return 'dossierCode';
      if (target.path.endsWith('phone')) return 'phone';
      if (target.path.endsWith('email')) return 'email';
      return NAME_FIELDS.test(target.path) && !target.path.startsWith('procedure') ? 'name' : 'text';
  }
}

/** Read `a.b.c` from a record: the exact key first (column names may contain dots), then the path. */
export function readPath(data: Readonly<Record<string, unknown>>, path: string): unknown {
  if (path in data) return data[path];
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    // `civilEvents[]`: the record's one item of that array.
    const next = part.endsWith('[]')
      ? (((cur[part.slice(0, -2)] ??= [{}]) as Record<string, unknown>[])[0] as Record<string, unknown>)
      : ((cur[part] ??= {}) as Record<string, unknown>);
    cur = next;
  }
  cur[parts[parts.length - 1] ?? path] = value;
}

function sourceOf(rule: FieldRule): string | undefined {
  if (rule.from !== undefined) return Array.isArray(rule.from) ? rule.from.join(' | ') : rule.from;
  if (rule.template !== undefined) return rule.template;
  return undefined;
}

/**
 * Turns source records into canonical observations with the declared field rules and the domain
 * library's normalisers. Never throws on bad data: every problem is returned with the canonical
 * field, the source field and a hint, so the record can be dead-lettered or rejected precisely.
 */
export class Mapper {
  private readonly targets: ReadonlyMap<string, TargetField>;
  private readonly rules: ReadonlyArray<readonly [TargetField, FieldRule, NormaliserName]>;

  constructor(
    readonly mapping: Mapping,
    private readonly identity: SourceIdentity,
    private readonly now: () => number = Date.now,
  ) {
    this.targets = targetFields(mapping.entity);
    this.rules = Object.entries(mapping.fields).map(([path, rule]) => {
      const target = this.targets.get(path);
      if (!target) throw new Error(`mapping names unknown field ${path}`); // the schema refuses this earlier
      return [target, rule, rule.normalise ?? defaultNormaliser(target)] as const;
    });
  }

  get entity() {
    return this.mapping.entity;
  }

  recordIdOf(data: Readonly<Record<string, unknown>>): string | null {
    const fields = Array.isArray(this.mapping.recordId) ? this.mapping.recordId : [this.mapping.recordId];
    const parts = fields.map((f) => readPath(data, f));
    if (parts.some(isBlank)) return null;
    return parts.map((p) => (p instanceof Date ? p.toISOString() : String(p as string | number))).join(':');
  }

  map(record: SourceRecord): MappedRecord {
    const raw = rawJson(record.data);
    const errors: RecordError[] = [];
    const loc = record.location === undefined ? {} : { location: record.location };
    const recordId = this.recordIdOf(record.data);
    if (recordId === null) {
      const src = Array.isArray(this.mapping.recordId)
        ? this.mapping.recordId.join(', ')
        : this.mapping.recordId;
      errors.push({
        field: 'recordId',
        source: src,
        code: 'RECORD_ID_MISSING',
        problem: 'the record id is blank',
        hint: `Every record needs a value in ${src}.`,
      });
    }
    let updatedAt: number | null = null;
    if (this.mapping.updatedAt) {
      const v = readPath(record.data, this.mapping.updatedAt);
      const r = normalise('datetime', v);
      if (!r.ok) errors.push({ field: 'updatedAt', source: this.mapping.updatedAt, ...r.error });
      else updatedAt = r.value as number | null;
    }
    const versionValue = this.mapping.version ? readPath(record.data, this.mapping.version) : undefined;
    const version = isBlank(versionValue) ? null : String(versionValue);
    const ctx = this.contextFor(record.data);
    const value: Record<string, unknown> = {};
    for (const [target, rule, normaliser] of this.rules) {
      const r = this.apply(target, rule, normaliser, record.data, ctx);
      if (!r.ok)
        errors.push({
          field: target.path,
          ...(sourceOf(rule) ? { source: sourceOf(rule) } : {}),
          ...r.error,
        });
      else if (r.value !== null) setPath(value, target.path, r.value);
    }
    for (const target of this.targets.values()) {
      if (!target.required || readPath(value, target.path) !== undefined) continue;
      if (target.kind === 'enum' && target.symbols?.includes('UNKNOWN'))
        setPath(value, target.path, 'UNKNOWN');
      else
        errors.push({
          field: target.path,
          code: 'REQUIRED',
          problem: 'is required and has no value',
          hint: `Fill the source field mapped to ${target.path}.`,
        });
    }
    const key = recordId === null ? null : `${this.identity.system}:${recordId}`;
    if (errors.length > 0 || recordId === null || key === null)
      return { ok: false, recordId, key, raw, errors, ...loc };
    const operation = record.operation ?? 'UPSERT';
    const eventId = deterministicEventId({
      system: this.identity.system,
      recordId,
      operation,
      version,
      updatedAt,
      raw,
    });
    const observation: ObservationInput = {
      eventId,
      occurredAt: updatedAt ?? this.now(),
      source: {
        system: this.identity.system,
        recordId,
        version,
        updatedAt,
        connectorId: this.identity.connectorId,
        agencyCode: this.identity.agencyCode ?? null,
        raw,
      },
      operation,
      ...value,
    };
    return { ok: true, recordId, key, value: observation, updatedAt, raw, ...loc };
  }

  /** Canonical fields a deletion of this record must carry (the entity's required fields). */
  identityOf(value: ObservationInput): Record<string, unknown> {
    const identity: Record<string, unknown> = {};
    for (const t of this.targets.values()) {
      const v = readPath(value, t.path);
      if (t.required && v !== undefined) setPath(identity, t.path, v);
    }
    return identity;
  }

  /**
   * A DELETE observation for a record the source no longer holds (found by key comparison). Its
   * eventId derives from the eventId of the last observation of the record, so a deletion re-sent
   * after a crash has the same eventId.
   */
  tombstone(
    recordId: string,
    identity: Readonly<Record<string, unknown>> | null,
    lastEventId: string | null,
  ): { key: string; value: ObservationInput; raw: string } {
    const raw = JSON.stringify({ recordId, deleted: true });
    const eventId = deterministicEventId({
      system: this.identity.system,
      recordId,
      operation: 'DELETE',
      version: lastEventId ?? '',
      updatedAt: null,
      raw,
    });
    const value: ObservationInput = {
      eventId,
      occurredAt: this.now(),
      source: {
        system: this.identity.system,
        recordId,
        connectorId: this.identity.connectorId,
        agencyCode: this.identity.agencyCode ?? null,
        raw,
      },
      operation: 'DELETE',
      ...(identity ?? {}),
    };
    return { key: `${this.identity.system}:${recordId}`, value, raw };
  }

  private contextFor(data: Readonly<Record<string, unknown>>): { at?: string } {
    const at = this.mapping.addressAt;
    if (!at) return {};
    if (/^\d{4}-\d{2}-\d{2}$/.test(at)) return { at };
    const r = normalise('date', readPath(data, at));
    if (!r.ok || r.value === null) return {};
    const d = r.value as { year: number; month: number | null; day: number | null };
    const pad = (n: number | null) => String(n ?? 1).padStart(2, '0');
    return { at: `${d.year}-${pad(d.month)}-${pad(d.day)}` };
  }

  private apply(
    target: TargetField,
    rule: FieldRule,
    normaliser: NormaliserName,
    data: Readonly<Record<string, unknown>>,
    ctx: { at?: string },
  ): { ok: true; value: unknown } | { ok: false; error: Omit<RecordError, 'field' | 'source'> } {
    let input: unknown;
    if (rule.const !== undefined) input = rule.const;
    else if (rule.template !== undefined) {
      input = rule.template
        .replace(/\{([^}]+)\}/g, (_, name: string) => {
          const v = readPath(data, name.trim());
          return isBlank(v) ? '' : String(v);
        })
        .trim();
    } else {
      const paths = Array.isArray(rule.from) ? rule.from : [rule.from ?? ''];
      input = paths.map((p) => readPath(data, p)).find((v) => !isBlank(v));
    }
    if (isBlank(input) && rule.default !== undefined) input = rule.default;
    if (isBlank(input)) {
      if (rule.required)
        return {
          ok: false,
          error: {
            code: 'REQUIRED',
            problem: 'is required but blank',
            hint: `Fill ${sourceOf(rule) ?? target.path} in the source.`,
          },
        };
      return { ok: true, value: null };
    }
    const nctx: NormaliseContext = {
      ...ctx,
      ...(target.symbols ? { symbols: target.symbols } : {}),
      ...(rule.map ? { map: rule.map } : {}),
    };
    const r = normalise(normaliser, input, nctx);
    if (!r.ok) return { ok: false, error: r.error };
    return { ok: true, value: r.value };
  }
}
