import Table from 'cli-table3';
import type { DeadLetterJson, DecodedValue, HealthJson, Light, ReplayJson, SourceJson } from './api-types.js';
import { formatCount, formatDuration, tr, type Lang } from './i18n.js';

const LIGHTS: Record<Light, { symbol: string; vi: string; en: string }> = {
  green: { symbol: '●', vi: 'xanh', en: 'green' },
  amber: { symbol: '▲', vi: 'vàng', en: 'amber' },
  red: { symbol: '✖', vi: 'đỏ', en: 'red' },
};

/** "● xanh" / "✖ red": a symbol as well as a word, readable without colour. */
export function light(l: Light, lang: Lang): string {
  const x = LIGHTS[l];
  return `${x.symbol} ${lang === 'vi' ? x.vi : x.en}`;
}

function table(head: string[]): Table.Table {
  // No colours in the table chrome: output is piped into files and pagers as often as read.
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

export function renderStatus(h: HealthJson, lang: Lang): string {
  const lines = [`${light(h.status, lang)} — ${lang === 'vi' ? h.summary.vi : h.summary.en}`];
  for (const r of h.reasons)
    lines.push(`  ${LIGHTS[r.light].symbol} ${r.subject}: ${lang === 'vi' ? r.vi : r.en}`);
  const counts = { green: 0, amber: 0, red: 0 };
  for (const s of h.sources) counts[s.status] += 1;
  lines.push(
    tr(
      lang,
      `Nguồn: ${h.sources.length} (${counts.green} xanh, ${counts.amber} vàng, ${counts.red} đỏ) · nhóm tiêu thụ: ${h.consumers.length} · lúc ${h.at}`,
      `Sources: ${h.sources.length} (${counts.green} green, ${counts.amber} amber, ${counts.red} red) · consumer groups: ${h.consumers.length} · at ${h.at}`,
    ),
  );
  return lines.join('\n');
}

function freshness(s: SourceJson, lang: Lang): string {
  if (s.freshness.ageSeconds === null) return tr(lang, 'chưa rõ', 'unknown');
  return `${formatDuration(s.freshness.ageSeconds, lang)} / SLO ${formatDuration(s.freshness.sloSeconds, lang)}`;
}

function reconciliation(s: SourceJson, lang: Lang): string {
  const r = s.reconciliation;
  if (r.sourceCount === null) return `${formatCount(r.hubCount, lang)} / ?`;
  const diff = r.difference ? ` (${r.difference > 0 ? '+' : ''}${formatCount(r.difference, lang)})` : ' ✓';
  return `${formatCount(r.hubCount, lang)} / ${formatCount(r.sourceCount, lang)}${diff}`;
}

export function renderSources(h: HealthJson, lang: Lang): string {
  if (h.sources.length === 0)
    return tr(lang, 'Chưa có nguồn nào gửi nhịp tim.', 'No source has sent a heartbeat yet.');
  const t = table(
    lang === 'vi'
      ? [
          'nguồn',
          'hệ thống',
          'tình trạng',
          'trạng thái',
          'nhịp tim',
          'đọc/phút',
          'độ mới',
          'thư lỗi',
          'đối soát hub/nguồn',
        ]
      : [
          'source',
          'system',
          'health',
          'state',
          'heartbeat',
          'read/min',
          'freshness',
          'dead letters',
          'reconciliation hub/source',
        ],
  );
  for (const s of h.sources) {
    t.push([
      s.connectorId,
      s.sourceSystem,
      light(s.status, lang),
      s.state,
      tr(
        lang,
        `${formatDuration(s.heartbeatAgeSeconds, lang)} trước`,
        `${formatDuration(s.heartbeatAgeSeconds, lang)} ago`,
      ),
      formatCount(s.throughput.readPerMinute, lang),
      freshness(s, lang),
      s.deadLetters ? String(s.deadLetters.open) : '0',
      reconciliation(s, lang),
    ]);
  }
  const reasons = h.sources.flatMap((s) =>
    s.reasons.map((r) => `  ${LIGHTS[r.light].symbol} ${s.connectorId}: ${lang === 'vi' ? r.vi : r.en}`),
  );
  return [t.toString(), ...reasons].join('\n');
}

/** One line of the original value: decoded Avro as JSON, text, or hex; cut to `width`. */
export function preview(v: DecodedValue | undefined, width = 60): string {
  if (v === undefined) return '';
  const one = (s: string) => s.replace(/\s+/g, ' ').trim();
  let s: string;
  switch (v.kind) {
    case 'avro':
      s = one(v.json);
      break;
    case 'text':
      s = one(v.text);
      break;
    case 'hex':
      s = `hex ${v.hex}`;
      break;
    case 'empty':
      s = '∅';
      break;
  }
  return s.length > width ? `${s.slice(0, width - 1)}…` : s;
}

export function renderDeadLetters(
  items: readonly DeadLetterJson[],
  previews: ReadonlyMap<number, DecodedValue>,
  lang: Lang,
  note?: string,
): string {
  if (items.length === 0) return tr(lang, 'Không có thư lỗi nào khớp.', 'No dead letters match.');
  const t = table(
    lang === 'vi'
      ? ['id', 'kết nối', 'lý do', 'nguồn (topic/phân vùng/offset)', 'lúc', 'phát lại', 'xem trước']
      : ['id', 'connector', 'reason', 'source (topic/partition/offset)', 'at', 'replays', 'preview'],
  );
  for (const d of items)
    t.push([
      String(d.id),
      d.connectorId,
      d.reason,
      d.source ?? '-',
      d.deadLetteredAt.replace(/\.\d+Z$/, 'Z'),
      String(d.replays),
      preview(previews.get(d.id)),
    ]);
  return note ? `${t.toString()}\n${note}` : t.toString();
}

export function renderReplay(r: ReplayJson, lang: Lang): string {
  const lines = r.results.map((x) =>
    x.ok
      ? `✓ ${x.id} → ${x.target ?? ''}`
      : `✖ ${x.id}: ${x.error?.code ?? ''} ${x.error?.message ?? ''}`.trimEnd(),
  );
  lines.push(
    tr(
      lang,
      `Đã phát lại ${r.replayed}, bị từ chối ${r.refused}.`,
      `Replayed ${r.replayed}, refused ${r.refused}.`,
    ),
  );
  return lines.join('\n');
}
