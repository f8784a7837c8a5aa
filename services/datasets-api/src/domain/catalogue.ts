import { z } from 'zod';
import { ACCESS, DATASETS, type Dataset, type Personal } from './scopes.js';

/** Where each attribute's value comes from (config/authoritative-sources.json). */
const Source = z.object({ department: z.string().min(1), systems: z.array(z.string().min(1)) });
const DatasetSources = z.object({ groups: z.record(z.string(), Source), fields: z.record(z.string(), Source).default({}) });
export const SourcesSchema = z.object({ citizen: DatasetSources, business: DatasetSources, dossier: DatasetSources });
export type Sources = z.infer<typeof SourcesSchema>;
export type SourceInfo = z.infer<typeof Source>;

type AvroNode = string | AvroNode[] | { [k: string]: unknown };

export interface CatalogueField {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly definition: string;
  readonly group: string;
  readonly scope: string | null;
  readonly personalData: Personal;
  readonly authoritativeSource: SourceInfo | null;
}

export interface DatasetFacts {
  readonly liveRecords: number;
  readonly newestChangeAppliedAt: string | null;
  readonly freshnessSeconds: number | null;
  readonly changesLast24h: number;
  readonly schemaVersions: readonly { version: number; id: number }[] | null;
  readonly schemaRegistryError?: string;
}

const TOPIC: Readonly<Record<Dataset, string>> = { citizen: 'master.citizen', business: 'master.business', dossier: 'master.dossier' };

function typeName(node: AvroNode): { type: string; format: string } {
  if (typeof node === 'string') return { type: node, format: node === 'string' ? 'text' : node };
  if (Array.isArray(node)) {
    const inner = node.filter((n) => n !== 'null');
    const t = inner.length === 1 && inner[0] !== undefined ? typeName(inner[0]) : { type: inner.map((n) => typeName(n).type).join(' | '), format: 'union' };
    return node.includes('null') ? { type: `${t.type} (nullable)`, format: t.format } : t;
  }
  const logical = node.logicalType;
  if (logical === 'timestamp-millis') return { type: 'timestamp', format: 'date-time (ISO 8601, UTC)' };
  if (logical === 'date') return { type: 'date', format: 'date (ISO 8601)' };
  if (node.type === 'array') {
    const items = typeName(node.items as AvroNode);
    return { type: `array of ${items.type}`, format: `array of ${items.format}` };
  }
  if (node.type === 'enum') return { type: String(node.name), format: `one of ${(node.symbols as string[]).join(', ')}` };
  if (node.type === 'record') return { type: String(node.name), format: `object (${(node.fields as { name: string }[]).map((f) => f.name).join(', ')})` };
  return { type: String(node.type), format: String(node.type) };
}

const EXTRA_DOCS: Readonly<Record<string, string>> = {
  masterId: 'Provincial master id of the record (stable; a merged-away id redirects to its survivor).',
  version: 'Version of the golden record; increases with every change.',
  occurredAt: 'When the consolidation made this version.',
  updatedAt: 'When this API applied this version to its read model.',
  withheldFields: 'Fields of this record the calling application has no scope for (omitted from the response).',
};

/** The fields of a dataset as the API serves them, with definitions from the Avro docs. */
export function catalogueFields(dataset: Dataset, schema: { fields: { name: string; type: AvroNode; doc?: string }[]; doc?: string }, sources: Sources): CatalogueField[] {
  const avro = new Map(schema.fields.map((f) => [f.name, f]));
  const access = ACCESS[dataset];
  const out: CatalogueField[] = [];
  const add = (name: string, group: string, scope: string | null, personal: Personal, source: SourceInfo | null): void => {
    const f = avro.get(name);
    const t = f ? typeName(f.type) : { type: 'timestamp', format: 'date-time (ISO 8601, UTC)' };
    out.push({ name, ...t, definition: f?.doc ?? EXTRA_DOCS[name] ?? '', group, scope, personalData: personal, authoritativeSource: source });
  };
  for (const name of access.base) add(name, 'base', null, 'NEVER', null);
  for (const g of access.groups) {
    for (const name of g.fields) add(name, g.name, g.scope, g.personal, sources[dataset].fields[name] ?? sources[dataset].groups[g.name] ?? null);
  }
  return out;
}

export function catalogueDocument(
  schemas: Readonly<Record<Dataset, { fields: { name: string; type: AvroNode; doc?: string }[]; doc?: string }>>,
  sources: Sources,
  facts: Readonly<Record<Dataset, DatasetFacts>>,
): Record<string, unknown> {
  return {
    title: 'Tuyên Quang shared master datasets — data catalogue',
    generatedAt: new Date().toISOString(),
    updateFrequency: 'continuous: every change the consolidation publishes on master.* is applied within seconds; see freshnessSeconds',
    datasets: DATASETS.map((d) => ({
      dataset: d,
      description: schemas[d].doc ?? '',
      topic: TOPIC[d],
      subject: `${TOPIC[d]}-value`,
      ...facts[d],
      fieldGroups: ACCESS[d].groups.map((g) => ({ group: g.name, scope: g.scope, personalData: g.personal, description: g.description, fields: g.fields })),
      fields: catalogueFields(d, schemas[d], sources),
    })),
  };
}

export function subjectOf(dataset: Dataset): string {
  return `${TOPIC[dataset]}-value`;
}
