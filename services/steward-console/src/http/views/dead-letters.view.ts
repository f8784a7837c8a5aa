import type { StoredDeadLetter } from '../../db/dead-letter.repository.js';
import type { DecodedValue } from '../../domain/dead-letter.js';
import { formatCoordinates } from '../../domain/dead-letter.js';
import { formatCount } from '../../domain/format.js';
import type { DeadLetterSummary } from '../../domain/health.js';
import { csrfField, html, layout, tr, when, type PageContext, type Safe } from './html.js';

export interface DeadLetterListModel {
  readonly items: readonly StoredDeadLetter[];
  readonly reasons: readonly { reason: string; count: number }[];
  readonly summaries: readonly DeadLetterSummary[];
  readonly filter: { topic?: string; reason?: string; open: boolean };
  readonly flash?: string;
}

function filterHref(f: { topic?: string; reason?: string; open?: boolean }): string {
  const q = new URLSearchParams();
  if (f.topic) q.set('topic', f.topic);
  if (f.reason) q.set('reason', f.reason);
  if (f.open) q.set('open', 'true');
  const s = q.toString();
  return `/dead-letters${s ? `?${s}` : ''}`;
}

function status(ctx: PageContext, d: StoredDeadLetter): Safe {
  return d.replays > 0
    ? html`<span class="tag tag-done">${tr(ctx, 'đã phát lại', 'replayed')} ${d.replays > 1 ? `×${d.replays}` : ''}</span><div class="muted">${d.lastReplayedBy ?? ''} ${when(ctx, d.lastReplayedAt)}</div>`
    : html`<span class="tag tag-open">${tr(ctx, 'chưa xử lý', 'open')}</span>`;
}

export function deadLettersPage(ctx: PageContext, m: DeadLetterListModel): string {
  const f = m.filter;
  const canReplay = ctx.can('replay');
  const body = html`
${m.flash ? html`<p class="notice" role="status" id="flash">${m.flash}</p>` : ''}
<section class="filters">
  <div><b>${tr(ctx, 'Topic', 'Topic')}:</b> <a href="${filterHref({ ...f, topic: undefined })}" class="${f.topic ? '' : 'active'}">${tr(ctx, 'tất cả', 'all')}</a>
  ${m.summaries.map((s) => html` · <a href="${filterHref({ ...f, topic: s.topic })}" class="${f.topic === s.topic ? 'active' : ''}">${s.topic}</a> <span class="muted">(${formatCount(s.open, ctx.lang)}/${formatCount(s.open + s.replayed, ctx.lang)})</span>`)}</div>
  <div><b>${tr(ctx, 'Lý do', 'Reason')}:</b> <a href="${filterHref({ ...f, reason: undefined })}" class="${f.reason ? '' : 'active'}">${tr(ctx, 'tất cả', 'all')}</a>
  ${m.reasons.map((r) => html` · <a href="${filterHref({ ...f, reason: r.reason })}" class="${f.reason === r.reason ? 'active' : ''}" data-reason="${r.reason}">${r.reason}</a> <span class="muted">(${formatCount(r.count, ctx.lang)})</span>`)}</div>
  <div><a href="${filterHref({ ...f, open: !f.open })}">${f.open ? tr(ctx, 'Hiện cả bản ghi đã phát lại', 'Show replayed ones too') : tr(ctx, 'Chỉ hiện bản ghi chưa xử lý', 'Only open ones')}</a></div>
</section>
${m.items.length === 0
  ? html`<p class="notice">${tr(ctx, 'Không có bản ghi lỗi nào khớp bộ lọc.', 'No dead letters match the filter.')}</p>`
  : html`<form method="post" action="/dead-letters/replay" id="replay-selected">
${csrfField(ctx)}
<table class="grid" id="dead-letters"><thead><tr>${canReplay ? html`<th><input type="checkbox" class="select-all" aria-label="select all"></th>` : ''}<th>#</th><th>${tr(ctx, 'Lý do', 'Reason')}</th><th>${tr(ctx, 'Lỗi', 'Error')}</th><th>${tr(ctx, 'Khóa', 'Key')}</th><th>${tr(ctx, 'Nguồn gốc', 'Original')}</th><th>${tr(ctx, 'Thời điểm', 'When')}</th><th>${tr(ctx, 'Trạng thái', 'Status')}</th></tr></thead>
<tbody>${m.items.map((d) => html`<tr data-id="${d.id}">
${canReplay ? html`<td><input type="checkbox" name="ids" value="${d.id}" ${d.replays > 0 ? 'disabled' : ''} aria-label="select ${d.id}"></td>` : ''}
<td><a href="/dead-letters/${d.id}">${d.id}</a></td><td><code>${d.reason}</code></td><td class="err">${(d.error ?? '').slice(0, 200)}</td>
<td><code>${d.key?.toString('utf8') ?? '—'}</code></td><td class="muted">${d.source ? formatCoordinates(d.source) : '—'}${d.replayOf ? html`<div class="r-amber">${tr(ctx, 'lỗi lại sau phát lại', 'failed again after replay of')} ${d.replayOf}</div>` : ''}</td>
<td>${when(ctx, d.deadLetteredAt)}</td><td>${status(ctx, d)}</td></tr>`)}</tbody></table>
${canReplay ? html`<div class="actions"><label>${tr(ctx, 'Ghi chú (đã sửa gì)', 'Note (what was fixed)')} <input name="reason" maxlength="500"></label>
<button type="submit" id="replay-selected-button">${tr(ctx, 'Phát lại các bản ghi đã chọn', 'Replay selected')}</button></div>` : ''}
</form>`}
${canReplay
  ? html`<form method="post" action="/dead-letters/replay-all" class="actions" id="replay-all">${csrfField(ctx)}
<input type="hidden" name="topic" value="${f.topic ?? ''}"><input type="hidden" name="reason_code" value="${f.reason ?? ''}">
<label>${tr(ctx, 'Ghi chú', 'Note')} <input name="reason" maxlength="500"></label>
<button type="submit" class="secondary">${tr(ctx, 'Phát lại tất cả bản ghi chưa xử lý khớp bộ lọc', 'Replay all open dead letters matching the filter')}</button></form>`
  : html`<p class="muted">${tr(ctx, 'Vai trò của bạn chỉ được xem.', 'Your role may only view.')}</p>`}`;
  return layout(ctx, tr(ctx, 'Bản ghi lỗi', 'Dead letters'), body, { scripts: ['/assets/console.js'] });
}

