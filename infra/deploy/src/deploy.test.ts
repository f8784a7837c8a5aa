// Offline checks of the deployment files (no container engine or cluster on the build machine):
// they parse, name only things that exist, cover every deployable, give each the environment its
// config schema requires, probe the right ports, and carry exactly the declared Kafka topics.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  arr,
  containerEnv,
  DEPLOY,
  departmentEnv,
  envSchema,
  hubComponents,
  k8sResources,
  obj,
  podContainers,
  readYaml,
  readYamlDocs,
  requiredKeys,
  ROOT,
  str,
  type Component,
  type Obj,
} from './repo.js';

const COMPOSE = join(DEPLOY, 'compose', 'docker-compose.yml');
const compose = readYaml(COMPOSE);
const services = obj(compose.services);
const k8s = k8sResources();
let components: Component[] = [];

beforeAll(async () => {
  components = await hubComponents();
});

/** `X/dist/Y.js` in an image runs the build of `X/src/Y.ts`. */
function sourceOf(distFile: string): string {
  return join(ROOT, distFile.replace('/dist/', '/src/').replace(/\.js$/, '.ts'));
}

const composeEnv = (name: string): Obj => obj(obj(services[name]).environment);
const deployment = (name: string): Obj => {
  const d = k8s.get(`Deployment/${name}`);
  if (!d) throw new Error(`no Kubernetes Deployment ${name}`);
  return d;
};
const mainContainer = (name: string): Obj => podContainers(deployment(name))[0] ?? {};
const kind = (c: Component): string => c.workspace.split('/')[1] ?? '';

describe('every deployment file parses', () => {
  it('compose, .env example, k8s manifests and the kustomization', () => {
    expect(Object.keys(services).length).toBeGreaterThan(10);
    for (const f of readdirSync(join(DEPLOY, 'k8s')).filter((f) => f.endsWith('.yaml'))) {
      expect(readYamlDocs(join(DEPLOY, 'k8s', f)).length, f).toBeGreaterThan(0);
    }
    const example = readFileSync(join(DEPLOY, 'compose', '.env.example'), 'utf8');
    for (const line of example.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))) {
      expect(line, 'compose/.env.example lines are KEY=value').toMatch(/^[A-Z][A-Z0-9_]*=/);
    }
  });
});

