/**
 * Charts of a side-by-side run as PNG files beside the report (docs/benchmarks/):
 *   side-by-side-throughput.png — events (rows) per second per path: median, min – max over runs;
 *   side-by-side-freshness.png  — end-to-end freshness percentiles with min – max and the target.
 * Vega-Lite specs are compiled to Vega in Node; headless Chromium (playwright-core driving Debian's
 * /usr/bin/chromium; nothing is downloaded) renders them with the vega package's own bundle and
 * captures PNGs — no native canvas module. Only rendering lives here; the figures come from
 * side-by-side.bench.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Spec as VgSpec } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface Spread {
  med: number;
  min: number;
  max: number;
}
export interface ChartInput {
  dir: string;
  /** Time, machine and load, printed under each title. */
  caption: string;
  throughput?: (Spread & { path: string })[];
  runs?: number;
  freshness?: (Spread & { percentile: 'p50' | 'p95' | 'p99' | 'max' })[];
  freshRuns?: number;
  rate?: number;
  targetMs?: number;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const padding = { left: 8, right: 24, top: 8, bottom: 8 };
const config = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 12, titleFontSize: 12, gridColor: '#e6e6e6' },
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const },
};

export function throughputSpec(
  rows: NonNullable<ChartInput['throughput']>,
  runs: number,
  caption: string,
): TopLevelSpec {
  const data = rows
    .filter((r) => Number.isFinite(r.med))
    .map((r) => ({ ...r, label: Math.round(r.med).toLocaleString('en-US') }));
  const y = { field: 'path', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 1000 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Events per second per path (log scale)',
      subtitle: [`dot = median, line = min – max over ${runs} run(s); ${caption}`],
    },
    width: 560,
    height: { step: 30 },
    data: { values: data },
    encoding: { y },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2, color: '#7a9cc6' },
        encoding: {
          x: {
            field: 'min',
            type: 'quantitative',
            scale: { type: 'log' },
            axis: { format: '~s' },
            title: 'events (rows) per second',
          },
          x2: { field: 'max' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90, color: '#1f4e8c' },
        encoding: { x: { field: 'med', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 8, dy: -9, fontSize: 11, color: '#222' },
        encoding: { x: { field: 'med', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
    padding,
    config,
  };
}

export function freshnessSpec(
  rows: NonNullable<ChartInput['freshness']>,
  o: { runs: number; rate: number; targetMs: number; caption: string },
): TopLevelSpec {
  const data = rows.map((r) => ({
    percentile: r.percentile,
    med: r.med / 1000,
    min: r.min / 1000,
    max: r.max / 1000,
    label: `${(r.med / 1000).toFixed(r.med < 10_000 ? 2 : 0)} s`,
  }));
  const x = {
    field: 'percentile',
    type: 'ordinal' as const,
    sort: ['p50', 'p95', 'p99', 'max'],
    title: null,
    axis: { labelAngle: 0 },
  };
  const seconds = { type: 'quantitative' as const, title: 'seconds, POST → visible' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `End-to-end freshness at ${o.rate} records/s: source commit → visible in the datasets API`,
      subtitle: [
        `bar = median, orange line = min – max over ${o.runs} run(s), dashed red line = target p99 ≤ ${o.targetMs / 1000} s`,
        o.caption,
      ],
    },
    width: 640,
    height: 280,
    layer: [
      {
        data: { values: data },
        encoding: { x },
        layer: [
          {
            mark: { type: 'bar', color: '#1f4e8c', width: { band: 0.6 } },
            encoding: { y: { field: 'med', ...seconds } },
          },
          {
            mark: { type: 'rule', strokeWidth: 2, color: '#e07b00' },
            encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
          },
          {
            mark: { type: 'text', dy: -8, fontSize: 11, color: '#222' },
            encoding: { y: { field: 'max', type: 'quantitative' }, text: { field: 'label' } },
          },
        ],
      },
      {
        data: { values: [{ target: o.targetMs / 1000 }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#b00020', strokeWidth: 1.5 },
        encoding: { y: { field: 'target', type: 'quantitative' } },
      },
    ],
    padding,
    config,
  };
}

/** The Vega runtime bundle (UMD, all of its d3 parts inside) that the vega package ships. */
function vegaBundle(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.min.js');
}

/**
 * Vega specs → PNG in headless Chromium: the page loads the vega bundle from node_modules, renders
 * each spec with Vega's SVG renderer (text measured by the browser, so labels are not cut) and the
 * element is captured at 2× for crisp text, on white.
 */
async function renderPngs(items: { spec: VgSpec; file: string }[]): Promise<void> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 2 });
    await page.setContent(
      '<!doctype html><html><body style="margin:0;background:#fff"><div id="chart" style="display:inline-block"></div></body></html>',
    );
    await page.addScriptTag({ path: vegaBundle() });
    for (const { spec, file } of items) {
      await page.evaluate(async (s) => {
        const g = globalThis as unknown as {
          vega: {
            View: new (r: unknown, o: object) => { runAsync(): Promise<unknown> };
            parse(s: unknown): unknown;
          };
          document: { getElementById(id: string): { innerHTML: string } | null };
        };
        const el = g.document.getElementById('chart');
        if (el) el.innerHTML = '';
        await new g.vega.View(g.vega.parse(s), { renderer: 'svg', container: '#chart' }).runAsync();
      }, spec);
      await page.locator('#chart svg').screenshot({ path: file });
    }
  } finally {
    await browser.close();
  }
}

/** Renders the charts there are figures for; returns the files written. */
export async function renderCharts(input: ChartInput): Promise<string[]> {
  const items: { spec: VgSpec; file: string }[] = [];
  if (input.throughput?.length)
    items.push({
      spec: compile(throughputSpec(input.throughput, input.runs ?? 1, input.caption)).spec,
      file: join(input.dir, 'side-by-side-throughput.png'),
    });
  if (input.freshness?.length)
    items.push({
      spec: compile(
        freshnessSpec(input.freshness, {
          runs: input.freshRuns ?? 1,
          rate: input.rate ?? 500,
          targetMs: input.targetMs ?? 2000,
          caption: input.caption,
        }),
      ).spec,
      file: join(input.dir, 'side-by-side-freshness.png'),
    });
  if (items.length) await renderPngs(items);
  return items.map((i) => i.file);
}
