import type { DeadLetterListJson, DecodedValue, HealthJson, ReplayJson } from './api-types.js';
import type { ConsoleClient } from './client.js';
import { EXIT, HubCliError } from './errors.js';
import { renderDeadLetters, renderReplay, renderSources, renderStatus } from './format.js';
import { tr } from './i18n.js';
import type { Settings } from './settings.js';

/** What a command needs: settings, the console client and somewhere to write. */
export interface CommandContext {
  readonly settings: Settings;
  readonly client: ConsoleClient;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2);

/** Exit 3 when the hub is red, so `hub status || page-someone` works in cron and CI. */
export async function statusCommand(c: CommandContext): Promise<number> {
  const h = await c.client.get<HealthJson>('/api/health');
  c.out(c.settings.json ? json(h) : renderStatus(h, c.settings.lang));
  return h.status === 'red' ? EXIT.red : EXIT.ok;
}

export async function sourcesCommand(c: CommandContext): Promise<number> {
  const h = await c.client.get<HealthJson>('/api/health');
  c.out(c.settings.json ? json(h.sources) : renderSources(h, c.settings.lang));
  return EXIT.ok;
}

/** The dead-letter topic of a connector, from the console's per-topic summaries. */
async function dlqTopicOf(c: CommandContext, connector: string): Promise<string> {
  const { summaries } = await c.client.get<DeadLetterListJson>('/api/dead-letters?limit=1');
  const found = summaries.find((s) => s.connectorId === connector || s.topic === connector);
  if (!found) {
    const known = summaries.map((s) => s.connectorId).join(', ') || '-';
    throw new HubCliError(
      `Kết nối "${connector}" chưa có thư lỗi nào (có: ${known}).`,
      `Connector "${connector}" has no dead letters (known: ${known}).`,
    );
  }
  return found.topic;
}

export interface DlqOptions {
  readonly connector?: string;
  readonly reason?: string;
  readonly limit: number;
  readonly includeReplayed: boolean;
  readonly preview: boolean;
}

export async function dlqCommand(c: CommandContext, o: DlqOptions): Promise<number> {
  const q = new URLSearchParams({ limit: String(o.limit) });
  if (!o.includeReplayed) q.set('open', 'true');
  if (o.connector) q.set('topic', await dlqTopicOf(c, o.connector));
  if (o.reason) q.set('reason', o.reason);
  const list = await c.client.get<DeadLetterListJson>(`/api/dead-letters?${q.toString()}`);
  // The decoded original comes from the detail endpoint (stewards and admins; each view is audited).
  const previews = new Map<number, DecodedValue>();
  let note: string | undefined;
  if (o.preview) {
    for (const d of list.items) {
      try {
        previews.set(
          d.id,
          (await c.client.get<{ original: DecodedValue }>(`/api/dead-letters/${d.id}`)).original,
        );
      } catch (e) {
        if (!(e instanceof HubCliError) || !/role cannot/i.test(e.en)) throw e;
        note = tr(
          c.settings.lang,
          'Vai trò của bạn không xem được nội dung (cần steward hoặc admin); dùng --no-preview.',
          'Your role cannot see payloads (steward or admin needed); use --no-preview.',
        );
        break;
      }
    }
  }
  if (c.settings.json)
    c.out(
      json({
        items: list.items.map((d) => ({ ...d, original: previews.get(d.id) ?? null })),
        reasons: list.reasons,
      }),
    );
  else c.out(renderDeadLetters(list.items, previews, c.settings.lang, note));
  return EXIT.ok;
}

export interface ReplayOptions {
  readonly ids: readonly number[];
  readonly all: boolean;
  readonly connector?: string;
  readonly reason?: string;
  readonly note?: string;
  readonly force: boolean;
}

/** Exit 1 when any dead letter was refused (already replayed, unknown, send failed). */
export async function replayCommand(c: CommandContext, o: ReplayOptions): Promise<number> {
  if (o.all === o.ids.length > 0) {
    throw new HubCliError(
      'Cho danh sách id hoặc --all (không cả hai).',
      'Give ids or --all (not both).',
      EXIT.usage,
    );
  }
  if (!o.all && (o.connector || o.reason)) {
    throw new HubCliError(
      '--connector và --reason chỉ đi với --all.',
      '--connector and --reason go with --all only.',
      EXIT.usage,
    );
  }
  const filter = o.all
    ? {
        ...(o.connector ? { topic: await dlqTopicOf(c, o.connector) } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      }
    : undefined;
  const body = {
    ...(filter ? { all: filter } : { ids: o.ids }),
    force: o.force,
    ...(o.note ? { reason: o.note } : {}),
  };
  const r = await c.client.post<ReplayJson>('/api/dead-letters/replay', body);
  c.out(c.settings.json ? json(r) : renderReplay(r, c.settings.lang));
  return r.refused > 0 ? EXIT.error : EXIT.ok;
}

export async function cursorShowCommand(
  c: CommandContext,
  connector: string,
): Promise<{ code: number; kind: string }> {
  const h = await c.client.get<HealthJson>('/api/health');
  const s = h.sources.find((x) => x.connectorId === connector);
  if (!s) {
    const known = h.sources.map((x) => x.connectorId).join(', ') || '-';
    throw new HubCliError(
      `Không có kết nối "${connector}" (có: ${known}).`,
      `No connector "${connector}" (known: ${known}).`,
    );
  }
  const view = {
    connectorId: s.connectorId,
    connectorKind: s.connectorKind,
    state: s.state,
    cursor: s.cursor,
    lastHeartbeatAt: s.lastHeartbeatAt,
  };
  const lang = c.settings.lang;
  c.out(
    c.settings.json
      ? json(view)
      : [
          `${s.connectorId} (${s.connectorKind}, ${s.state})`,
          `  ${tr(lang, 'con trỏ', 'cursor')}: ${s.cursor ?? tr(lang, '(chưa có — sẽ chụp toàn bộ)', '(none — a full snapshot)')}`,
          `  ${tr(lang, 'theo nhịp tim lúc', 'as of the heartbeat at')} ${s.lastHeartbeatAt}`,
        ].join('\n'),
  );
  return { code: EXIT.ok, kind: s.connectorKind };
}

export async function whoamiCommand(c: CommandContext): Promise<number> {
  const me = await c.client.get<{ user: { username: string; displayName: string; role: string } }>(
    '/api/session',
  );
  c.out(
    c.settings.json
      ? json(me.user)
      : `${me.user.username} (${me.user.role}) — ${me.user.displayName} @ ${c.settings.consoleUrl}`,
  );
  return EXIT.ok;
}
