import type { CommandContext } from './commands.js';
import { EXIT, HubCliError } from './errors.js';
import { tr } from './i18n.js';
import { removeToken, saveToken } from './settings.js';

export interface LoginOptions {
  readonly username?: string;
  readonly passwordStdin: boolean;
  readonly name?: string;
}

/** How login asks: a line, a hidden line (terminal), or all of stdin (scripts). */
export interface Prompter {
  readonly isTty: boolean;
  line(prompt: string): Promise<string>;
  secret(prompt: string): Promise<string>;
  stdin(): Promise<string>;
}

interface TokenResponse {
  readonly token: string;
  readonly expiresAt: string | null;
  readonly user: { readonly username: string; readonly role: string };
}

/** Trades a username and password for an API token (POST /api/tokens) and keeps it, mode 0600. */
export async function loginCommand(
  c: CommandContext,
  o: LoginOptions,
  ask: Prompter,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const lang = c.settings.lang;
  const username = (
    o.username ?? (ask.isTty ? await ask.line(tr(lang, 'Tên đăng nhập: ', 'Username: ')) : '')
  ).trim();
  if (!username)
    throw new HubCliError(
      'Cho tên đăng nhập: hub login --username <tên>.',
      'Give a username: hub login --username <name>.',
      EXIT.usage,
    );
  let password: string;
  if (o.passwordStdin) password = (await ask.stdin()).replace(/\r?\n$/, '');
  else if (ask.isTty) password = await ask.secret(tr(lang, 'Mật khẩu: ', 'Password: '));
  else
    throw new HubCliError(
      'Không có terminal để hỏi mật khẩu: dùng --password-stdin.',
      'No terminal to ask for the password: use --password-stdin.',
      EXIT.usage,
    );
  const r = await c.client.post<TokenResponse>(
    '/api/tokens',
    { username, password, ...(o.name ? { name: o.name } : {}) },
    { anonymous: true },
  );
  await saveToken(c.settings.tokenFile, r.token);
  const until = r.expiresAt ?? tr(lang, 'khi bị thu hồi', 'revoked');
  c.out(
    tr(
      lang,
      `Đã đăng nhập ${r.user.username} (${r.user.role}) tại ${c.settings.consoleUrl}; mã lưu ở ${c.settings.tokenFile} (0600), hiệu lực đến ${until}.`,
      `Logged in as ${r.user.username} (${r.user.role}) at ${c.settings.consoleUrl}; token saved in ${c.settings.tokenFile} (0600), valid until ${until}.`,
    ),
  );
  if (env.HUB_TOKEN)
    c.err(
      tr(
        lang,
        'Lưu ý: HUB_TOKEN đang đặt và được ưu tiên hơn tệp mã.',
        'Note: HUB_TOKEN is set and takes precedence over the token file.',
      ),
    );
  return EXIT.ok;
}

/** Revokes the token at the console, then forgets it locally. */
export async function logoutCommand(c: CommandContext): Promise<number> {
  await c.client.delete('/api/tokens/current');
  if (c.settings.tokenSource === 'file') await removeToken(c.settings.tokenFile);
  c.out(tr(c.settings.lang, 'Đã thu hồi mã truy cập.', 'Token revoked.'));
  return EXIT.ok;
}
