import type { AlertRecord } from '../../db/alert.repository.js';
import { formatCount } from '../../domain/format.js';
import type { OverdueRow, QualityFilter, QualityRow } from '../../domain/quality.js';
import { html, layout, pct, tr, when, type PageContext } from './html.js';

export function qualityPage(ctx: PageContext, f: QualityFilter, rows: readonly QualityRow[], overdue: readonly OverdueRow[], dossiers: number): string {
  const q = new URLSearchParams();
  if (f.fromMonth) q.set('from', f.fromMonth);
  if (f.toMonth) q.set('to', f.toMonth);
  if (f.agencyCode) q.set('agency', f.agencyCode);
  if (f.procedureCode) q.set('procedure', f.procedureCode);
  const qs = q.toString();
  const body = html`
<p class="muted">${tr(
    ctx,
    `Tính từ ${formatCount(dossiers, 'vi')} hồ sơ vàng trên master.dossier, theo cơ quan tiếp nhận, thủ tục và tháng (giờ Việt Nam). Tỷ lệ đúng hạn, thời gian giải quyết và tỷ lệ trả kết quả điện tử theo tháng hoàn thành (chỉ tính hồ sơ mà hệ thống nguồn ghi hình thức trả kết quả); tỷ lệ trực tuyến theo tháng tiếp nhận. Thời gian tính theo ngày lịch (chưa trừ ngày nghỉ). Quyết định 766/QĐ-TTg.`,
    `Computed from ${formatCount(dossiers, 'en')} dossier golden records on master.dossier, per receiving agency, procedure and month (Vietnam time). On-time share, handling time and share of results returned electronically by month completed (only dossiers whose source records how the result was returned); online share by month received. Times in calendar days (non-working days not excluded). Decision 766/QĐ-TTg.`,
  )}</p>
<form method="get" action="/quality" class="inline-form" id="quality-filter">
<label>${tr(ctx, 'Từ tháng', 'From')} <input name="from" placeholder="2025-01" value="${f.fromMonth ?? ''}" pattern="\\d{4}-\\d{2}"></label>
<label>${tr(ctx, 'Đến tháng', 'To')} <input name="to" placeholder="2025-12" value="${f.toMonth ?? ''}" pattern="\\d{4}-\\d{2}"></label>
<label>${tr(ctx, 'Cơ quan', 'Agency')} <input name="agency" value="${f.agencyCode ?? ''}"></label>
<label>${tr(ctx, 'Thủ tục', 'Procedure')} <input name="procedure" value="${f.procedureCode ?? ''}"></label>
<button type="submit">${tr(ctx, 'Lọc', 'Filter')}</button>
<a href="/api/quality?${qs}${qs ? '&' : ''}format=csv" id="export-csv">CSV</a> · <a href="/api/quality${qs ? `?${qs}` : ''}" id="export-json">JSON</a>
</form>
<h2>${tr(ctx, 'Hồ sơ quá hạn hiện tại', 'Overdue dossiers now')}</h2>
${overdue.length === 0 ? html`<p class="muted">${tr(ctx, 'Không có hồ sơ đang mở.', 'No open dossiers.')}</p>` : html`<table class="grid" id="overdue"><thead><tr><th>${tr(ctx, 'Cơ quan', 'Agency')}</th><th>${tr(ctx, 'Thủ tục', 'Procedure')}</th><th class="num">${tr(ctx, 'Đang mở', 'Open')}</th><th class="num">${tr(ctx, 'Quá hạn', 'Overdue')}</th></tr></thead>
<tbody>${overdue.map((o) => html`<tr><td>${o.agencyCode}</td><td>${o.procedureCode}</td><td class="num">${formatCount(o.open, ctx.lang)}</td><td class="num ${o.overdueNow > 0 ? 'r-red' : ''}">${formatCount(o.overdueNow, ctx.lang)}</td></tr>`)}</tbody></table>`}
<h2>${tr(ctx, 'Theo tháng', 'By month')}</h2>
${rows.length === 0 ? html`<p class="notice">${tr(ctx, 'Chưa có hồ sơ nào.', 'No dossiers yet.')}</p>` : html`<table class="grid" id="indicators"><thead><tr><th>${tr(ctx, 'Tháng', 'Month')}</th><th>${tr(ctx, 'Cơ quan', 'Agency')}</th><th>${tr(ctx, 'Thủ tục', 'Procedure')}</th><th class="num">${tr(ctx, 'Tiếp nhận', 'Received')}</th><th class="num">${tr(ctx, 'Trực tuyến', 'Online')}</th><th class="num">${tr(ctx, 'Hoàn thành', 'Completed')}</th><th class="num">${tr(ctx, 'Trước/đúng hạn', 'Early/on time')}</th><th class="num">${tr(ctx, 'TB ngày xử lý', 'Avg days')}</th><th class="num">${tr(ctx, 'Trả KQ điện tử', 'Results returned electronically')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${r.month}</td><td>${r.agencyCode}</td><td>${r.procedureCode}</td><td class="num">${formatCount(r.received, ctx.lang)}</td><td class="num">${pct(r.onlineShare)}</td><td class="num">${formatCount(r.completed, ctx.lang)}</td><td class="num">${pct(r.onTimeShare)}</td><td class="num">${r.averageHandlingDays?.toFixed(1) ?? '—'}</td><td class="num" title="${formatCount(r.resultsReturnedElectronically, ctx.lang)} / ${formatCount(r.resultsReturned, ctx.lang)}">${pct(r.electronicResultShare)}</td></tr>`)}</tbody></table>`}`;
  return layout(ctx, tr(ctx, 'Chỉ số chất lượng phục vụ', 'Service-quality indicators'), body);
}

export function alertsPage(ctx: PageContext, firing: readonly AlertRecord[], recent: readonly AlertRecord[], webhook: boolean): string {
  const row = (a: AlertRecord) =>
    html`<tr class="sev-${a.severity}"><td>${a.rule}</td><td>${a.subject}</td><td>${ctx.lang === 'en' ? a.en : a.vi}</td><td>${when(ctx, a.startedAt)}</td><td>${when(ctx, a.resolvedAt)}</td><td>${a.notifiedFiringAt ? '✓' : '—'}</td></tr>`;
  const head = html`<thead><tr><th>${tr(ctx, 'Quy tắc', 'Rule')}</th><th>${tr(ctx, 'Đối tượng', 'Subject')}</th><th>${tr(ctx, 'Nội dung', 'Message')}</th><th>${tr(ctx, 'Bắt đầu', 'Started')}</th><th>${tr(ctx, 'Kết thúc', 'Resolved')}</th><th>Webhook</th></tr></thead>`;
  const body = html`<p class="muted">${webhook ? tr(ctx, 'Cảnh báo được gửi tới webhook đã cấu hình.', 'Alerts are posted to the configured webhook.') : tr(ctx, 'Chưa cấu hình ALERT_WEBHOOK_URL: cảnh báo chỉ hiện ở đây.', 'ALERT_WEBHOOK_URL is not configured: alerts are shown here only.')}</p>
<h2>${tr(ctx, 'Đang bật', 'Firing')} (${firing.length})</h2>
${firing.length ? html`<table class="grid" id="alerts-firing">${head}<tbody>${firing.map(row)}</tbody></table>` : html`<p class="notice">${tr(ctx, 'Không có cảnh báo nào.', 'No alert is firing.')}</p>`}
<h2>${tr(ctx, 'Gần đây', 'Recent')}</h2><table class="grid">${head}<tbody>${recent.map(row)}</tbody></table>`;
  return layout(ctx, tr(ctx, 'Cảnh báo', 'Alerts'), body);
}

export function auditPage(ctx: PageContext, items: readonly { id: number; at: number; username: string; action: string; target: string | null; outcome: string; reason: string | null }[]): string {
  const body = html`<table class="grid" id="audit"><thead><tr><th>#</th><th>${tr(ctx, 'Lúc', 'At')}</th><th>${tr(ctx, 'Người', 'Who')}</th><th>${tr(ctx, 'Thao tác', 'Action')}</th><th>${tr(ctx, 'Đối tượng', 'Target')}</th><th>${tr(ctx, 'Kết quả', 'Outcome')}</th><th>${tr(ctx, 'Lý do', 'Reason')}</th></tr></thead>
<tbody>${items.map((a) => html`<tr><td>${a.id}</td><td>${when(ctx, a.at)}</td><td>${a.username}</td><td>${a.action}</td><td>${a.target ?? ''}</td><td>${a.outcome}</td><td>${a.reason ?? ''}</td></tr>`)}</tbody></table>`;
  return layout(ctx, tr(ctx, 'Nhật ký thao tác', 'Audit log'), body);
}
