import avro from 'avsc';
import { text, type AvroJson, type CompatibilityLevel } from './catalog.js';

type Obj = { [key: string]: AvroJson };

export interface CompatibilityProblem {
  /** Path of the field in the record, e.g. `CitizenObserved.permanentAddress.communeCode`. */
  readonly path: string;
  /** What breaks, in plain words. */
  readonly problem: string;
}

const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['int', 'long', 'float', 'double'],
  long: ['long', 'float', 'double'],
  float: ['float', 'double'],
  double: ['double'],
  string: ['string', 'bytes'],
  bytes: ['bytes', 'string'],
  boolean: ['boolean'],
  null: ['null'],
};

interface Named {
  readonly byName: Map<string, Obj>;
}

function collect(node: AvroJson | undefined, ns: string | undefined, acc: Map<string, Obj>): void {
  if (Array.isArray(node)) return node.forEach((n) => collect(n, ns, acc));
  if (typeof node !== 'object' || node === null) return;
  const t = node.type;
  if ((t === 'record' || t === 'enum' || t === 'fixed') && typeof node.name === 'string') {
    const full = node.name.includes('.')
      ? node.name
      : `${typeof node.namespace === 'string' ? node.namespace : (ns ?? '')}.${node.name}`.replace(/^\./, '');
    acc.set(full, node);
    const inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
    if (Array.isArray(node.fields)) for (const f of node.fields) collect((f as Obj).type, inner, acc);
    return;
  }
  if (t === 'array') collect(node.items, ns, acc);
  else if (t === 'map') collect(node.values, ns, acc);
  else collect(t, ns, acc);
}

function deref(node: AvroJson | undefined, ctx: Named): AvroJson | undefined {
  if (typeof node === 'string' && !PROMOTIONS[node]) {
    return (
      ctx.byName.get(node) ?? [...ctx.byName.entries()].find(([k]) => k.endsWith(`.${node}`))?.[1] ?? node
    );
  }
  if (
    typeof node === 'object' &&
    node !== null &&
    !Array.isArray(node) &&
    typeof node.type === 'string' &&
    PROMOTIONS[node.type]
  ) {
    return node.type; // { type: long, logicalType: … } reads as long
  }
  return node;
}

function kind(node: AvroJson | undefined): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return 'union';
  if (typeof node === 'object' && node !== null) return text(node.type);
  return 'unknown';
}

function nameOf(node: AvroJson | undefined): string | undefined {
  if (typeof node === 'object' && node !== null && !Array.isArray(node) && typeof node.name === 'string')
    return node.name.split('.').pop();
  return undefined;
}

function label(node: AvroJson | undefined): string {
  if (typeof node === 'object' && node !== null && !Array.isArray(node) && typeof node.name === 'string')
    return `${text(node.type)} ${node.name}`;
  if (Array.isArray(node)) return `union [${node.map((n) => label(n)).join(', ')}]`;
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) return text(node.type);
  return String(node);
}

