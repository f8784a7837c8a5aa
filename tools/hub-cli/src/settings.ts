import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HubCliError } from './errors.js';
import type { Lang } from './i18n.js';

export const DEFAULT_CONSOLE_URL = 'http://127.0.0.1:8310';

/** Global flags, as commander gives them. */
export interface GlobalFlags {
  readonly url?: string;
  readonly token?: string;
  readonly lang?: string;
  readonly json?: boolean;
}

export interface Settings {
  readonly consoleUrl: string;
  readonly token: string | undefined;
  /** Where the token came from, for error messages. */
  readonly tokenSource: 'flag' | 'env' | 'file' | 'none';
  readonly tokenFile: string;
  readonly lang: Lang;
  readonly json: boolean;
}

/** `$XDG_CONFIG_HOME/hub/token`, else `~/.config/hub/token`. */
export function tokenFilePath(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'hub', 'token');
}

export function parseLang(value: string | undefined): Lang {
  if (value === undefined || value === '' || value === 'vi') return 'vi';
  if (value === 'en') return 'en';
  throw new HubCliError(
    `--lang phải là vi hoặc en, không phải "${value}"`,
    `--lang must be vi or en, not "${value}"`,
    2,
  );
}

export function parseConsoleUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return u.toString().replace(/\/+$/, '');
  } catch {
    throw new HubCliError(
      `địa chỉ bảng điều khiển không hợp lệ: "${value}" (ví dụ http://127.0.0.1:8310)`,
      `invalid console URL: "${value}" (e.g. http://127.0.0.1:8310)`,
      2,
    );
  }
}

/** Flags win over the environment, the environment over the token file. */
export async function resolveSettings(
  flags: GlobalFlags,
  env: NodeJS.ProcessEnv,
  home: string,
): Promise<Settings> {
  const lang = parseLang(flags.lang ?? env.HUB_LANG);
  const consoleUrl = parseConsoleUrl(flags.url ?? (env.HUB_CONSOLE_URL || DEFAULT_CONSOLE_URL));
  const tokenFile = tokenFilePath(env, home);
  const base = { consoleUrl, tokenFile, lang, json: flags.json === true };
  if (flags.token) return { ...base, token: flags.token, tokenSource: 'flag' };
  if (env.HUB_TOKEN) return { ...base, token: env.HUB_TOKEN, tokenSource: 'env' };
  const stored = await readFile(tokenFile, 'utf8').then(
    (s) => s.trim(),
    () => '',
  );
  return stored
    ? { ...base, token: stored, tokenSource: 'file' }
    : { ...base, token: undefined, tokenSource: 'none' };
}

/** The token file is readable by its owner only (0600), in a directory only the owner can list. */
export async function saveToken(file: string, token: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile keeps the mode of an existing file
}

export async function removeToken(file: string): Promise<void> {
  await rm(file, { force: true });
}