function original(ctx: PageContext, v: DecodedValue | undefined): Safe {
  if (v === undefined) return html`<p class="muted">${tr(ctx, 'Nội dung chỉ hiện cho cán bộ dữ liệu (có thể chứa dữ liệu cá nhân).', 'The payload is shown to stewards only (it may hold personal data).')}</p>`;
  switch (v.kind) {
    case 'avro':
      return html`<p class="muted">Avro, schema id ${v.schemaId}</p><pre class="payload" id="original">${v.json}</pre>`;
    case 'text':
      return html`<p class="muted">${tr(ctx, 'Văn bản', 'Text')}${v.note ? ` — ${v.note}` : ''}</p><pre class="payload" id="original">${v.text}</pre>`;
    case 'hex':
      return html`<p class="muted">Hex${v.note ? ` — ${v.note}` : ''}</p><pre class="payload" id="original">${v.hex}</pre>`;
    case 'empty':
      return html`<p class="muted">${tr(ctx, '(rỗng)', '(empty)')}</p>`;
  }
}

export function deadLetterPage(ctx: PageContext, d: StoredDeadLetter, decoded: DecodedValue | undefined, history: readonly { attempt: number; replayedBy: string; replayedAt: number; target: string; reason: string | null }[], flash?: string): string {
  const body = html`
${flash ? html`<p class="notice" role="status" id="flash">${flash}</p>` : ''}
<dl class="facts">
<dt>${tr(ctx, 'Lý do', 'Reason')}</dt><dd><code>${d.reason}</code></dd>
<dt>${tr(ctx, 'Lỗi', 'Error')}</dt><dd class="err">${d.error ?? '—'}</dd>
<dt>${tr(ctx, 'Vị trí trong DLQ', 'DLQ position')}</dt><dd>${formatCoordinates(d.dlq)}</dd>
<dt>${tr(ctx, 'Vị trí gốc', 'Original position')}</dt><dd>${d.source ? formatCoordinates(d.source) : '—'}</dd>
<dt>${tr(ctx, 'Bên ghi lỗi', 'Dead-lettered by')}</dt><dd>${d.consumer ?? '—'} · ${when(ctx, d.deadLetteredAt)}</dd>
<dt>${tr(ctx, 'Khóa', 'Key')}</dt><dd><code>${d.key?.toString('utf8') ?? '—'}</code></dd>
${d.replayOf ? html`<dt>${tr(ctx, 'Là lần phát lại của', 'Replay of')}</dt><dd>${d.replayOf}</dd>` : ''}
</dl>
<h2>${tr(ctx, 'Bản ghi gốc (đã giải mã)', 'Original record (decoded)')}</h2>
${original(ctx, decoded)}
<h2>Headers</h2>
<table class="grid"><tbody>${Object.entries(d.headers).map(([k, v]) => html`<tr><th>${k}</th><td><code>${v}</code></td></tr>`)}</tbody></table>
<h2>${tr(ctx, 'Lịch sử phát lại', 'Replay history')}</h2>
${history.length === 0 ? html`<p class="muted">${tr(ctx, 'Chưa phát lại.', 'Not replayed yet.')}</p>` : html`<ul id="replay-history">${history.map((h) => html`<li>#${h.attempt} ${h.replayedBy} · ${when(ctx, h.replayedAt)} → ${h.target}${h.reason ? ` — ${h.reason}` : ''}</li>`)}</ul>`}
${ctx.can('replay') && (history.length === 0 || ctx.can('force_replay'))
  ? html`<form method="post" action="/dead-letters/replay" class="actions">${csrfField(ctx)}<input type="hidden" name="ids" value="${d.id}">
${history.length ? html`<input type="hidden" name="force" value="true">` : ''}
<label>${tr(ctx, 'Ghi chú (đã sửa gì)', 'Note (what was fixed)')} <input name="reason" maxlength="500"></label>
<button type="submit" id="replay-one">${history.length ? tr(ctx, 'Buộc phát lại lần nữa (quản trị)', 'Force another replay (admin)') : tr(ctx, 'Phát lại', 'Replay')}</button></form>`
  : ''}
<p><a href="/dead-letters?topic=${encodeURIComponent(d.dlq.topic)}">${tr(ctx, '← Danh sách', '← List')}</a></p>`;
  return layout(ctx, `${tr(ctx, 'Bản ghi lỗi', 'Dead letter')} #${d.id}`, body);
}
