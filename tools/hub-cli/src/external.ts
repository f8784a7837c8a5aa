import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, HubCliError } from './errors.js';

/**
 * Cursor resets and datasets-API applications are not console operations: they belong to the
 * connector and to the datasets API, which own those tables. `hub` runs their own command lines
 * (in this checkout, or under HUB_REPO_ROOT) instead of reaching into their databases.
 */
export interface ExternalCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** The repository root: HUB_REPO_ROOT, else the checkout this build lives in (tools/hub-cli/dist). */
export function repoRoot(env: NodeJS.ProcessEnv): string {
  return env.HUB_REPO_ROOT
    ? resolve(env.HUB_REPO_ROOT)
    : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

const CONNECTOR_KIND = /^[a-z][a-z0-9-]*$/;

/** `node connectors/<kind>/dist/main.js cursor reset <id> [cursor-json]` with CONNECTOR_DATABASE_URL. */
export function cursorResetCommand(
  root: string,
  kind: string,
  connectorId: string,
  value: string | undefined,
  env: NodeJS.ProcessEnv,
): ExternalCommand {
  if (!CONNECTOR_KIND.test(kind))
    throw new HubCliError(`loại kết nối lạ: ${kind}`, `unexpected connector kind: ${kind}`);
  if (value !== undefined) {
    try {
      JSON.parse(value);
    } catch {
      throw new HubCliError(
        `Con trỏ phải là JSON: ${value}`,
        `The cursor must be JSON: ${value}`,
        EXIT.usage,
      );
    }
  }
  if (!env.CONNECTOR_DATABASE_URL) {
    throw new HubCliError(
      'Đặt CONNECTOR_DATABASE_URL (cơ sở dữ liệu con trỏ của kết nối, ví dụ postgres://postgres@127.0.0.1:5432/hub_connectors).',
      "Set CONNECTOR_DATABASE_URL (the connectors' cursor database, e.g. postgres://postgres@127.0.0.1:5432/hub_connectors).",
      EXIT.usage,
    );
  }
  return {
    command: process.execPath,
    args: [
      join(root, 'connectors', kind, 'dist', 'main.js'),
      'cursor',
      'reset',
      connectorId,
      ...(value === undefined ? [] : [value]),
    ],
    env,
  };
}

/** `node services/datasets-api/dist/cli.js apps …` against HUB_DATASETS_DATABASE_URL (else DATABASE_URL). */
export function appsCommand(root: string, args: readonly string[], env: NodeJS.ProcessEnv): ExternalCommand {
  const db = env.HUB_DATASETS_DATABASE_URL ?? env.DATABASE_URL;
  if (!db) {
    throw new HubCliError(
      'Đặt HUB_DATASETS_DATABASE_URL (cơ sở dữ liệu của datasets API, ví dụ postgres://postgres@127.0.0.1:5432/hub_datasets).',
      "Set HUB_DATASETS_DATABASE_URL (the datasets API's database, e.g. postgres://postgres@127.0.0.1:5432/hub_datasets).",
      EXIT.usage,
    );
  }
  return {
    command: process.execPath,
    args: [join(root, 'services', 'datasets-api', 'dist', 'cli.js'), 'apps', ...args],
    env: { ...env, DATABASE_URL: db },
  };
}

/** Runs it with the terminal attached; its exit code becomes ours. */
export function runExternal(c: ExternalCommand): Promise<number> {
  const script = c.args[0];
  if (script !== undefined && !existsSync(script)) {
    return Promise.reject(
      new HubCliError(
        `Chưa build: không có ${script} (chạy npm run build).`,
        `Not built: ${script} is missing (run npm run build).`,
      ),
    );
  }
  return new Promise((done, fail) => {
    const child = spawn(c.command, [...c.args], { env: c.env, stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? EXIT.error : EXIT.ok)));
  });
}
