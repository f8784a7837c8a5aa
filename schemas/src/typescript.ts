import { text, type AvroJson, type SchemaCatalog } from './catalog.js';

type Obj = { [key: string]: AvroJson };

const PRIMITIVE_TS: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

function shortName(full: string): string {
  return full.slice(full.lastIndexOf('.') + 1);
}

/** `input`: the type a producer may pass (records' `…Input` variants, defaulted fields optional). */
function tsType(node: AvroJson | undefined, records: ReadonlySet<string>, input: boolean): string {
  const named = (name: string) =>
    input && records.has(shortName(name)) ? `${shortName(name)}Input` : shortName(name);
  if (typeof node === 'string') return PRIMITIVE_TS[node] ?? named(node);
  if (Array.isArray(node)) return node.map((n) => tsType(n, records, input)).join(' | ');
  if (typeof node !== 'object' || node === null) return 'unknown';
  const t = node.type;
  if (typeof t === 'string' && PRIMITIVE_TS[t]) return PRIMITIVE_TS[t] ?? 'unknown';
  if (t === 'array') return `Array<${tsType(node.items, records, input)}>`;
  if (t === 'map') return `Record<string, ${tsType(node.values, records, input)}>`;
  if ((t === 'record' || t === 'enum' || t === 'fixed') && typeof node.name === 'string')
    return named(node.name);
  return tsType(t, records, input);
}

function doc(text: AvroJson | undefined, indent: string): string {
  return typeof text === 'string' ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '';
}

/**
 * TypeScript declarations for every named type in the catalog (what avsc decodes to with
 * wrapUnions:auto: optional unions are `T | null`, longs and timestamps are numbers, dates are
 * days since epoch). Generated, committed, and checked for drift by a unit test.
 */
export function generateTypes(catalog: SchemaCatalog): string {
  const parts: string[] = [
    '// Generated from the .avsc files by `npm run generate -w @hub/schemas`. Do not edit by hand.',
    '',
  ];
  const seen = new Set<string>();
  const records = new Set(
    catalog
      .names()
      .filter((n) => catalog.bundle(n).type === 'record')
      .map(shortName),
  );
  for (const full of catalog.names()) {
    const short = shortName(full);
    if (seen.has(short))
      throw new Error(`two schemas share the short name ${short}; TypeScript names must be unique`);
    seen.add(short);
    const def: Obj = catalog.bundle(full);
    if (def.doc) parts.push(doc(def.doc, '').trimEnd());
    if (def.type === 'enum') {
      const symbols = (def.symbols as string[]).map((s) => `'${s}'`).join(' | ');
      parts.push(`export type ${short} = ${symbols};`);
      parts.push(
        `export const ${short}Values = [${(def.symbols as string[]).map((s) => `'${s}'`).join(', ')}] as const;`,
        '',
      );
      continue;
    }
    if (def.type === 'fixed') {
      parts.push(`export type ${short} = Buffer;`, '');
      continue;
    }
    parts.push(`export interface ${short} {`);
    for (const f of def.fields as Obj[]) {
      if (f.doc) parts.push(doc(f.doc, '  ').trimEnd());
      parts.push(`  ${text(f.name)}: ${tsType(f.type, records, false)};`);
    }
    parts.push('}', '');
    // Producers may omit fields that have a default: avsc writes the default for them.
    parts.push(`/** ${short} as a producer may write it: fields with a default are optional. */`);
    parts.push(`export interface ${short}Input {`);
    for (const f of def.fields as Obj[]) {
      parts.push(`  ${text(f.name)}${'default' in f ? '?' : ''}: ${tsType(f.type, records, true)};`);
    }
    parts.push('}', '');
  }
  return `${parts
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
