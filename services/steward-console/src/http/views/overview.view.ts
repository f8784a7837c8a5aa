import type { ConsolidationStats } from '../../consolidation/client.js';
import type { AlertRecord } from '../../db/alert.repository.js';
import { formatCount, formatDuration } from '../../domain/format.js';
import type { Overview, SourceHealth } from '../../domain/health.js';
import { html, layout, light, tr, when, type PageContext, type Safe } from './html.js';

export type ConsolidationPanel = { kind: 'not-configured' } | { kind: 'error'; message: string } | { kind: 'ok'; stats: ConsolidationStats };

function sourceRow(ctx: PageContext, s: SourceHealth): Safe {
  const c = s.connector;
  const rec = s.reconciliation;
  return html`<tr data-connector="${c.connectorId}">
  <td>${light(ctx, s.light)}</td>
  <td><a href="/sources/${encodeURIComponent(c.connectorId)}">${c.connectorId}</a><div class="muted">${c.sourceSystem} · ${c.connectorKind}</div></td>
  <td>${s.reasons.length ? html`<ul class="reasons">${s.reasons.map((r) => html`<li class="r-${r.light}">${ctx.lang === 'en' ? r.en : r.vi}</li>`)}</ul>` : tr(ctx, 'Bình thường', 'Normal')}</td>
  <td>${c.state}<div class="muted">${tr(ctx, 'cách đây', 'ago')} ${formatDuration(s.heartbeatAgeMs, ctx.lang)}</div></td>
  <td class="num">${s.throughput.readPerMinute.toFixed(1)} / ${s.throughput.publishedPerMinute.toFixed(1)}</td>
  <td>${s.freshness.ageMs === null ? tr(ctx, 'không rõ', 'unknown') : formatDuration(s.freshness.ageMs, ctx.lang)}<div class="muted">SLO ${formatDuration(s.freshness.sloMs, ctx.lang)}</div></td>
  <td class="num">${s.deadLetters ? html`<a href="/dead-letters?topic=${encodeURIComponent(s.deadLetters.topic)}&open=true">${formatCount(s.deadLetters.open, ctx.lang)}</a>` : '0'}</td>
  <td class="num">${rec.sourceCount === null ? '—' : html`${formatCount(rec.sourceCount, ctx.lang)} / ${formatCount(rec.hubCount, ctx.lang)}${rec.difference ? html`<div class="r-amber">Δ ${formatCount(rec.difference, ctx.lang)}</div>` : ''}`}</td>
</tr>`;
}

function consolidationPanel(ctx: PageContext, p: ConsolidationPanel): Safe {
  if (p.kind === 'not-configured') return html`<p class="notice">${tr(ctx, 'Chưa cấu hình CONSOLIDATION_URL: không hiển thị được tiến độ hợp nhất.', 'CONSOLIDATION_URL is not configured: consolidation progress is not shown.')}</p>`;
  if (p.kind === 'error') return html`<p class="notice notice-red">${tr(ctx, 'Không lấy được số liệu hợp nhất', 'Cannot read consolidation figures')}: ${p.message}</p>`;
  return html`<dl class="stats">
  <div><dt>${tr(ctx, 'Việc chờ rà soát', 'Open review tasks')}</dt><dd><a href="/review">${formatCount(p.stats.openReviewTasks, ctx.lang)}</a></dd></div>
  <div><dt>${tr(ctx, 'Gộp / giờ', 'Merges / hour')}</dt><dd>${formatCount(p.stats.mergesLastHour, ctx.lang)}</dd></div>
  <div><dt>${tr(ctx, 'Tách / giờ', 'Splits / hour')}</dt><dd>${formatCount(p.stats.splitsLastHour, ctx.lang)}</dd></div>
</dl>`;
}