describe('compose names only what exists in the repository', () => {
  it('build contexts, the Dockerfile and its WORKSPACE args', () => {
    for (const [name, s] of Object.entries(services)) {
      const build = obj(obj(s).build);
      if (Object.keys(build).length === 0) continue;
      const context = resolve(DEPLOY, 'compose', String(build.context));
      expect(context, name).toBe(ROOT);
      expect(existsSync(join(context, String(build.dockerfile))), `${name}: dockerfile`).toBe(true);
      const args = obj(build.args);
      expect(
        Object.keys(args).every((a) => ['WORKSPACE', 'EXTRA_WORKSPACES'].includes(a)),
        name,
      ).toBe(true);
      for (const ws of `${str(args.WORKSPACE)} ${args.EXTRA_WORKSPACES === undefined ? '' : str(args.EXTRA_WORKSPACES)}`
        .trim()
        .split(/\s+/)) {
        expect(existsSync(join(ROOT, ws, 'package.json')), `${name}: workspace ${ws}`).toBe(true);
      }
    }
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    for (const arg of ['WORKSPACE', 'EXTRA_WORKSPACES']) expect(dockerfile).toContain(`ARG ${arg}`);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)) {
      if (m[1] !== '.') expect(existsSync(join(ROOT, m[1] ?? '')), `Dockerfile COPY ${m[1]}`).toBe(true);
    }
  });

  it('commands run files that are built from sources in the repository', () => {
    for (const [name, s] of Object.entries(services)) {
      const cmd = arr(obj(s).command).map(String);
      const file = cmd.find((a) => a.endsWith('.js'));
      if (file) expect(existsSync(sourceOf(file)), `${name}: ${file}`).toBe(true);
    }
  });

  it('depends_on names services of this file; bind mounts exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(obj(obj(s).depends_on)))
        expect(services, `${name} → ${dep}`).toHaveProperty(dep);
      for (const v of arr(obj(s).volumes).map(String)) {
        const host = v.split(':')[0] ?? '';
        if (host.startsWith('./'))
          expect(existsSync(join(DEPLOY, 'compose', host)), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('has the one-shot jobs: migrations, topics, schema registration', () => {
    expect(arr(obj(services.topics).command)).toEqual(['node', 'infra/local/dist/cli.js', 'topics']);
    expect(composeEnv('topics')).toHaveProperty('KAFKA_BROKERS');
    expect(arr(obj(services['schemas-register']).command)).toEqual([
      'node',
      'schemas/dist/cli.js',
      'register',
    ]);
    for (const m of [
      'consolidation-migrate',
      'datasets-api-migrate',
      'steward-console-migrate',
      'connectors-migrate',
    ]) {
      expect(arr(obj(services[m]).command), m).toContain('migrate');
    }
    expect(obj(services.kafka).image).toMatch(/^apache\/kafka:/);
    expect(obj(services.registry).image).toBe('apicurio/apicurio-registry:3.3.3');
    expect(obj(services.postgres).image).toBe('postgres:15');
    // Sized for a province's read model, not PostgreSQL's 128 MB default.
    expect(arr(obj(services.postgres).command).join(' ')).toMatch(
      /shared_buffers=\$\{PG_SHARED_BUFFERS:-\d+GB\}/,
    );
  });
});

describe('every hub deployable of the local launcher is deployed', () => {
  it('the launcher lists the seven deployables (their dist/ is built)', () => {
    expect(components.map((c) => c.name).sort()).toEqual([
      'connector-file-drop',
      'connector-http-ingest',
      'connector-rest-poll',
      'connector-sql-poll',
      'consolidation',
      'datasets-api',
      'steward-console',
    ]);
  });

  it('each has a compose service built from its workspace, waiting for healthy dependencies', () => {
    for (const c of components) {
      const s = obj(services[c.name]);
      expect(obj(obj(s.build).args).WORKSPACE, c.name).toBe(c.workspace);
      const deps = obj(s.depends_on);
      for (const infra of ['kafka', 'registry', 'postgres'])
        expect(obj(deps[infra]).condition, c.name).toBe('service_healthy');
      expect(obj(deps['schemas-register']).condition).toBe('service_completed_successfully');
      expect(
        Object.keys(deps).some((d) => d.endsWith('-migrate')),
        `${c.name} waits for its migration`,
      ).toBe(true);
    }
  });

  it('each has a Kubernetes Deployment running its image', () => {
    for (const c of components) {
      const image = String(mainContainer(c.name).image);
      const expected = c.workspace.startsWith('connectors/')
        ? `tq-hub/connector-${kind(c)}`
        : `tq-hub/${kind(c)}`;
      expect(image, c.name).toBe(expected);
    }
  });

  it('every variable its config schema requires without a default is set in compose and Kubernetes', async () => {
    for (const c of components) {
      const required = requiredKeys(await envSchema(c.workspace));
      const named = c.workspace.startsWith('connectors/') ? departmentEnv(kind(c)) : [];
      expect(required.length, c.name).toBeGreaterThan(0);
      const env = composeEnv(c.name);
      const k8sEnv = containerEnv(mainContainer(c.name), k8s);
      for (const key of [...required, ...named]) {
        expect(env[key] !== undefined && str(env[key]) !== '', `compose ${c.name}: ${key}`).toBe(true);
        expect(k8sEnv.has(key), `k8s ${c.name}: ${key}`).toBe(true);
      }
    }
  });
});

describe('probes point at the right ports and paths', () => {
  it('Kubernetes: /readyz and /healthz on the HTTP port (services) or the ops port (connectors)', () => {
    for (const c of components) {
      const container = mainContainer(c.name);
      const env = containerEnv(container, k8s);
      const isConnector = c.workspace.startsWith('connectors/');
      // The launcher probes the same port kind locally.
      expect(c.ready, c.name).toBe(
        `http://127.0.0.1:${c.env[isConnector ? 'OPS_PORT' : 'HTTP_PORT']}/readyz`,
      );
      const port = Number(env.get(isConnector ? 'OPS_PORT' : 'HTTP_PORT'));
      const ports = new Map(
        arr(container.ports).map((p) => [String(obj(p).name), Number(obj(p).containerPort)]),
      );
      for (const [probe, path] of [
        ['readinessProbe', '/readyz'],
        ['livenessProbe', '/healthz'],
      ] as const) {
        const get = obj(obj(container[probe]).httpGet);
        expect(get.path, `${c.name} ${probe}`).toBe(path);
        expect(ports.get(String(get.port)), `${c.name} ${probe} port`).toBe(port);
      }
    }
  });

  it('compose: the image health check, told the port by OPS_PORT / HTTP_PORT', () => {
    const script = readFileSync(join(DEPLOY, 'healthcheck.mjs'), 'utf8');
    expect(script).toMatch(/OPS_PORT \|\| process\.env\.HTTP_PORT/);
    expect(script).toContain('/healthz');
    expect(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')).toContain('/usr/local/lib/hub/healthcheck.mjs');
    for (const c of components) {
      const s = obj(services[c.name]);
      expect(arr(obj(s.healthcheck).test), c.name).toContain('/usr/local/lib/hub/healthcheck.mjs');
      const env = composeEnv(c.name);
      expect(env[c.workspace.startsWith('connectors/') ? 'OPS_PORT' : 'HTTP_PORT'], c.name).toBeDefined();
    }
  });
});

describe('Kubernetes resources reference each other consistently', () => {
  it('PDBs and HPAs select existing Deployments; HPAs for consolidation and datasets-api', () => {
    for (const [key, r] of k8s) {
      if (key.startsWith('PodDisruptionBudget/')) {
        const app = obj(obj(obj(r.spec).selector).matchLabels)['app.kubernetes.io/name'];
        expect(k8s.has(`Deployment/${String(app)}`), key).toBe(true);
      }
      if (key.startsWith('HorizontalPodAutoscaler/')) {
        expect(k8s.has(`Deployment/${String(obj(obj(r.spec).scaleTargetRef).name)}`), key).toBe(true);
      }
    }
    expect(k8s.has('HorizontalPodAutoscaler/consolidation')).toBe(true);
    expect(k8s.has('HorizontalPodAutoscaler/datasets-api')).toBe(true);
    for (const c of components) expect(k8s.has(`PodDisruptionBudget/${c.name}`), c.name).toBe(true);
  });

  it('Jobs migrate every database and register the schemas', () => {
    const jobs = [...k8s.keys()].filter((k) => k.startsWith('Job/')).sort();
    expect(jobs).toEqual([
      'Job/connectors-migrate',
      'Job/consolidation-migrate',
      'Job/datasets-api-migrate',
      'Job/schemas-register',
      'Job/steward-console-migrate',
    ]);
    for (const j of jobs) {
      const cmd = arr(podContainers(k8s.get(j) ?? {})[0]?.command).map(String);
      expect(existsSync(sourceOf(cmd[1] ?? '')), `${j}: ${cmd.join(' ')}`).toBe(true);
    }
  });

  it('Strimzi: KRaft node pool of three, replication 3, min ISR 2', () => {
    const pool = obj(k8s.get('KafkaNodePool/dual-role')?.spec);
    expect(pool.replicas).toBe(3);
    expect(pool.roles).toEqual(['controller', 'broker']);
    const kafka = k8s.get('Kafka/hub') ?? {};
    expect(obj(obj(kafka.metadata).annotations)['strimzi.io/kraft']).toBe('enabled');
    const config = obj(obj(obj(kafka.spec).kafka).config);
    expect([config['default.replication.factor'], config['min.insync.replicas']]).toEqual([3, 2]);
  });

  it('renders with kustomize when kubectl is installed', () => {
    const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (probe.status !== 0) return; // no kubectl: the YAML checks above still ran
    const out = execFileSync('kubectl', ['kustomize', join(DEPLOY, 'k8s')], { encoding: 'utf8' });
    expect(out).toContain('kind: KafkaTopic');
  });
});

describe('KafkaTopics are generated from infra/topics.yaml', () => {
  it('the committed file is what the script generates now', () => {
    const r = spawnSync(process.execPath, [join(DEPLOY, 'scripts', 'topics-to-strimzi.mjs'), '--stdout'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(DEPLOY, 'k8s', 'kafka-topics.yaml'), 'utf8')).toBe(r.stdout);
  });

  it('each declared topic, with its partitions and configuration, RF 3 and min ISR 2, nothing else', () => {
    const declared = obj(parse(readFileSync(join(ROOT, 'infra', 'topics.yaml'), 'utf8')));
    const defaults = Number(obj(declared.defaults).partitions ?? 6);
    const resources = [...k8s.values()].filter((r) => r.kind === 'KafkaTopic');
    expect(resources.length).toBe(arr(declared.topics).length);
    for (const [i, t] of arr(declared.topics).map(obj).entries()) {
      const r = resources[i] ?? {};
      const spec = obj(r.spec);
      expect(spec.topicName ?? obj(r.metadata).name).toBe(t.name);
      expect(obj(obj(r.metadata).labels)['strimzi.io/cluster']).toBe('hub');
      expect(spec.partitions, String(t.name)).toBe(t.partitions ?? defaults);
      expect(spec.replicas).toBe(3);
      const want = Object.fromEntries(Object.entries(obj(t.config)).map(([k, v]) => [k, String(v)]));
      expect(spec.config, String(t.name)).toEqual({ 'min.insync.replicas': '2', ...want });
    }
  });
});

describe('docker compose config', () => {
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  // This machine has the docker CLI without the compose plugin (and no engine); skip rather than fail.
  it.skipIf(plugin.status !== 0)('validates offline with the example environment', () => {
    execFileSync(
      'docker',
      ['compose', '--env-file', join(DEPLOY, 'compose', '.env.example'), '-f', COMPOSE, 'config', '-q'],
      { encoding: 'utf8' },
    );
  });
});
