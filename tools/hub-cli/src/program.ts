import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createConsoleClient } from './client.js';
import {
  cursorShowCommand,
  dlqCommand,
  replayCommand,
  sourcesCommand,
  statusCommand,
  whoamiCommand,
  type CommandContext,
} from './commands.js';
import { EXIT, HubCliError } from './errors.js';
import { appsCommand, cursorResetCommand, repoRoot, runExternal, type ExternalCommand } from './external.js';
import { loginCommand, logoutCommand, type Prompter } from './login.js';
import { parseLang, resolveSettings, type GlobalFlags } from './settings.js';

/** Everything the process gives the program, so tests run it in-process with their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly prompter: Prompter;
  readonly fetch?: typeof fetch;
  readonly runExternal?: (c: ExternalCommand) => Promise<number>;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer');
  return n;
}

function ids(value: string, previous: number[] = []): number[] {
  return [...previous, positiveInt(value)];
}

const HELP_FOOTER = `
Cấu hình / config: HUB_CONSOLE_URL (mặc định/default http://127.0.0.1:8310), HUB_TOKEN hoặc/or --token,
  hoặc tệp/or the file ~/.config/hub/token (hub login). HUB_LANG=en như/like --lang en.
Mã thoát / exit codes: 0 ổn/ok · 1 lỗi/error · 2 sai cú pháp/usage · 3 hub status: có nguồn đỏ/something red.`;

/** Builds the `hub` command tree; `run` parses and returns the exit code. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('hub')
    .description(
      'Trung tâm dữ liệu dùng chung Tuyên Quang — dòng lệnh cho vận hành / shared-data hub command line for operators',
    )
    .option('--url <url>', 'địa chỉ bảng điều khiển / steward console URL (HUB_CONSOLE_URL)')
    .option('--token <token>', 'mã truy cập / API token (HUB_TOKEN)')
    .addOption(new Option('--lang <lang>', 'ngôn ngữ / language').choices(['vi', 'en']))
    .option('--json', 'JSON cho script / JSON for scripts')
    .addHelpText('after', HELP_FOOTER)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });

  /** Settings and client for an action; the command's own options come from `cmd.opts()`. */
  const context = async (cmd: Command): Promise<CommandContext> => {
    const settings = await resolveSettings(cmd.optsWithGlobals<GlobalFlags>(), io.env, io.home);
    return { settings, client: createConsoleClient(settings, io.fetch), out: io.out, err: io.err };
  };
  const action =
    <A extends unknown[]>(f: (c: CommandContext, cmd: Command, ...args: A) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      setExit(await f(await context(cmd), cmd, ...(args.slice(0, -2) as A)));
    };

  program
    .command('status')
    .description(
      'tình trạng chung xanh/vàng/đỏ kèm lý do / overall green/amber/red with reasons (exit 3 when red)',
    )
    .action(action((c) => statusCommand(c)));

  program
    .command('sources')
    .description(
      'từng nguồn: trạng thái, nhịp tim, lưu lượng, độ mới, thư lỗi, đối soát / per source: state, heartbeat, throughput, freshness, dead letters, reconciliation',
    )
    .action(action((c) => sourcesCommand(c)));

  program
    .command('dlq')
    .description('liệt kê thư lỗi chưa phát lại / list dead letters not replayed yet')
    .option('--connector <id>', 'chỉ của kết nối này / only this connector')
    .option('--reason <reason>', 'chỉ lý do này / only this reason (e.g. VALIDATION_FAILED)')
    .option('--limit <n>', 'tối đa / at most', positiveInt, 20)
    .option('--include-replayed', 'cả thư đã phát lại / also those already replayed')
    .option('--no-preview', 'không giải mã nội dung / no decoded preview (viewers)')
    .action(
      action((c, cmd) => {
        const o = cmd.opts<{
          connector?: string;
          reason?: string;
          limit: number;
          includeReplayed?: boolean;
          preview: boolean;
        }>();
        return dlqCommand(c, { ...o, includeReplayed: o.includeReplayed === true });
      }),
    );

  program
    .command('replay')
    .description(
      'phát lại thư lỗi về topic gốc sau khi sửa / replay dead letters to their original topic after a fix',
    )
    .argument('[ids...]', 'id thư lỗi / dead-letter ids (hub dlq)', ids)
    .option('--all', 'mọi thư chưa phát lại khớp bộ lọc / every open one matching the filters')
    .option('--connector <id>', 'với --all / with --all')
    .option('--reason <reason>', 'với --all / with --all')
    .option('--note <text>', 'đã sửa gì (ghi vào nhật ký) / what was fixed (audited)')
    .option('--force', 'phát lại lần nữa (admin) / replay again (admin)')
    .action(
      action((c, cmd, given: number[] | undefined) => {
        const o = cmd.opts<{
          all?: boolean;
          connector?: string;
          reason?: string;
          note?: string;
          force?: boolean;
        }>();
        return replayCommand(c, { ...o, all: o.all === true, force: o.force === true, ids: given ?? [] });
      }),
    );

  program
    .command('cursor')
    .description(
      'con trỏ của kết nối; đặt lại qua lệnh của chính kết nối / a connector cursor; reset through the connector own command',
    )
    .argument('<connector>', 'id kết nối / connector id')
    .option(
      '--reset [cursor-json]',
      'đặt lại (không giá trị = chụp toàn bộ) / reset (no value = full snapshot); needs CONNECTOR_DATABASE_URL',
    )
    .option('--yes', 'xác nhận đặt lại / confirm the reset')
    .action(
      action(async (c, cmd, connector: string) => {
        const o = cmd.opts<{ reset?: string | boolean; yes?: boolean }>();
        const shown = await cursorShowCommand(c, connector);
        if (o.reset === undefined) return shown.code;
        if (!o.yes)
          throw new HubCliError(
            'Đặt lại con trỏ làm kết nối đọc lại dữ liệu: thêm --yes để xác nhận.',
            'Resetting a cursor makes the connector read again: add --yes to confirm.',
            EXIT.usage,
          );
        const value = typeof o.reset === 'string' ? o.reset : undefined;
        return (io.runExternal ?? runExternal)(
          cursorResetCommand(repoRoot(io.env), shown.kind, connector, value, io.env),
        );
      }),
    );

  const apps = program
    .command('apps')
    .description(
      'ứng dụng của datasets API (chạy lệnh của datasets API) / datasets-API applications (runs its own command line)',
    );
  const external = (args: string[]) =>
    (io.runExternal ?? runExternal)(appsCommand(repoRoot(io.env), args, io.env));
  apps.command('list').action(action(() => external(['list'])));
  apps
    .command('create')
    .requiredOption('--name <name>')
    .requiredOption('--purpose <purpose>', 'mục đích sử dụng dữ liệu (NĐ 13/2023) / declared purpose')
    .requiredOption('--scopes <a,b>')
    .option('--rate-limit <perMinute>')
    .action(
      action((_c, cmd) => {
        const o = cmd.opts<{ name: string; purpose: string; scopes: string; rateLimit?: string }>();
        return external([
          'create',
          '--name',
          o.name,
          '--purpose',
          o.purpose,
          '--scopes',
          o.scopes,
          ...(o.rateLimit ? ['--rate-limit', o.rateLimit] : []),
        ]);
      }),
    );
  apps
    .command('revoke')
    .argument('<appId>')
    .action(action((_c, _cmd, id: string) => external(['revoke', id])));
  apps
    .command('rotate')
    .argument('<appId>')
    .action(action((_c, _cmd, id: string) => external(['rotate', id])));

  program
    .command('login')
    .description(
      'lấy mã truy cập bằng tên và mật khẩu, lưu 0600 / get an API token with username and password, saved 0600',
    )
    .option('--username <name>')
    .option('--password-stdin', 'đọc mật khẩu từ stdin / read the password from stdin')
    .option('--name <name>', 'tên mã (ví dụ máy này) / token name (e.g. this machine)')
    .action(
      action((c, cmd) => {
        const o = cmd.opts<{ username?: string; passwordStdin?: boolean; name?: string }>();
        return loginCommand(c, { ...o, passwordStdin: o.passwordStdin === true }, io.prompter, io.env);
      }),
    );
  program
    .command('logout')
    .description('thu hồi mã và xoá tệp / revoke the token and delete the file')
    .action(action((c) => logoutCommand(c)));
  program
    .command('whoami')
    .description('mã này là của ai / who this token acts as')
    .action(action((c) => whoamiCommand(c)));
  return program;
}

/** Parses and runs; every failure is a message in the chosen language and an exit code, never a stack. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  const langFlag = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  let lang: 'vi' | 'en' = 'vi';
  try {
    const raw =
      langFlag < 0
        ? io.env.HUB_LANG
        : argv[langFlag]?.includes('=')
          ? argv[langFlag]?.split('=')[1]
          : argv[langFlag + 1];
    lang = parseLang(raw);
  } catch {
    /* commander reports a bad --lang itself */
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
        ? EXIT.ok
        : EXIT.usage;
    }
    if (e instanceof HubCliError) {
      io.err(`${lang === 'vi' ? 'lỗi' : 'error'}: ${e.say(lang)}`);
      return e.exitCode;
    }
    io.err(
      `${lang === 'vi' ? 'lỗi không mong đợi' : 'unexpected error'}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return EXIT.error;
  }
}
