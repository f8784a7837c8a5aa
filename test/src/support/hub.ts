import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SchemaRegistry,
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  type KafkaClient,
} from '@hub/kafka';
import { catalog } from '@hub/schemas';
import { uniqueName } from '@hub/testing';
import {
  CONFIG_DIR,
  LOG_DIR,
  ROOT,
  ServiceProcess,
  TestDatabases,
  freePort,
  runCli,
  script,
  waitReady,
} from './stack.js';

export interface Endpoints {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly DATABASE_URL: string;
}

/** A component's documented local values (`.env.example`), the base of its environment (as `npm start` does). */
export function envExample(workspace: string): Record<string, string> {
  const file = join(ROOT, workspace, '.env.example');
  const env: Record<string, string> = {};
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2]) env[m[1]] = m[2];
  }
  return env;
}

/** Secrets this suite hands to the processes; the log scan looks for every one of them. */
export const SECRETS: string[] = [];
export const PASSWORD = `Mật-khẩu-${randomBytes(6).toString('hex')}`;
SECRETS.push(PASSWORD);

export interface Topics {
  readonly obsCitizen: string;
  readonly obsBusiness: string;
  readonly obsDossier: string;
  readonly masterCitizen: string;
  readonly masterBusiness: string;
  readonly masterDossier: string;
  readonly dlqPrefix: string;
  readonly dlqConsolidation: string;
  readonly dlqDatasets: string;
  readonly dlqConsole: string;
  readonly dlqIngest: string;
  readonly status: string;
}

/**
 * The hub's own processes on databases and topics of their own (names contain "test"/"systest"),
 * against the shared Kafka, registry and PostgreSQL; ports asked from the kernel.
 */
export class TestHub {
  readonly dbs: TestDatabases;
  readonly kafka: KafkaClient;
  readonly topics: Topics;
  readonly procs: ServiceProcess[] = [];
  readonly run = randomBytes(3).toString('hex');
  private readonly common: Record<string, string>;

  constructor(
    readonly ep: Endpoints,
    readonly label: string,
  ) {
    this.dbs = new TestDatabases(ep.DATABASE_URL);
    this.kafka = createKafkaClient({ brokers: ep.KAFKA_BROKERS.split(','), clientId: `systest-${label}` });
    const p = uniqueName(`sys.${label}`);
    this.topics = {
      obsCitizen: `${p}.obs.citizen`,
      obsBusiness: `${p}.obs.business`,
      obsDossier: `${p}.obs.dossier`,
      masterCitizen: `${p}.master.citizen`,
      masterBusiness: `${p}.master.business`,
      masterDossier: `${p}.master.dossier`,
      dlqPrefix: `${p}.dlq.`,
      dlqConsolidation: `${p}.dlq.consolidation`,
      dlqDatasets: `${p}.dlq.datasets-api`,
      dlqConsole: `${p}.dlq.steward-console`,
      dlqIngest: `${p}.dlq.http-ingest`,
      status: `${p}.connector-status`,
    };
    this.common = {
      KAFKA_BROKERS: ep.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: ep.SCHEMA_REGISTRY_URL,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
    };
  }

  /**
   * This hub's topics (RF 1 on the shared single broker); on a cluster, `replicationFactor` and
   * `config` (e.g. `min.insync.replicas`) apply to every one of them.
   */
  async createTopics(
    partitions = 2,
    opts: { replicationFactor?: number; config?: Record<string, string> } = {},
  ): Promise<void> {
    await ensureTopics(
      this.kafka,
      Object.entries(this.topics)
        .filter(([k]) => k !== 'dlqPrefix')
        .map(([, name]) => ({
          name,
          partitions,
          replicationFactor: opts.replicationFactor ?? 1,
          config: { ...opts.config },
        })),
    );
    // The processes look their schemas up under `<topic>-value`: register the canonical ones there.
    const registry = new SchemaRegistry(this.ep.SCHEMA_REGISTRY_URL);
    const cat = catalog();
    const t = this.topics;
    const canonical: [string, string][] = [
      [t.obsCitizen, 'obs.citizen'],
      [t.obsBusiness, 'obs.business'],
      [t.obsDossier, 'obs.dossier'],
      [t.masterCitizen, 'master.citizen'],
      [t.masterBusiness, 'master.business'],
      [t.masterDossier, 'master.dossier'],
      [t.status, 'hub.connector-status'],
    ];
    for (const [topic, name] of canonical) await registry.register(`${topic}-value`, cat.forTopic(name));
  }

