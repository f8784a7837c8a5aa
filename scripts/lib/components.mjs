// The hub's own processes as `npm start` runs them for the demo: which databases they own, how
// they migrate, how they start, where they answer. Local values only (development and demo);
// production sets the same variables in its deployment (infra/deploy).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Ports of the demo. Each service's README documents its variables. */
export const PORTS = {
  consolidation: 8280,
  ingest: 4620,
  ingestOps: 9465,
  sqlPollOps: 9464,
  restPollOps: 9466,
  fileDropOps: 9467,
  datasetsApi: 8300,
  console: 8310,
};

/** A component's documented local values (`.env.example`), the base of its demo environment. */
export function envExample(root, workspace) {
  const file = join(root, workspace, '.env.example');
  const env = {};
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m && m[2] !== '') env[m[1]] = m[2];
  }
  return env;
}

const DEMO_SCOPES = [
  'citizen.identity',
  'citizen.contact',
  'citizen.address',
  'citizen.civil-status',
  'business.registration',
  'business.address',
  'business.representative',
  'dossier.processing',
  'dossier.applicant',
].join(',');

function withDb(adminUrl, name) {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Where the demo's app key / steward login are kept; one pair per database prefix. */
export function demoFile(root, what) {
  const prefix = process.env.HUB_DB_PREFIX ?? 'hub_';
  return join(root, '.infra', prefix === 'hub_' ? `demo-${what}.json` : `demo-${what}.${prefix.replace(/_$/, '')}.json`);
}

/** A demo secret created once per checkout and kept in .infra/ (gitignored). */
export function demoSecret(root, name) {
  const file = join(root, '.infra', `demo-${name}.key`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The connectors, each with the department configurations of its kind (connectors/config/departments). */
function connector(root, kind, ep, common, connectorsDb) {
  const node = process.execPath;
  const ops = { 'sql-poll': PORTS.sqlPollOps, 'rest-poll': PORTS.restPollOps, 'file-drop': PORTS.fileDropOps, 'http-ingest': PORTS.ingestOps }[kind];
  const config = join(root, 'connectors/config/departments', kind, kind === 'http-ingest' ? 'http-ingest.yaml' : '');
  const perKind = {
    'sql-poll': {
      CIVIL_STATUS_DB_URL: 'mysql://root:@127.0.0.1:3306/dept_civil_status',
      BUSINESS_REGISTRY_DB_URL: withDb(ep.DATABASE_URL, 'dept_business_registry'),
    },
    'rest-poll': { ONE_STOP_API_URL: 'http://127.0.0.1:4610', ONE_STOP_API_KEY: 'demo-one-stop-key' },
    'file-drop': { SOCIAL_PROTECTION_DROP_DIR: join(root, '.infra', 'departments', 'drop') },
    'http-ingest': { HTTP_PORT: String(PORTS.ingest), INGEST_KEY_POLICE_RESIDENCE: demoSecret(root, 'police-push') },
  }[kind];
  return {
    name: `connector-${kind}`,
    workspace: `connectors/${kind}`,
    migrate: [node, join(root, `connectors/${kind}/dist/main.js`), 'migrate'],
    command: [node, join(root, `connectors/${kind}/dist/main.js`)],
    env: {
      ...envExample(root, `connectors/${kind}`),
      ...common,
      CONNECTOR_DATABASE_URL: connectorsDb,
      CONNECTOR_CONFIG: config,
      OPS_PORT: String(ops),
      OPS_HOST: '127.0.0.1',
      ...perKind,
    },
    ready: `http://127.0.0.1:${ops}/readyz`,
    url: kind === 'http-ingest' ? `http://127.0.0.1:${PORTS.ingest}` : `http://127.0.0.1:${ops}/connectors`,
  };
}

/**
 * @param {string} root repository root
 * @param {{ KAFKA_BROKERS: string, SCHEMA_REGISTRY_URL: string, DATABASE_URL: string }} ep
 * @returns {{ databases: string[], components: Array<{ name: string, workspace: string, migrate?: string[], command: string[], env: Record<string,string>, ready?: string, url?: string }> }}
 */
export function hubComponents(root, ep) {
  const node = process.execPath;
  const common = { KAFKA_BROKERS: ep.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: ep.SCHEMA_REGISTRY_URL, LOG_LEVEL: 'info' };
  // HUB_DB_PREFIX lets a test run the whole demo on databases of its own (their names contain "test").
  const prefix = process.env.HUB_DB_PREFIX ?? 'hub_';
  const db = (name) => `${prefix}${name}`;
  const consolidationDb = withDb(ep.DATABASE_URL, db('consolidation'));
  const connectorsDb = withDb(ep.DATABASE_URL, db('connectors'));
  // The consolidation's internal API (masters, steward actions) asks its callers for this token.
  const internalToken = demoSecret(root, 'internal-api');
  const components = [
    {
      name: 'consolidation',
      workspace: 'services/consolidation',
      migrate: [node, join(root, 'services/consolidation/dist/cli.js'), 'migrate'],
      command: [node, join(root, 'services/consolidation/dist/main.js')],
      env: {
        ...envExample(root, 'services/consolidation'),
        ...common,
        DATABASE_URL: consolidationDb,
        MIGRATION_DATABASE_URL: consolidationDb,
        HTTP_PORT: String(PORTS.consolidation),
        INTERNAL_API_TOKEN: internalToken,
      },
      ready: `http://127.0.0.1:${PORTS.consolidation}/readyz`,
      url: `http://127.0.0.1:${PORTS.consolidation}`,
    },
    ...['sql-poll', 'rest-poll', 'file-drop', 'http-ingest'].map((kind) => connector(root, kind, ep, common, connectorsDb)),
    {
      name: 'datasets-api',
      workspace: 'services/datasets-api',
      migrate: [node, join(root, 'services/datasets-api/dist/cli.js'), 'migrate'],
      command: [node, join(root, 'services/datasets-api/dist/main.js')],
      env: {
        ...envExample(root, 'services/datasets-api'),
        ...common,
        DATABASE_URL: withDb(ep.DATABASE_URL, db('datasets')),
        MIGRATION_DATABASE_URL: withDb(ep.DATABASE_URL, db('datasets')),
        HTTP_PORT: String(PORTS.datasetsApi),
        CONSOLIDATION_URL: `http://127.0.0.1:${PORTS.consolidation}`,
        CONSOLIDATION_TOKEN: internalToken,
      },
      ready: `http://127.0.0.1:${PORTS.datasetsApi}/readyz`,
      url: `http://127.0.0.1:${PORTS.datasetsApi}`,
      // The demo application: every read scope, created once, its key kept in .infra/ (gitignored).
      demoApp: {
        command: [node, join(root, 'services/datasets-api/dist/cli.js'), 'apps', 'create', '--name', 'Demo portal (local)', '--purpose', 'local demo of the datasets API', '--scopes', DEMO_SCOPES],
        keyFile: demoFile(root, 'app'),
      },
    },
    {
      name: 'steward-console',
      workspace: 'services/steward-console',
      migrate: [node, join(root, 'services/steward-console/dist/cli.js'), 'migrate'],
      command: [node, join(root, 'services/steward-console/dist/main.js')],
      env: {
        ...envExample(root, 'services/steward-console'),
        ...common,
        DATABASE_URL: withDb(ep.DATABASE_URL, db('console')),
        MIGRATION_DATABASE_URL: withDb(ep.DATABASE_URL, db('console')),
        HTTP_PORT: String(PORTS.console),
        CONSOLIDATION_URL: `http://127.0.0.1:${PORTS.consolidation}`,
        CONSOLIDATION_TOKEN: internalToken,
      },
      ready: `http://127.0.0.1:${PORTS.console}/readyz`,
      url: `http://127.0.0.1:${PORTS.console}`,
      // A demo admin account, created once, its password kept in .infra/ (gitignored).
      demoUser: {
        command: [node, join(root, 'services/steward-console/dist/cli.js'), 'users', 'create', 'demo', 'admin', 'Cán bộ demo'],
        file: demoFile(root, 'steward'),
      },
    },
  ];
  const present = components.filter((c) => existsSync(join(root, c.workspace, 'dist')));
  return { databases: ['consolidation', 'connectors', 'datasets', 'console'].map(db), components: present, connectorsDb };
}
