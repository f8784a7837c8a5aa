import { buildPollingConnector, runConnectorMain, runOrExit } from '@hub/connector-runtime';
import { ConfigError } from '@hub/errors';
import { SqlPollConfigSchema } from './config.js';
import { SqlSource } from './sql-source.js';

/** sql-poll: `node dist/main.js [run | migrate | check-config | cursor show [id] | cursor reset <id>]`. */
runOrExit(() =>
  runConnectorMain({
    service: 'connector-sql-poll',
    configSchema: SqlPollConfigSchema,
    argv: process.argv.slice(2),
    env: process.env,
    build: (config, deps) => {
      const url = process.env[config.source.connectionEnv];
      if (!url) {
        throw new ConfigError(
          `connector ${config.id}: environment variable ${config.source.connectionEnv} (the source database URL) is not set`,
          {
            details: [
              {
                field: config.source.connectionEnv,
                problem: 'not set',
                hint: 'Set it in the environment (see .env.example).',
              },
            ],
          },
        );
      }
      const del = config.source.deleteDetection;
      return buildPollingConnector(
        config,
        new SqlSource(config.source, url),
        deps,
        del.mode === 'compare' ? { deleteComparisonIntervalMs: del.intervalMs } : {},
      );
    },
  }),
);
