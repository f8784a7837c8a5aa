import { RegistryError, type SchemaRegistry } from '@hub/kafka';
import type { SchemaCatalog, SubjectDefinition } from './catalog.js';
import { formatViolation, violations, type Violation } from './compatibility.js';

export interface SubjectReport {
  readonly subject: string;
  readonly status: 'new' | 'unchanged' | 'compatible-change' | 'incompatible';
  readonly registeredVersions: number;
  readonly violations: readonly Violation[];
  readonly messages: readonly string[];
  readonly id?: number;
}

async function examine(registry: SchemaRegistry, def: SubjectDefinition): Promise<SubjectReport> {
  const history = await registry.history(def.subject);
  const existingId = history.length ? await registry.lookup(def.subject, def.schema) : undefined;
  if (existingId !== undefined) {
    return {
      subject: def.subject,
      status: 'unchanged',
      registeredVersions: history.length,
      violations: [],
      messages: [],
      id: existingId,
    };
  }
  const versions = history.map((h) => ({
    version: h.version,
    schema: JSON.parse(h.schema) as { [k: string]: never },
  }));
  const found = violations(def.schema, versions, def.compatibility);
  // The registry is the authority; our walk explains. If it refuses and we found nothing, say so.
  const registryOk = history.length === 0 ? true : await registry.isCompatible(def.subject, def.schema);
  const messages = found.map((v) => formatViolation(def.subject, v));
  if (!registryOk && found.length === 0) {
    messages.push(
      `${def.subject}: the schema registry refuses the change under ${def.compatibility}, though no single field explains it; compare with the registered version.`,
    );
  }
  const incompatible = found.length > 0 || !registryOk;
  return {
    subject: def.subject,
    status: incompatible ? 'incompatible' : history.length === 0 ? 'new' : 'compatible-change',
    registeredVersions: history.length,
    violations: found,
    messages,
  };
}

/** Check every subject of the catalog against what the registry holds; registers nothing. */
export async function checkAll(registry: SchemaRegistry, catalog: SchemaCatalog): Promise<SubjectReport[]> {
  const out: SubjectReport[] = [];
  for (const def of catalog.subjects()) out.push(await examine(registry, def));
  return out;
}

/**
 * Set each subject's compatibility level, then register its schema, refusing any subject whose
 * change is incompatible (nothing of it is registered; the others are).
 */
export async function registerAll(
  registry: SchemaRegistry,
  catalog: SchemaCatalog,
  subjects?: readonly SubjectDefinition[],
): Promise<SubjectReport[]> {
  const out: SubjectReport[] = [];
  for (const def of subjects ?? catalog.subjects()) {
    // Compatibility first: Apicurio enforces nothing on registration until a rule is set.
    await registry.setCompatibility(def.subject, def.compatibility);
    const report = await examine(registry, def);
    if (report.status === 'incompatible' || report.status === 'unchanged') {
      out.push(report);
      continue;
    }
    try {
      const id = await registry.register(def.subject, def.schema);
      out.push({ ...report, id });
    } catch (e) {
      if (e instanceof RegistryError && e.status === 409) {
        out.push({
          ...report,
          status: 'incompatible',
          messages: [...report.messages, `${def.subject}: the registry refused it: ${e.message}`],
        });
      } else throw e;
    }
  }
  return out;
}
