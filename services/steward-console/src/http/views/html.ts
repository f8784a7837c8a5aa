import type { Lang } from '../../domain/format.js';
import type { Light } from '../../domain/health.js';

/** HTML that is already safe (built by `html` or deliberately trusted). */
export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

type Part = Safe | string | number | boolean | null | undefined | readonly Part[];

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Safe) return p.value;
  if (Array.isArray(p)) return p.map(render).join('');
  return escapeHtml(String(p));
}

/** Tagged template: every interpolation is escaped unless it is `Safe` (nested `html`). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Safe {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Safe(out);
}

/** The viewer of a page: language, user and the CSRF token forms must carry. */
export interface PageContext {
  readonly lang: Lang;
  readonly user: { readonly username: string; readonly displayName: string; readonly role: string } | undefined;
  readonly csrfToken: string;
  readonly path: string;
  readonly can: (permission: string) => boolean;
}

/** Pick the viewer's language. Vietnamese is the default. */
export const tr = (ctx: { lang: Lang }, vi: string, en: string): string => (ctx.lang === 'en' ? en : vi);

export function csrfField(ctx: PageContext): Safe {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}

const LIGHT_TEXT: Record<Light, [string, string]> = { green: ['Tốt', 'OK'], amber: ['Cảnh báo', 'Warning'], red: ['Lỗi', 'Failing'] };

export function light(ctx: PageContext, l: Light): Safe {
  const [vi, en] = LIGHT_TEXT[l];
  return html`<span class="light light-${l}" data-light="${l}">${tr(ctx, vi, en)}</span>`;
}

export function when(ctx: { lang: Lang }, ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toLocaleString(ctx.lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour12: false });
}

export function pct(share: number | null): string {
  return share === null ? '—' : `${(share * 100).toFixed(1)}%`;
}

function langLink(ctx: PageContext): Safe {
  const other: Lang = ctx.lang === 'vi' ? 'en' : 'vi';
  const sep = ctx.path.includes('?') ? '&' : '?';
  return html`<a class="lang" href="${ctx.path}${sep}lang=${other}">${other === 'en' ? 'English' : 'Tiếng Việt'}</a>`;
}

export function layout(ctx: PageContext, title: string, body: Safe, opts: { scripts?: readonly string[]; styles?: readonly string[] } = {}): string {
  const nav: [string, string, string][] = [
    ['/', 'Tổng quan', 'Overview'],
    ['/dead-letters', 'Bản ghi lỗi', 'Dead letters'],
    ['/review', 'Hàng chờ rà soát', 'Review queue'],
    ['/records', 'Tra cứu bản ghi', 'Record explorer'],
    ['/quality', 'Chỉ số phục vụ', 'Service quality'],
    ['/alerts', 'Cảnh báo', 'Alerts'],
  ];
  if (ctx.can('view_audit')) nav.push(['/audit', 'Nhật ký', 'Audit log']);
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${tr(ctx, 'Bảng điều khiển dữ liệu', 'Steward console')}</title>
<link rel="stylesheet" href="/assets/console.css">
${(opts.styles ?? []).map((s) => html`<link rel="stylesheet" href="${s}">`)}
</head>
<body>
<header class="top">
  <a class="brand" href="/">${tr(ctx, 'Trung tâm dữ liệu dùng chung Tuyên Quang', 'Tuyên Quang shared-data hub')}</a>
  ${ctx.user
    ? html`<nav>${nav.map(([href, vi, en]) => html`<a href="${href}" class="${ctx.path === href || (href !== '/' && ctx.path.startsWith(href)) ? 'active' : ''}">${tr(ctx, vi, en)}</a>`)}</nav>
  <div class="who"><span>${ctx.user.displayName} (${ctx.user.role})</span>
    <form method="post" action="/logout" class="inline">${csrfField(ctx)}<button type="submit" class="link">${tr(ctx, 'Đăng xuất', 'Log out')}</button></form>
    ${langLink(ctx)}</div>`
    : html`<div class="who">${langLink(ctx)}</div>`}
</header>
<main>
<h1>${title}</h1>
${body}
</main>
${(opts.scripts ?? []).map((s) => html`<script src="${s}"></script>`)}
</body>
</html>`.value;
}

/** A page that says plainly what went wrong (403, 404, dependency down…). */
export function errorPage(ctx: PageContext, status: number, message: string): string {
  const title = status === 403 ? tr(ctx, 'Không có quyền', 'Forbidden') : status === 404 ? tr(ctx, 'Không tìm thấy', 'Not found') : tr(ctx, 'Lỗi', 'Error');
  return layout(ctx, title, html`<p class="notice notice-red">${message}</p><p><a href="/">${tr(ctx, '← Về tổng quan', '← Back to overview')}</a></p>`);
}