/** Can data written with `writer` be read with `reader`? Every reason it cannot, with its path. */
function readable(
  reader: AvroJson | undefined,
  writer: AvroJson | undefined,
  path: string,
  r: Named,
  w: Named,
  out: CompatibilityProblem[],
): void {
  const rd = deref(reader, r);
  const wr = deref(writer, w);
  const rk = kind(rd);
  const wk = kind(wr);
  if (wk === 'union') {
    for (const branch of wr as AvroJson[]) {
      const sub: CompatibilityProblem[] = [];
      readable(rd, branch, path, r, w, sub);
      out.push(...sub);
    }
    return;
  }
  if (rk === 'union') {
    const attempts = (rd as AvroJson[]).map((branch) => {
      const sub: CompatibilityProblem[] = [];
      readable(branch, wr, path, r, w, sub);
      return { branch: deref(branch, r), sub };
    });
    if (attempts.some((a) => a.sub.length === 0)) return;
    // Explain with the branch of the same kind and name as the writer (the one meant to match).
    const same = attempts.find((a) => kind(a.branch) === wk && nameOf(a.branch) === nameOf(wr));
    if (same) out.push(...same.sub);
    else out.push({ path, problem: `a ${label(wr)} value cannot be read as ${label(rd)}` });
    return;
  }
  if (PROMOTIONS[wk]) {
    if (!PROMOTIONS[wk]?.includes(rk))
      out.push({ path, problem: `type changed: ${wk} values cannot be read as ${label(rd)}` });
    return;
  }
  if (wk !== rk) {
    out.push({ path, problem: `type changed from ${label(wr)} to ${label(rd)}` });
    return;
  }
  const ro = rd as Obj;
  const wo = wr as Obj;
  switch (wk) {
    case 'record': {
      const wFields = new Map((wo.fields as Obj[]).map((f) => [text(f.name), f]));
      for (const f of ro.fields as Obj[]) {
        const name = text(f.name);
        const aliases = Array.isArray(f.aliases) ? (f.aliases as string[]) : [];
        const wf = wFields.get(name) ?? aliases.map((a) => wFields.get(a)).find((x) => x !== undefined);
        if (!wf) {
          if (!('default' in f))
            out.push({
              path: `${path}.${name}`,
              problem: 'is required by the reader but absent from the writer, and has no default',
            });
          continue;
        }
        readable(f.type, wf.type, `${path}.${name}`, r, w, out);
      }
      return;
    }
    case 'enum': {
      const symbols = new Set(ro.symbols as string[]);
      const missing = (wo.symbols as string[]).filter((s) => !symbols.has(s));
      if (missing.length && !('default' in ro))
        out.push({
          path,
          problem: `enum symbol(s) ${missing.join(', ')} written but unknown to the reader, which has no enum default`,
        });
      return;
    }
    case 'array':
      readable(ro.items, wo.items, `${path}[]`, r, w, out);
      return;
    case 'map':
      readable(ro.values, wo.values, `${path}{}`, r, w, out);
      return;
    case 'fixed':
      if (ro.size !== wo.size)
        out.push({ path, problem: `fixed size changed from ${text(wo.size)} to ${text(ro.size)}` });
      return;
    default:
      return;
  }
}

/** Problems reading data written with `writer` using `reader` (empty = compatible). */
export function readProblems(readerSchema: object, writerSchema: object): CompatibilityProblem[] {
  const reader = readerSchema as Obj;
  const writer = writerSchema as Obj;
  const r: Named = { byName: new Map() };
  const w: Named = { byName: new Map() };
  collect(reader, undefined, r.byName);
  collect(writer, undefined, w.byName);
  const out: CompatibilityProblem[] = [];
  readable(reader, writer, text(reader.name), r, w, out);
  if (out.length === 0) {
    // avsc's schema resolution is the final word; report what it says if our walk missed a case.
    try {
      avro.Type.forSchema(reader as avro.Schema, { wrapUnions: 'auto' }).createResolver(
        avro.Type.forSchema(writer as avro.Schema, { wrapUnions: 'auto' }),
      );
    } catch (e) {
      out.push({ path: text(reader.name), problem: (e as Error).message });
    }
  }
  return out;
}

export interface VersionedSchema {
  readonly version: number;
  readonly schema: object;
}

export interface Violation extends CompatibilityProblem {
  readonly rule: CompatibilityLevel;
  readonly version: number;
  readonly direction: 'new schema reading old data' | 'old schema reading new data';
}

/**
 * Check a candidate schema against the registered versions under a compatibility level, the way
 * the registry does, but saying which field breaks which rule.
 */
export function violations(
  candidate: object,
  history: readonly VersionedSchema[],
  level: CompatibilityLevel,
): Violation[] {
  if (level === 'NONE' || history.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? history : history.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: Violation[] = [];
  for (const v of against) {
    if (backward)
      for (const p of readProblems(candidate, v.schema))
        out.push({ ...p, rule: level, version: v.version, direction: 'new schema reading old data' });
    if (forward)
      for (const p of readProblems(v.schema, candidate))
        out.push({ ...p, rule: level, version: v.version, direction: 'old schema reading new data' });
  }
  return out;
}

export function formatViolation(subject: string, v: Violation): string {
  return `${subject}: ${v.path} ${v.problem} — ${v.rule} is broken (${v.direction}, registered version ${v.version}). Fix: give the field a default (e.g. ["null", …] with "default": null), keep removed fields, or publish the breaking shape on a new topic (<topic>.v2).`;
}