export function overviewPage(ctx: PageContext, o: Overview, alerts: readonly AlertRecord[], cons: ConsolidationPanel, lagError: string | undefined): string {
  const body = html`
<section class="banner banner-${o.light}" data-overall="${o.light}">
  <strong>${ctx.lang === 'en' ? o.summary.en : o.summary.vi}</strong>
  ${o.reasons.length ? html`<ul>${o.reasons.slice(0, 8).map((r) => html`<li class="r-${r.light}">${ctx.lang === 'en' ? r.en : r.vi}</li>`)}</ul>` : ''}
  <div class="muted">${tr(ctx, 'Cập nhật lúc', 'As of')} ${when(ctx, o.at)}</div>
</section>
${alerts.length ? html`<section><h2>${tr(ctx, 'Cảnh báo đang bật', 'Alerts firing')} (${alerts.length})</h2><ul class="alerts">${alerts.map((a) => html`<li class="sev-${a.severity}"><b>${a.rule}</b> ${ctx.lang === 'en' ? a.en : a.vi} <span class="muted">${tr(ctx, 'từ', 'since')} ${when(ctx, a.startedAt)}</span></li>`)}</ul></section>` : ''}
<section>
<h2>${tr(ctx, 'Nguồn dữ liệu', 'Sources')}</h2>
${o.sources.length === 0
  ? html`<p class="notice">${tr(ctx, 'Chưa nhận được nhịp tim của kết nối nào trên hub.connector-status.', 'No connector heartbeat has arrived on hub.connector-status yet.')}</p>`
  : html`<table class="grid" id="sources">
<thead><tr><th></th><th>${tr(ctx, 'Kết nối', 'Connector')}</th><th>${tr(ctx, 'Lý do', 'Reason')}</th><th>${tr(ctx, 'Nhịp tim', 'Heartbeat')}</th><th>${tr(ctx, 'Đọc / gửi mỗi phút', 'Read / published per min')}</th><th>${tr(ctx, 'Độ mới', 'Freshness')}</th><th>${tr(ctx, 'Bản ghi lỗi', 'Dead letters')}</th><th>${tr(ctx, 'Đối soát nguồn / hub', 'Reconciliation source / hub')}</th></tr></thead>
<tbody>${o.sources.map((s) => sourceRow(ctx, s))}</tbody></table>`}
</section>
<section>
<h2>${tr(ctx, 'Nhóm tiêu thụ (độ trễ)', 'Consumer groups (lag)')}</h2>
${lagError ? html`<p class="notice notice-red">${tr(ctx, 'Không đọc được độ trễ từ Kafka', 'Cannot read lag from Kafka')}: ${lagError}</p>` : ''}
${o.consumers.length === 0 ? html`<p class="muted">${tr(ctx, 'Chưa có nhóm nào.', 'No consumer groups yet.')}</p>` : html`<table class="grid"><thead><tr><th></th><th>${tr(ctx, 'Nhóm', 'Group')}</th><th>Topic</th><th class="num">${tr(ctx, 'Độ trễ', 'Lag')}</th></tr></thead>
<tbody>${o.consumers.map((c) => html`<tr><td>${light(ctx, c.light)}</td><td>${c.groupId}</td><td>${c.topic}</td><td class="num">${formatCount(c.lag, ctx.lang)}</td></tr>`)}</tbody></table>`}
</section>
${o.otherDeadLetters.length ? html`<section><h2>${tr(ctx, 'Bản ghi lỗi của các thành phần khác', 'Dead letters of other components')}</h2><ul>${o.otherDeadLetters.map((dl) => html`<li><a href="/dead-letters?topic=${encodeURIComponent(dl.topic)}&open=true">${dl.topic}</a>: ${formatCount(dl.open, ctx.lang)} ${tr(ctx, 'chưa phát lại', 'not replayed')}</li>`)}</ul></section>` : ''}
<section><h2>${tr(ctx, 'Hợp nhất', 'Consolidation')}</h2>${consolidationPanel(ctx, cons)}</section>`;
  return layout(ctx, tr(ctx, 'Mọi thứ có ổn không?', 'Is everything OK?'), body);
}

