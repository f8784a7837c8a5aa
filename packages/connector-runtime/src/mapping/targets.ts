import { catalog, type AvroJson } from '@hub/schemas';

/** The canonical entities a connector can produce, with their observation topics. */
export const ENTITIES = ['citizen', 'business', 'dossier'] as const;
export type Entity = (typeof ENTITIES)[number];

export const DEFAULT_TOPICS: Readonly<Record<Entity, string>> = {
  citizen: 'obs.citizen',
  business: 'obs.business',
  dossier: 'obs.dossier',
};

/** What a canonical field holds, as far as mapping is concerned. */
export type TargetKind =
  | 'string'
  | 'int'
  | 'boolean'
  | 'enum'
  | 'timestamp'
  | 'day'
  | 'precisionDate'
  | 'address'
  | 'stringList'
  | 'legacyIds';

export interface TargetField {
  /** Dotted path in the observation, e.g. `fullName`, `applicant.personalId`. */
  readonly path: string;
  readonly kind: TargetKind;
  /** Enum symbols, for `enum`. */
  readonly symbols?: readonly string[];
  /** The record cannot be published without a value (non-null and no default). */
  readonly required: boolean;
  readonly doc?: string;
  /**
   * Set for a field of an item of an array of records (`civilEvents[].kind`): the array's path. A
   * source record maps to one item of that array (a birth registration row → one BIRTH event).
   */
  readonly itemOf?: string;
}

/** Fields the runtime fills itself; a mapping never names them. */
const RESERVED = new Set(['eventId', 'occurredAt', 'source', 'operation']);

type AvroObject = { [key: string]: AvroJson };

function isObject(v: AvroJson | undefined): v is AvroObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fullName(def: AvroObject): string {
  const name = typeof def.name === 'string' ? def.name : '';
  return typeof def.namespace === 'string' && !name.includes('.') ? `${def.namespace}.${name}` : name;
}

class Walker {
  private readonly named = new Map<string, AvroObject>();
  readonly fields: TargetField[] = [];

  /** Resolve a type reference, remembering named definitions (bundles inline each type once). */
  private resolve(t: AvroJson | undefined, ns: string | undefined): AvroJson | undefined {
    if (typeof t === 'string')
      return this.named.get(t) ?? (ns ? this.named.get(`${ns}.${t}`) : undefined) ?? t;
    if (isObject(t) && (t.type === 'record' || t.type === 'enum')) {
      const def = { ...t };
      if (typeof def.namespace !== 'string' && ns) def.namespace = ns;
      this.named.set(fullName(def), def);
      return def;
    }
    return t;
  }

  record(def: AvroObject, prefix: string, ns: string | undefined, itemOf?: string): void {
    const innerNs = typeof def.namespace === 'string' ? def.namespace : ns;
    for (const f of Array.isArray(def.fields) ? def.fields : []) {
      if (!isObject(f) || typeof f.name !== 'string') continue;
      if (!prefix && RESERVED.has(f.name)) {
        this.resolve(f.type, innerNs); // still learn the named types (SourceMetadata …)
        continue;
      }
      let t = f.type;
      let optional = 'default' in f;
      if (Array.isArray(t)) {
        optional = optional || t.includes('null');
        const nonNull = t.filter((x) => x !== 'null');
        t = nonNull[0];
      }
      const resolved = this.resolve(t, innerNs);
      this.field(
        `${prefix}${f.name}`,
        resolved,
        // Inside an array item nothing is required of the record: the array defaults to [].
        !optional && itemOf === undefined,
        typeof f.doc === 'string' ? f.doc : undefined,
        innerNs,
        itemOf,
      );
    }
  }

  private field(
    path: string,
    t: AvroJson | undefined,
    required: boolean,
    doc: string | undefined,
    ns: string | undefined,
    itemOf?: string,
  ): void {
    const push = (kind: TargetKind, symbols?: readonly string[]): void => {
      this.fields.push({
        path,
        kind,
        required,
        ...(symbols ? { symbols } : {}),
        ...(doc ? { doc } : {}),
        ...(itemOf ? { itemOf } : {}),
      });
    };
    if (t === 'string') return push('string');
    if (t === 'int' || t === 'long') return push('int');
    if (t === 'boolean') return push('boolean');
    if (!isObject(t)) return;
    if (t.logicalType === 'timestamp-millis') return push('timestamp');
    if (t.logicalType === 'date') return push('day');
    if (t.type === 'enum') return push('enum', (t.symbols as string[] | undefined) ?? []);
    if (t.type === 'record') {
      const name = fullName(t);
      if (name === 'hub.common.PrecisionDate') return push('precisionDate');
      if (name === 'hub.common.Address') return push('address');
      // Other nested records (the dossier applicant) are mapped field by field.
      this.record(t, `${path}.`, ns, itemOf);
      return;
    }
    if (t.type === 'array') {
      const items = this.resolve(t.items, ns);
      if (items === 'string') return push('stringList');
      if (isObject(items) && fullName(items).endsWith('.LegacyIdentifier')) return push('legacyIds');
      // Arrays of other records (civil-status events): one source record gives one item, mapped
      // field by field as `civilEvents[].kind`, `civilEvents[].date`, …
      if (isObject(items) && items.type === 'record' && itemOf === undefined)
        this.record(items, `${path}[].`, ns, path);
    }
  }
}

const cache = new Map<Entity, ReadonlyMap<string, TargetField>>();

/** Every mappable canonical field of an entity's observation, read from the Avro schema in schemas/. */
export function targetFields(entity: Entity): ReadonlyMap<string, TargetField> {
  const hit = cache.get(entity);
  if (hit) return hit;
  const schema = catalog().forTopic(DEFAULT_TOPICS[entity]);
  const walker = new Walker();
  walker.record(schema, '', typeof schema.namespace === 'string' ? schema.namespace : undefined);
  const map = new Map(walker.fields.map((f) => [f.path, f]));
  cache.set(entity, map);
  return map;
}

/** The Avro schema of the entity's observation topic (for the publisher). */
export function observationSchema(entity: Entity): object {
  return catalog().forTopic(DEFAULT_TOPICS[entity]);
}

export function connectorStatusSchema(): object {
  return catalog().forTopic('hub.connector-status');
}
