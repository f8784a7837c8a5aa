import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the schemas package (holds common/, citizen/, …, subjects.json). */
export const SCHEMAS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type AvroJson = string | AvroJson[] | { [key: string]: AvroJson } | number | boolean | null;
type AvroObject = { [key: string]: AvroJson };

export type CompatibilityLevel =
  'BACKWARD_TRANSITIVE' | 'FULL_TRANSITIVE' | 'BACKWARD' | 'FULL' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'NONE';

export interface SubjectDefinition {
  readonly subject: string;
  readonly topic: string;
  readonly record: string;
  readonly compatibility: CompatibilityLevel;
  /** Self-contained schema: every referenced named type inlined at its first use. */
  readonly schema: AvroObject;
}

interface NamedType {
  readonly fullName: string;
  readonly file: string;
  readonly definition: AvroObject;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** A schema JSON value as text (names, types): strings as they are, anything else as JSON. */
export function text(v: AvroJson | undefined): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

function isObject(v: AvroJson | undefined): v is AvroObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fullNameOf(def: AvroObject, enclosingNs: string | undefined): string {
  const name = text(def.name);
  if (name.includes('.')) return name;
  const ns = typeof def.namespace === 'string' ? def.namespace : enclosingNs;
  return ns ? `${ns}.${name}` : name;
}

function* avscFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'src') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yield* avscFiles(p);
    else if (entry.endsWith('.avsc')) yield p;
  }
}

/**
 * All .avsc files under the schemas folder, indexed by the full name of every named type they
 * define (nested ones too). Cross-file references use full names (`hub.common.Address`).
 */
export class SchemaCatalog {
  private readonly named = new Map<string, NamedType>();

  constructor(readonly dir: string = SCHEMAS_DIR) {
    for (const file of avscFiles(dir)) {
      let json: AvroJson;
      try {
        json = JSON.parse(readFileSync(file, 'utf8')) as AvroJson;
      } catch (e) {
        throw new Error(`${relative(dir, file)}: not valid JSON: ${(e as Error).message}`);
      }
      this.index(json, undefined, relative(dir, file));
    }
  }

  private index(node: AvroJson | undefined, ns: string | undefined, file: string): void {
    if (Array.isArray(node)) {
      for (const n of node) this.index(n, ns, file);
      return;
    }
    if (!isObject(node)) return;
    const type = node.type;
    if (
      (type === 'record' || type === 'enum' || type === 'fixed' || type === 'error') &&
      typeof node.name === 'string'
    ) {
      const fullName = fullNameOf(node, ns);
      const existing = this.named.get(fullName);
      if (existing) throw new Error(`${file}: type ${fullName} is already defined in ${existing.file}`);
      this.named.set(fullName, { fullName, file, definition: node });
      const innerNs = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
      if (Array.isArray(node.fields))
        for (const f of node.fields) if (isObject(f)) this.index(f.type, innerNs, file);
      return;
    }
    if (type === 'array') this.index(node.items, ns, file);
    else if (type === 'map') this.index(node.values, ns, file);
    else if (isObject(type) || Array.isArray(type)) this.index(type, ns, file);
  }

  names(): string[] {
    return [...this.named.keys()].sort();
  }

  has(fullName: string): boolean {
    return this.named.has(fullName);
  }

  /** A self-contained schema for `fullName`, ready to register. */
  bundle(fullName: string): AvroObject {
    const root = this.named.get(fullName);
    if (!root) throw new Error(`no schema defines ${fullName} (known: ${this.names().join(', ')})`);
    const defined = new Set<string>();
    const out = this.inline(root.definition, undefined, defined, root.file);
    if (!isObject(out)) throw new Error(`${fullName} is not a named type`);
    // The root carries its full name so the bundle is independent of enclosing namespaces.
    return {
      ...out,
      name: text(root.definition.name).split('.').pop() ?? '',
      namespace: fullName.slice(0, fullName.lastIndexOf('.')),
    };
  }

  private inline(
    node: AvroJson | undefined,
    ns: string | undefined,
    defined: Set<string>,
    file: string,
  ): AvroJson {
    if (node === undefined) throw new Error(`${file}: missing type`);
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node;
      const full = node.includes('.') || !ns ? node : `${ns}.${node}`;
      const candidates = [full, node];
      const hit = candidates.find((c) => this.named.has(c));
      if (!hit)
        throw new Error(
          `${file}: unknown type "${node}" (cross-file references need the full name, e.g. hub.common.Address)`,
        );
      if (defined.has(hit)) return hit;
      const named = this.named.get(hit) as NamedType;
      const inlined = this.inline(named.definition, undefined, defined, named.file) as AvroObject;
      // Inlined definitions carry their full name so they do not pick up the enclosing namespace.
      return { ...inlined, name: hit.split('.').pop() ?? hit, namespace: hit.slice(0, hit.lastIndexOf('.')) };
    }
    if (Array.isArray(node)) return node.map((n) => this.inline(n, ns, defined, file));
    if (!isObject(node)) return node;
    const type = node.type;
    if (
      (type === 'record' || type === 'enum' || type === 'fixed' || type === 'error') &&
      typeof node.name === 'string'
    ) {
      const fullName = fullNameOf(node, ns);
      if (defined.has(fullName)) return fullName;
      defined.add(fullName);
      const innerNs = fullName.slice(0, Math.max(0, fullName.lastIndexOf('.'))) || undefined;
      if (type === 'record' || type === 'error') {
        const fields = (node.fields as AvroJson[]).map((f) => {
          const field = f as AvroObject;
          return { ...field, type: this.inline(field.type, innerNs, defined, file) };
        });
        return { ...node, fields };
      }
      return { ...node };
    }
    if (type === 'array') return { ...node, items: this.inline(node.items, ns, defined, file) };
    if (type === 'map') return { ...node, values: this.inline(node.values, ns, defined, file) };
    if (typeof type === 'string' && PRIMITIVES.has(type)) return node; // e.g. { type: long, logicalType }
    return { ...node, type: this.inline(type, ns, defined, file) };
  }

  /** The subjects declared in subjects.json with their bundled schemas. */
  subjects(): SubjectDefinition[] {
    const file = join(this.dir, 'subjects.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as {
      subjects: Record<string, { record: string; compatibility: CompatibilityLevel }>;
    };
    return Object.entries(raw.subjects).map(([subject, def]) => {
      if (!subject.endsWith('-value'))
        throw new Error(`subjects.json: ${subject}: subjects are named <topic>-value`);
      return {
        subject,
        topic: subject.slice(0, -'-value'.length),
        record: def.record,
        compatibility: def.compatibility,
        schema: this.bundle(def.record),
      };
    });
  }

  /** The bundled value schema of a topic (`obs.citizen` → CitizenObserved). */
  forTopic(topic: string): AvroObject {
    const s = this.subjects().find((d) => d.topic === topic);
    if (!s) throw new Error(`no subject for topic ${topic} in subjects.json`);
    return s.schema;
  }
}

let shared: SchemaCatalog | undefined;

/** The catalog of this package's own schemas, loaded once. */
export function catalog(): SchemaCatalog {
  shared ??= new SchemaCatalog();
  return shared;
}
