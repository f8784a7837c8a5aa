import { buildPollingConnector, runConnectorMain, runOrExit } from '@hub/connector-runtime';
import { FileDropConfigSchema } from './config.js';
import { FileDropSource } from './file-drop-source.js';

/** file-drop: `node dist/main.js [run | migrate | check-config | cursor show [id] | cursor reset <id>]`. */
runOrExit(() =>
  runConnectorMain({
    service: 'connector-file-drop',
    configSchema: FileDropConfigSchema,
    argv: process.argv.slice(2),
    env: process.env,
    build: (config, deps) => {
      const override = config.source.directoryEnv ? process.env[config.source.directoryEnv] : undefined;
      const source = new FileDropSource(config.source, {
        db: deps.db,
        connectorId: config.id,
        directory: override || config.source.directory,
        logger: deps.logger.child({ component: 'file-drop', connectorId: config.id }),
        mapping: config.mapping,
      });
      return buildPollingConnector(config, source, deps);
    },
  }),
);
