import type { HistoryItem, MasterView, ReviewTask } from '../../consolidation/client.js';
import { displayJson } from '../../domain/dead-letter.js';
import { csrfField, html, layout, tr, type PageContext, type Safe } from './html.js';

export function notConfigured(ctx: PageContext, title: string): string {
  return layout(
    ctx,
    title,
    html`<p class="notice notice-red" id="not-configured">${tr(
      ctx,
      'Chưa cấu hình CONSOLIDATION_URL nên không có hàng chờ rà soát và tra cứu bản ghi. Đặt biến này trỏ tới API nội bộ của dịch vụ hợp nhất rồi khởi động lại.',
      'CONSOLIDATION_URL is not configured, so the review queue and record explorer are unavailable. Point it at the consolidation service’s internal API and restart.',
    )}</p>`,
  );
}

const show = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : displayJson(v));

export function reviewQueuePage(ctx: PageContext, tasks: readonly ReviewTask[], flash?: string): string {
  const body = html`${flash ? html`<p class="notice" role="status" id="flash">${flash}</p>` : ''}
${tasks.length === 0
  ? html`<p class="notice">${tr(ctx, 'Không có việc nào chờ rà soát.', 'Nothing waits for review.')}</p>`
  : html`<table class="grid" id="review-tasks"><thead><tr><th>#</th><th>${tr(ctx, 'Loại', 'Kind')}</th><th>${tr(ctx, 'Đối tượng', 'Entity')}</th><th>${tr(ctx, 'Ứng viên', 'Candidates')}</th><th class="num">${tr(ctx, 'Điểm', 'Score')}</th></tr></thead>
<tbody>${tasks.map((t) => html`<tr data-task="${t.id}"><td><a href="/review/${t.id}">${t.id}</a></td><td>${t.kind}${t.attribute ? html` <code>${t.attribute}</code>` : ''}</td><td>${t.entityType}</td><td>${t.candidates.map((c) => c.masterId).join(' ↔ ')}</td><td class="num">${t.totalScore?.toFixed(2) ?? '—'}</td></tr>`)}</tbody></table>`}`;
  return layout(ctx, tr(ctx, 'Hàng chờ rà soát', 'Review queue'), body);
}

export function reviewTaskPage(ctx: PageContext, t: ReviewTask): string {
  const [left, right] = t.candidates;
  const fields = [...new Set([...Object.keys(left?.attributes ?? {}), ...Object.keys(right?.attributes ?? {})])].sort();
  const scoreOf = new Map(t.fieldScores.map((f) => [f.field, f]));
  const sources = t.candidates.flatMap((c) => c.sources.map((s) => ({ master: c.masterId, ref: `${s.system}:${s.recordId}` })));
  const canAct = ctx.can('resolve_review') && t.status === 'OPEN';
  const scoreCell = (f: string): Safe => {
    const s = scoreOf.get(f);
    return s ? html`<td class="num score ${s.score >= 0 ? 'pos' : 'neg'}">${s.score.toFixed(2)}</td>` : html`<td class="num muted">—</td>`;
  };
  const body = html`
<p>${t.kind} · ${t.entityType} · ${tr(ctx, 'trạng thái', 'status')} <b>${t.status}</b>${t.totalScore !== null && t.totalScore !== undefined ? html` · ${tr(ctx, 'tổng điểm', 'total score')} <b>${t.totalScore.toFixed(2)}</b>` : ''}</p>
<table class="grid side-by-side" id="candidates"><thead><tr><th>${tr(ctx, 'Trường', 'Field')}</th>
${t.candidates.map((c) => html`<th><a href="/records/${encodeURIComponent(t.entityType)}/${encodeURIComponent(c.masterId)}">${c.masterId}</a></th>`)}<th class="num">${tr(ctx, 'Điểm', 'Score')}</th></tr></thead>
<tbody>${fields.map((f) => html`<tr class="${show(left?.attributes[f]) === show(right?.attributes[f]) ? 'same' : 'diff'}"><th>${f}</th>${t.candidates.map((c) => html`<td>${show(c.attributes[f])}</td>`)}${scoreCell(f)}</tr>`)}</tbody></table>
${canAct
  ? html`<form method="post" action="/review/${t.id}/resolve" class="card review-actions" id="resolve">${csrfField(ctx)}
<fieldset><legend>${tr(ctx, 'Quyết định', 'Decision')}</legend>
<label><input type="radio" name="action" value="merge" required> ${tr(ctx, 'Gộp (cùng một đối tượng)', 'Merge (same entity)')}</label>
<label><input type="radio" name="action" value="keep_apart"> ${tr(ctx, 'Giữ riêng (khác nhau)', 'Keep apart (different entities)')}</label>
<label><input type="radio" name="action" value="pick_value"> ${tr(ctx, 'Chọn giá trị từ nguồn', 'Pick the value from source')}
  <select name="source">${sources.map((s) => html`<option value="${s.ref}">${s.ref} (${s.master})</option>`)}</select></label>
<label><input type="radio" name="action" value="split"> ${tr(ctx, 'Tách các bản ghi nguồn đã chọn ra', 'Split the selected source records out')}</label>
<div class="split-list">${sources.map((s) => html`<label><input type="checkbox" name="sourceRecords" value="${s.ref}"> ${s.ref}</label>`)}</div>
</fieldset>
<label>${tr(ctx, 'Lý do (bắt buộc)', 'Reason (required)')} <input name="reason" required minlength="3" maxlength="500"></label>
<button type="submit" id="resolve-button">${tr(ctx, 'Ghi quyết định', 'Record decision')}</button></form>`
  : html`<p class="muted">${t.status === 'OPEN' ? tr(ctx, 'Vai trò của bạn chỉ được xem.', 'Your role may only view.') : tr(ctx, 'Việc này đã được xử lý.', 'This task is resolved.')}</p>`}
<p><a href="/review">${tr(ctx, '← Hàng chờ', '← Queue')}</a></p>`;
  return layout(ctx, `${tr(ctx, 'Việc rà soát', 'Review task')} #${t.id}`, body);
}