  private proc(
    name: string,
    workspace: string,
    env: Record<string, string>,
    file = 'main.js',
  ): ServiceProcess {
    const p = new ServiceProcess(
      name,
      script(workspace, file),
      this.envFor(workspace, env),
      join(LOG_DIR, `${this.label}-${this.run}-${name}.log`),
    );
    this.procs.push(p);
    return p;
  }

  envFor(workspace: string, env: Record<string, string>): Record<string, string> {
    return { ...envExample(workspace), ...this.common, ...env };
  }

  /** The consolidation's INTERNAL_API_TOKEN, sent by the console and the datasets API started here. */
  readonly internalToken = randomBytes(24).toString('hex');

  async consolidation(): Promise<{ proc: ServiceProcess; url: string; dbUrl: string; token: string }> {
    SECRETS.push(this.internalToken);
    const dbUrl = await this.dbs.create('consolidation');
    const port = await freePort();
    const t = this.topics;
    const env = {
      DATABASE_URL: dbUrl,
      MIGRATION_DATABASE_URL: dbUrl,
      HTTP_PORT: String(port),
      CONSUMER_GROUP: uniqueName('sys.consolidation'),
      TOPIC_OBS_CITIZEN: t.obsCitizen,
      TOPIC_OBS_BUSINESS: t.obsBusiness,
      TOPIC_OBS_DOSSIER: t.obsDossier,
      TOPIC_MASTER_CITIZEN: t.masterCitizen,
      TOPIC_MASTER_BUSINESS: t.masterBusiness,
      TOPIC_MASTER_DOSSIER: t.masterDossier,
      TOPIC_DLQ: t.dlqConsolidation,
      BATCH_MAX_MESSAGES: '200',
      OUTBOX_POLL_MS: '200',
      HTTP_HOST: '127.0.0.1',
      INTERNAL_API_TOKEN: this.internalToken,
    };
    runCli(
      script('services/consolidation', 'cli.js'),
      ['migrate'],
      this.envFor('services/consolidation', env),
    );
    const proc = this.proc('consolidation', 'services/consolidation', env);
    proc.start();
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/readyz`);
    return { proc, url, dbUrl, token: this.internalToken };
  }

  async datasetsApi(
    consolidationUrl: string,
    apps: Record<string, string[]>,
    extraEnv: Record<string, string> = {},
  ): Promise<{ proc: ServiceProcess; url: string; keys: Record<string, string> }> {
    const dbUrl = await this.dbs.create('datasets');
    const port = await freePort();
    const env = {
      DATABASE_URL: dbUrl,
      MIGRATION_DATABASE_URL: dbUrl,
      HTTP_PORT: String(port),
      CONSUMER_GROUP: uniqueName('sys.datasets'),
      TOPIC_MASTER_CITIZEN: this.topics.masterCitizen,
      TOPIC_MASTER_BUSINESS: this.topics.masterBusiness,
      TOPIC_MASTER_DOSSIER: this.topics.masterDossier,
      TOPIC_DLQ: this.topics.dlqDatasets,
      CONSOLIDATION_URL: consolidationUrl,
      CONSOLIDATION_TOKEN: this.internalToken,
      // The access-control table sends many refused requests from one address on purpose.
      AUTH_FAILURES_PER_MINUTE: '100000',
      ...extraEnv,
    };
    const cli = script('services/datasets-api', 'cli.js');
    runCli(cli, ['migrate'], this.envFor('services/datasets-api', env));
    const keys: Record<string, string> = {};
    for (const [name, scopes] of Object.entries(apps)) {
      const out = JSON.parse(
        runCli(
          cli,
          [
            'apps',
            'create',
            '--name',
            `systest ${name}`,
            '--purpose',
            'system test',
            '--scopes',
            scopes.join(','),
            '--rate-limit',
            '100000',
          ],
          this.envFor('services/datasets-api', env),
        ),
      ) as { apiKey: string };
      keys[name] = out.apiKey;
      SECRETS.push(out.apiKey);
    }
    const proc = this.proc('datasets-api', 'services/datasets-api', env);
    proc.start();
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/healthz`);
    return { proc, url, keys };
  }

  async stewardConsole(
    consolidationUrl: string,
    users: Record<string, 'viewer' | 'steward' | 'admin'>,
  ): Promise<{ proc: ServiceProcess; url: string; tokens: Record<string, string> }> {
    const dbUrl = await this.dbs.create('console');
    const port = await freePort();
    const t = this.topics;
    const env = {
      DATABASE_URL: dbUrl,
      MIGRATION_DATABASE_URL: dbUrl,
      HTTP_PORT: String(port),
      CONSUMER_GROUP_PREFIX: uniqueName('sys.console'),
      TOPIC_CONNECTOR_STATUS: t.status,
      TOPIC_MASTER_DOSSIER: t.masterDossier,
      DLQ_TOPIC_PREFIX: t.dlqPrefix,
      TOPIC_OWN_DLQ: t.dlqConsole,
      CONSOLIDATION_URL: consolidationUrl,
      CONSOLIDATION_TOKEN: this.internalToken,
      SAMPLE_INTERVAL_MS: '2000',
      DLQ_DISCOVERY_INTERVAL_MS: '2000',
      COOKIE_SECURE: 'false',
    };
    const cli = script('services/steward-console', 'cli.js');
    const cenv = this.envFor('services/steward-console', env);
    runCli(cli, ['migrate'], cenv);
    const tokens: Record<string, string> = {};
    for (const [user, role] of Object.entries(users)) {
      runCli(cli, ['users', 'create', user, role, `Cán bộ ${user}`], { ...cenv, CONSOLE_PASSWORD: PASSWORD });
      tokens[user] = runCli(cli, ['tokens', 'create', user, '--days', '1'], cenv).trim();
      SECRETS.push(tokens[user]);
    }
    const proc = this.proc('steward-console', 'services/steward-console', env);
    proc.start();
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${url}/healthz`);
    return { proc, url, tokens };
  }

  /** http-ingest with two departments (police-residence → citizens, one-stop → dossiers) on this hub's topics. */
  async httpIngest(
    key: string,
    otherKey: string,
    extraEnv: Record<string, string> = {},
  ): Promise<{ proc: ServiceProcess; url: string; opsUrl: string; opsToken: string; dbUrl: string }> {
    const dbUrl = await this.dbs.create('connectors');
    const [port, ops] = [await freePort(), await freePort()];
    const dir = CONFIG_DIR;
    mkdirSync(dir, { recursive: true });
    const config = join(dir, `${this.label}-${this.run}-http-ingest.json`);
    writeFileSync(
      config,
      JSON.stringify({
        id: 'http-ingest',
        kind: 'http-ingest',
        bodyLimit: '256kb',
        maxBatchRecords: 200,
        rateLimitPerMinute: 0,
        heartbeatIntervalMs: 2000,
        topics: {
          observations: { citizen: this.topics.obsCitizen, dossier: this.topics.obsDossier },
          status: this.topics.status,
        },
        sources: [
          { system: 'police-residence', apiKeyEnv: 'INGEST_KEY_POLICE_RESIDENCE', entities: { citizen: {} } },
          { system: 'one-stop', apiKeyEnv: 'INGEST_KEY_ONE_STOP', entities: { dossier: {} } },
        ],
      }),
    );
    const opsToken = randomBytes(16).toString('hex');
    SECRETS.push(key, otherKey, opsToken);
    const env = {
      CONNECTOR_DATABASE_URL: dbUrl,
      CONNECTOR_CONFIG: config,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      OPS_PORT: String(ops),
      OPS_HOST: '127.0.0.1',
      OPS_TOKEN: opsToken,
      REGISTER_SCHEMAS: 'true',
      ENSURE_TOPICS: 'false',
      INGEST_KEY_POLICE_RESIDENCE: key,
      INGEST_KEY_ONE_STOP: otherKey,
      ...extraEnv,
    };
    const main = script('connectors/http-ingest');
    runCli(main, ['migrate'], this.envFor('connectors/http-ingest', env));
    const proc = this.proc('http-ingest', 'connectors/http-ingest', env);
    proc.start();
    const url = `http://127.0.0.1:${port}`;
    await waitReady(proc, `http://127.0.0.1:${ops}/healthz`);
    await waitReady(proc, `${url}/healthz`);
    return { proc, url, opsUrl: `http://127.0.0.1:${ops}`, opsToken, dbUrl };
  }

  async stop(): Promise<void> {
    for (const p of this.procs) await p.stop('SIGTERM', 20_000).catch(() => undefined);
    const topics: string[] = Object.entries(this.topics)
      .filter(([k]) => k !== 'dlqPrefix')
      .map(([, v]) => String(v));
    await deleteTestTopics(this.kafka, topics).catch(() => undefined);
    await this.dbs.dropAll();
  }
}
