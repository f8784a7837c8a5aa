import { buildPollingConnector, runConnectorMain, runOrExit } from '@hub/connector-runtime';
import { ConfigError } from '@hub/errors';
import { RestPollConfigSchema } from './config.js';
import { RestSource } from './rest-source.js';

/** rest-poll: `node dist/main.js [run | migrate | check-config | cursor show [id] | cursor reset <id>]`. */
runOrExit(() =>
  runConnectorMain({
    service: 'connector-rest-poll',
    configSchema: RestPollConfigSchema,
    argv: process.argv.slice(2),
    env: process.env,
    build: (config, deps) => {
      const keyEnv = config.source.auth?.apiKeyEnv;
      const apiKey = keyEnv ? process.env[keyEnv] : undefined;
      if (keyEnv && !apiKey)
        throw new ConfigError(
          `connector ${config.id}: environment variable ${keyEnv} (the API key) is not set`,
          {
            details: [
              { field: keyEnv, problem: 'not set', hint: 'Set it in the environment (see .env.example).' },
            ],
          },
        );
      const override = config.source.baseUrlEnv ? process.env[config.source.baseUrlEnv] : undefined;
      const source = new RestSource(config.source, {
        baseUrl: override || config.source.baseUrl,
        ...(apiKey ? { apiKey } : {}),
        logger: deps.logger.child({ component: 'rest-client', connectorId: config.id }),
      });
      return buildPollingConnector(config, source, deps);
    },
  }),
);
