import { Router, type Request, type Response } from 'express';

const esc = (v: string | number | null | undefined): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface CatalogueView {
  title: string;
  generatedAt: string;
  updateFrequency: string;
  datasets: {
    dataset: string;
    description: string;
    topic: string;
    liveRecords: number;
    freshnessSeconds: number | null;
    newestChangeAppliedAt: string | null;
    changesLast24h: number;
    schemaVersions: { version: number; id: number }[] | null;
    fieldGroups: { group: string; scope: string; personalData: string; description: string }[];
    fields: { name: string; type: string; format: string; definition: string; group: string; scope: string | null; personalData: string; authoritativeSource: { department: string } | null }[];
  }[];
}

function renderHtml(doc: CatalogueView): string {
  const sections = doc.datasets.map((d) => {
    const versions = d.schemaVersions ? d.schemaVersions.map((v) => `v${v.version} (id ${v.id})`).join(', ') || 'none registered' : 'registry unreachable';
    const groups = d.fieldGroups.map((g) => `<li><code>${esc(g.scope)}</code> — ${esc(g.description)} (personal data: ${esc(g.personalData)})</li>`).join('');
    const rows = d.fields
      .map(
        (f) =>
          `<tr><td><code>${esc(f.name)}</code></td><td>${esc(f.type)}<br><small>${esc(f.format)}</small></td><td>${esc(f.definition)}</td><td>${esc(f.group)}</td><td>${f.scope ? `<code>${esc(f.scope)}</code>` : 'any scope of the dataset'}</td><td>${esc(f.authoritativeSource?.department ?? '—')}</td></tr>`,
      )
      .join('');
    return `<section><h2>${esc(d.dataset)}</h2><p>${esc(d.description)}</p>
<p>Topic <code>${esc(d.topic)}</code> · live records ${esc(d.liveRecords)} · newest change applied ${esc(d.newestChangeAppliedAt ?? 'never')} (${d.freshnessSeconds === null ? 'no data yet' : `${esc(Math.round(d.freshnessSeconds))} s ago`}) · changes in the last 24 h ${esc(d.changesLast24h)} · schema versions ${esc(versions)}</p>
<h3>Field groups and scopes</h3><ul>${groups}</ul>
<table><thead><tr><th>Field</th><th>Type / format</th><th>Definition</th><th>Group</th><th>Scope</th><th>Authoritative source</th></tr></thead><tbody>${rows}</tbody></table></section>`;
  });
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${esc(doc.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left}th{background:#f3f3f3}</style></head>
<body><h1>${esc(doc.title)}</h1><p>Generated ${esc(doc.generatedAt)}. Update frequency: ${esc(doc.updateFrequency)}. Machine-readable: <a href="/catalogue">/catalogue</a> (JSON). API reference: <a href="/docs">/docs</a>.</p>${sections.join('')}</body></html>`;
}

/** GET /catalogue (JSON; HTML when the browser asks for it) and GET /catalogue.html. Public: agencies must publish it. */
export function catalogueRouter(build: () => Promise<Record<string, unknown>>): Router {
  const router = Router();
  const html = async (_req: Request, res: Response) => {
    res.type('html').send(renderHtml((await build()) as unknown as CatalogueView));
  };
  router.get('/catalogue.html', html);
  router.get('/catalogue', async (req: Request, res: Response) => {
    if (req.accepts(['json', 'html']) === 'html') return html(req, res);
    res.json(await build());
  });
  return router;
}