export function recordSearchPage(ctx: PageContext, entity: string, id: string, result: { view: MasterView; history: readonly HistoryItem[] } | { error: string } | undefined): string {
  const form = html`<form method="get" action="/records" class="inline-form" id="record-search">
<select name="entity">${['citizen', 'business', 'dossier'].map((e) => html`<option value="${e}" ${e === entity ? 'selected' : ''}>${e}</option>`)}</select>
<input name="id" value="${id}" placeholder="master id" required> <button type="submit">${tr(ctx, 'Tra cứu', 'Look up')}</button></form>`;
  let content: Safe = html``;
  if (result && 'error' in result) content = html`<p class="notice notice-red">${result.error}</p>`;
  else if (result) {
    const { view, history } = result;
    content = html`
${view.resolvedFrom ? html`<p class="notice">${tr(ctx, 'Mã này đã được gộp vào', 'This id was merged into')} ${view.master.masterId}</p>` : ''}
<p>${view.master.entityType} <b>${view.master.masterId}</b> · ${view.master.status} · v${view.master.version}</p>
<h2>${tr(ctx, 'Giá trị vàng và nguồn gốc', 'Golden values and lineage')}</h2>
<table class="grid" id="lineage"><thead><tr><th>${tr(ctx, 'Thuộc tính', 'Attribute')}</th><th>${tr(ctx, 'Giá trị', 'Value')}</th><th>${tr(ctx, 'Quy tắc', 'Rule')}</th><th>${tr(ctx, 'Nguồn', 'Source')}</th></tr></thead>
<tbody>${view.lineage.map((l) => html`<tr><th>${l.attribute}</th><td>${show(l.value)}</td><td><code>${l.rule}</code></td><td>${l.sourceSystem ?? '—'}:${l.sourceRecordId ?? ''}</td></tr>`)}</tbody></table>
<h2>${tr(ctx, 'Lịch sử', 'History')}</h2>
<table class="grid" id="history"><thead><tr><th>v</th><th>${tr(ctx, 'Thay đổi', 'Change')}</th><th>${tr(ctx, 'Thuộc tính', 'Attributes')}</th><th>${tr(ctx, 'Bởi', 'By')}</th><th>${tr(ctx, 'Lý do', 'Reason')}</th><th>${tr(ctx, 'Lúc', 'At')}</th></tr></thead>
<tbody>${history.map((h) => html`<tr><td>${h.version}</td><td>${h.change}</td><td>${(h.changedAttributes ?? []).join(', ')}</td><td>${h.actor ?? '—'}</td><td>${h.reason ?? ''}</td><td>${String(h.at)}</td></tr>`)}</tbody></table>`;
  }
  return layout(ctx, tr(ctx, 'Tra cứu bản ghi', 'Record explorer'), html`${form}${content}`);
}
