import { EXIT, HubCliError } from './errors.js';
import type { Settings } from './settings.js';

/** The console's error body: `{ error: { code, message, requestId } }`. */
interface ErrorBody {
  error?: { code?: string; message?: string; requestId?: string };
}

export interface ConsoleClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown, opts?: { anonymous?: boolean }): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

/**
 * The steward console's JSON API with a bearer token. Every failure becomes a HubCliError that
 * says what happened and what to do: unreachable (which URL, how to point elsewhere), 401 (run
 * `hub login`), 403 (the role cannot do it), anything else with the console's own message.
 */
export function createConsoleClient(
  s: Pick<Settings, 'consoleUrl' | 'token' | 'tokenSource' | 'tokenFile'>,
  fetchImpl: typeof fetch = fetch,
): ConsoleClient {
  async function call<T>(method: string, path: string, body?: unknown, anonymous = false): Promise<T> {
    if (!anonymous && !s.token) {
      throw new HubCliError(
        `Chưa đăng nhập: chạy \`hub login\`, hoặc đặt HUB_TOKEN / --token (tệp mã: ${s.tokenFile}).`,
        `Not logged in: run \`hub login\`, or set HUB_TOKEN / --token (token file: ${s.tokenFile}).`,
      );
    }
    const url = `${s.consoleUrl}${path}`;
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(anonymous || !s.token ? {} : { authorization: `Bearer ${s.token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const why =
        e instanceof Error ? ((e.cause as { code?: string } | undefined)?.code ?? e.message) : String(e);
      throw new HubCliError(
        `Không kết nối được bảng điều khiển tại ${s.consoleUrl} (${why}). Kiểm tra hub đang chạy (\`npm start\`) hoặc đặt HUB_CONSOLE_URL / --url.`,
        `Cannot reach the steward console at ${s.consoleUrl} (${why}). Check the hub is running (\`npm start\`) or set HUB_CONSOLE_URL / --url.`,
        EXIT.error,
        { cause: e },
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined)
        throw new HubCliError(
          `${url} không trả về JSON (HTTP ${res.status}) — có đúng là bảng điều khiển?`,
          `${url} did not answer JSON (HTTP ${res.status}) — is that the steward console?`,
        );
      return parsed as T;
    }
    const err = (parsed as ErrorBody | undefined)?.error;
    const message = err?.message ?? `HTTP ${res.status}`;
    if (res.status === 401 && !anonymous) {
      const from = { flag: '--token', env: 'HUB_TOKEN', file: s.tokenFile, none: '-' }[s.tokenSource];
      throw new HubCliError(
        `Mã truy cập bị từ chối (${from}): ${message}. Chạy \`hub login\` để lấy mã mới.`,
        `The console refused the token (${from}): ${message}. Run \`hub login\` to get a new one.`,
      );
    }
    if (res.status === 403) {
      throw new HubCliError(
        `Vai trò của bạn không được làm việc này: ${message}`,
        `Your role cannot do that: ${message}`,
      );
    }
    const code = err?.code ? `${err.code}: ` : '';
    const id = err?.requestId ? ` (requestId ${err.requestId})` : '';
    throw new HubCliError(
      `Bảng điều khiển trả lỗi HTTP ${res.status} — ${code}${message}${id}`,
      `The console answered HTTP ${res.status} — ${code}${message}${id}`,
    );
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body, opts) => call('POST', path, body, opts?.anonymous ?? false),
    delete: (path) => call('DELETE', path),
  };
}
