import type { z } from 'zod';
import { loadConfig } from '@hub/config';
import { createLogger } from '@hub/log';
import { errorMessage, isAppError } from '@hub/errors';
import { loadConfigFiles } from './config/files.js';
import type { ConnectorBaseConfig } from './config/schema.js';
import type { ConnectorInstance } from './polling.js';
import {
  createRuntimeDeps,
  ensureDeadLetterTopics,
  runAdminCommand,
  RuntimeEnvSchema,
  startProcess,
  type RuntimeDeps,
  type RunningProcess,
} from './runtime.js';

export interface ConnectorMainOptions<S extends z.ZodType> {
  /** Service name in logs and the Kafka client id (`connector-sql-poll`). */
  readonly service: string;
  /** Schema of this kind's configuration files. */
  readonly configSchema: S;
  /** Command-line arguments after the script (`migrate`, `cursor show`, `check-config`, or none = run). */
  readonly argv: readonly string[];
  /** The process environment (only main.ts reads process.env and hands it here). */
  readonly env: NodeJS.ProcessEnv;
  readonly build: (
    config: z.infer<S> & ConnectorBaseConfig,
    deps: RuntimeDeps,
  ) => ConnectorInstance | Promise<ConnectorInstance>;
  readonly handleSignals?: boolean;
  readonly print?: (line: string) => void;
}

/**
 * The composition root shared by the polling connectors: env → logger → admin commands → config
 * files → clients → instances → ops server → signals. Returns the running process (or undefined
 * after an admin command).
 */
export async function runConnectorMain<S extends z.ZodType>(
  opts: ConnectorMainOptions<S>,
): Promise<RunningProcess | undefined> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = loadConfig(RuntimeEnvSchema, opts.env);
  const logger = createLogger({ service: opts.service, level: env.LOG_LEVEL });
  if (await runAdminCommand(opts.argv, env, print)) return undefined;
  const configs = loadConfigFiles(env.CONNECTOR_CONFIG, opts.configSchema).map(
    (l) => l.config as z.infer<S> & ConnectorBaseConfig,
  );
  if (opts.argv[0] === 'check-config') {
    print(`${configs.length} connector configuration(s) valid: ${configs.map((c) => c.id).join(', ')}`);
    return undefined;
  }
  const deps = createRuntimeDeps(env, logger, opts.service);
  if (env.ENSURE_TOPICS) await ensureDeadLetterTopics(deps.kafka, configs, env.KAFKA_REPLICATION_FACTOR);
  const instances: ConnectorInstance[] = [];
  for (const c of configs) instances.push(await opts.build(c, deps));
  return startProcess({
    env,
    deps,
    instances,
    ...(opts.handleSignals === undefined ? {} : { handleSignals: opts.handleSignals }),
  });
}

/** Run `main` and exit 1 with a readable message (every bad key listed) when it fails. */
export function runOrExit(main: () => Promise<unknown>): void {
  main().catch((e: unknown) => {
    // ConfigError messages already list every bad key; other errors get their code.
    process.stderr.write(`${isAppError(e) ? `${e.code}: ` : ''}${errorMessage(e)}\n`);
    process.exit(1);
  });
}
