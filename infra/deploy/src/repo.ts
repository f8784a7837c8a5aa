// Reading the repository for the deployment checks: YAML files, the local launcher's component list,
// the deployables' configuration schemas (from their built dist/), and the env names of each
// connector kind's department configurations.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEPLOY = join(ROOT, 'infra', 'deploy');

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** A scalar as text (YAML numbers and booleans included); anything else as JSON. */
export const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : (JSON.stringify(v) ?? '');

/** One YAML document (merge keys on, as docker compose reads them). */
export function readYaml(file: string): Obj {
  return obj(parse(readFileSync(file, 'utf8'), { merge: true }));
}

/** Every document of a multi-document YAML file; a syntax error throws, naming the file. */
export function readYamlDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return obj(d.toJS());
    })
    .filter((d) => Object.keys(d).length > 0);
}

export interface Component {
  readonly name: string;
  readonly workspace: string;
  readonly env: Record<string, string>;
  readonly ready?: string;
}

/**
 * The hub deployables as `npm start` runs them (scripts/lib/components.mjs). The launcher writes demo
 * keys under <root>/.infra, so it is given a scratch root whose workspaces link to the real ones.
 */
export async function hubComponents(): Promise<Component[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'hub-deploy-'));
  for (const group of ['services', 'connectors']) {
    mkdirSync(join(scratch, group));
    for (const ws of readdirSync(join(ROOT, group)))
      symlinkSync(join(ROOT, group, ws), join(scratch, group, ws));
  }
  const mod = (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'components.mjs')).href)) as {
    hubComponents: (root: string, ep: Obj) => { components: Component[] };
  };
  const ep = {
    KAFKA_BROKERS: '127.0.0.1:9092',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  return mod.hubComponents(scratch, ep).components;
}

interface ZodLike {
  safeParse(v: unknown): { success: boolean };
}
interface ObjectSchemaLike {
  shape: Record<string, ZodLike>;
}

async function exported(file: string, name: string): Promise<ObjectSchemaLike> {
  if (!existsSync(file))
    throw new Error(`${file} is missing: build the deployables first (npx turbo run build)`);
  const mod = (await import(pathToFileURL(file).href)) as Obj;
  const schema = mod[name] as ObjectSchemaLike | undefined;
  if (!schema || !isObj(schema.shape)) throw new Error(`${file} exports no object schema ${name}`);
  return schema;
}

/** The zod schema a deployable validates its environment with at start-up (src/config.ts). */
export async function envSchema(workspace: string): Promise<ObjectSchemaLike> {
  if (workspace.startsWith('services/'))
    return exported(join(ROOT, workspace, 'dist', 'config.js'), 'ConfigSchema');
  if (workspace === 'connectors/http-ingest')
    return exported(join(ROOT, workspace, 'dist', 'config.js'), 'HttpIngestEnvSchema');
  return exported(join(ROOT, 'packages', 'connector-runtime', 'dist', 'runtime.js'), 'RuntimeEnvSchema');
}

/** Keys a schema rejects when unset: required, with no default. */
export function requiredKeys(schema: ObjectSchemaLike): string[] {
  return Object.entries(schema.shape)
    .filter(([, s]) => !s.safeParse(undefined).success)
    .map(([k]) => k)
    .sort();
}

const ENV_KEYS = ['connectionEnv', 'apiKeyEnv', 'baseUrlEnv', 'directoryEnv'];

/** Environment variables the department configurations of one connector kind name. */
export function departmentEnv(kind: string): string[] {
  const dir = join(ROOT, 'connectors', 'config', 'departments', kind);
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v))
      for (const [k, x] of Object.entries(v)) {
        if (ENV_KEYS.includes(k) && typeof x === 'string') names.add(x);
        else walk(x);
      }
  };
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) walk(readYaml(join(dir, f)));
  return [...names].sort();
}

/** All Kubernetes resources of infra/deploy/k8s, by kind/name. */
export function k8sResources(): Map<string, Obj> {
  const dir = join(DEPLOY, 'k8s');
  const kustomization = readYaml(join(dir, 'kustomization.yaml'));
  const out = new Map<string, Obj>();
  for (const f of arr(kustomization.resources)) {
    for (const doc of readYamlDocs(join(dir, String(f)))) {
      out.set(`${String(doc.kind)}/${String(obj(doc.metadata).name)}`, doc);
    }
  }
  return out;
}

/** The environment a Deployment or Job container gets: ConfigMap keys (envFrom) and env entries. */
export function containerEnv(container: Obj, resources: Map<string, Obj>): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const from of arr(container.envFrom)) {
    const ref = obj(obj(from).configMapRef).name;
    if (ref === undefined) continue;
    const cm = resources.get(`ConfigMap/${str(ref)}`);
    if (!cm) throw new Error(`envFrom names ConfigMap ${str(ref)}, which is not in the kustomization`);
    for (const [k, v] of Object.entries(obj(cm.data))) env.set(k, str(v));
  }
  for (const e of arr(container.env)) {
    const entry = obj(e);
    env.set(str(entry.name), entry.value === undefined ? undefined : str(entry.value));
  }
  return env;
}

export function podContainers(resource: Obj): Obj[] {
  return arr(obj(obj(obj(obj(resource.spec).template).spec)).containers).map(obj);
}