export function sourcePage(ctx: PageContext, s: SourceHealth): string {
  const c = s.connector;
  const body = html`
<section class="banner banner-${s.light}"><strong>${light(ctx, s.light)} ${c.connectorId}</strong>
${s.reasons.length ? html`<ul>${s.reasons.map((r) => html`<li class="r-${r.light}">${ctx.lang === 'en' ? r.en : r.vi}</li>`)}</ul>` : html`<p>${tr(ctx, 'Bình thường', 'Normal')}</p>`}</section>
<dl class="facts">
  <dt>${tr(ctx, 'Hệ thống nguồn', 'Source system')}</dt><dd>${c.sourceSystem} (${c.connectorKind})</dd>
  <dt>${tr(ctx, 'Trạng thái', 'State')}</dt><dd>${c.state} · ${c.instanceId}</dd>
  <dt>${tr(ctx, 'Nhịp tim cuối', 'Last heartbeat')}</dt><dd>${when(ctx, c.lastHeartbeatAt)}</dd>
  <dt>${tr(ctx, 'Bản ghi mới nhất của nguồn', 'Newest source record')}</dt><dd>${when(ctx, c.newestSourceUpdateAt)} (SLO ${formatDuration(s.freshness.sloMs, ctx.lang)})</dd>
  <dt>${tr(ctx, 'Đếm (từ khi tiến trình chạy)', 'Counters (since process start)')}</dt><dd>${tr(ctx, 'đọc', 'read')} ${formatCount(c.recordsRead, ctx.lang)} · ${tr(ctx, 'gửi', 'published')} ${formatCount(c.recordsPublished, ctx.lang)} · ${tr(ctx, 'lỗi', 'dead-lettered')} ${formatCount(c.recordsDeadLettered, ctx.lang)} · ${tr(ctx, 'từ chối', 'rejected')} ${formatCount(c.recordsRejected, ctx.lang)}</dd>
  <dt>${tr(ctx, 'Đối soát', 'Reconciliation')}</dt><dd>${s.reconciliation.sourceCount === null ? tr(ctx, 'nguồn chưa báo số lượng', 'the source reports no count') : html`${tr(ctx, 'nguồn', 'source')} ${formatCount(s.reconciliation.sourceCount, ctx.lang)} · hub ${formatCount(s.reconciliation.hubCount, ctx.lang)} · ${tr(ctx, 'chênh', 'difference')} ${formatCount(s.reconciliation.difference ?? 0, ctx.lang)}`}
    <div class="muted" id="reconciliation-basis">${s.reconciliation.hubCountBasis === 'consolidation.sourceRecords' ? tr(ctx, 'Số của hub: bản ghi nguồn đang còn hiệu lực mà khối hợp nhất đang giữ cho kết nối này (bản ghi đang trên đường đi chưa được tính).', 'Hub count: live source records consolidation holds for this connector (records still in flight are not counted yet).') : tr(ctx, 'Không lấy được số từ khối hợp nhất: số của hub là recordsPublished trong nhịp tim (đếm sự kiện theo tiến trình, một bản ghi cập nhật nhiều lần được đếm nhiều lần).', 'Consolidation count unavailable: hub count is the heartbeat recordsPublished (events per process; a record updated several times counts several times).')}</div></dd>
  <dt>${tr(ctx, 'Lược đồ đang dùng', 'Schema ids in use')}</dt><dd>${c.schemaIds.length ? c.schemaIds.join(', ') : '—'}</dd>
  <dt>${tr(ctx, 'Lỗi cuối', 'Last error')}</dt><dd>${c.lastError ?? '—'} ${c.lastErrorAt ? html`<span class="muted">(${when(ctx, c.lastErrorAt)})</span>` : ''}</dd>
</dl>
<section class="cursor"><h2>${tr(ctx, 'Con trỏ đồng bộ', 'Sync cursor')}</h2>
<pre id="cursor">${c.cursor ?? tr(ctx, '(chưa có — lần chạy đầu đọc toàn bộ)', '(none — the first run reads a full snapshot)')}</pre>
<p class="muted">${tr(ctx, 'Đặt lại con trỏ là thao tác của kết nối (nó sở hữu vị trí đọc). Trên máy chạy kết nối:', 'Resetting the cursor is the connector’s operation (it owns its read position). On the connector host:')}</p>
<pre>&lt;connector command&gt; cursor show ${c.connectorId}
&lt;connector command&gt; cursor reset ${c.connectorId} [cursor-json]</pre>
<p class="muted">${tr(ctx, 'Bỏ trống cursor-json để đọc lại toàn bộ, rồi khởi động lại kết nối; nhịp tim tiếp theo sẽ hiện con trỏ mới ở đây (xem packages/connector-runtime, lệnh cursor).', 'Leave cursor-json out for a full re-read, then restart the connector; its next heartbeat shows the new cursor here (see packages/connector-runtime, the cursor command).')}</p>
</section>
<section><h2>${tr(ctx, 'Biểu đồ 60 phút gần nhất', 'Last 60 minutes')}</h2>
<div class="charts" data-series="/api/sources/${encodeURIComponent(c.connectorId)}/series?minutes=60" data-lang="${ctx.lang}">
  <figure><figcaption>${tr(ctx, 'Bản ghi đọc / gửi mỗi phút', 'Records read / published per minute')}</figcaption><div class="chart" data-chart="throughput"></div></figure>
  <figure><figcaption>${tr(ctx, 'Lỗi mỗi phút (bản ghi lỗi, bị từ chối)', 'Errors per minute (dead letters, rejected)')}</figcaption><div class="chart" data-chart="errors"></div></figure>
  <figure><figcaption>${tr(ctx, 'Tổng độ trễ của các nhóm tiêu thụ', 'Total consumer-group lag')}</figcaption><div class="chart" data-chart="lag"></div></figure>
</div></section>
${s.deadLetters ? html`<p><a href="/dead-letters?topic=${encodeURIComponent(s.deadLetters.topic)}">${tr(ctx, 'Xem bản ghi lỗi', 'Browse dead letters')} (${s.deadLetters.topic})</a></p>` : ''}`;
  return layout(ctx, `${tr(ctx, 'Nguồn', 'Source')}: ${c.connectorId}`, body, {
    scripts: ['/assets/uplot/uPlot.iife.min.js', '/assets/charts.js'],
    styles: ['/assets/uplot/uPlot.min.css'],
  });
}
