/**
 * Generation rate and peak memory: the full pipeline of `hub-departments generate` (world,
 * five departments' records with noise, truth file, JSONL on disk) and the world alone.
 * Run: `npm run bench -w @hub/departments` (200,000 people) or with BENCH_PEOPLE=2000000.
 * Prints one JSON line per measurement; see BENCHMARK.md for recorded figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../src/generator/generate.js';
import { writeDataset } from '../src/dataset/write-dataset.js';

const people = Number(process.env.BENCH_PEOPLE ?? 200_000);
const mode = process.env.BENCH_MODE ?? 'both';

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);

function report(what: string, started: number, extra: Record<string, unknown> = {}): void {
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ what, people, seconds: Number(seconds.toFixed(2)), peoplePerSecond: Math.round(people / seconds), peakRssMiB: Math.round(peak / 1_048_576), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), ...extra }));
}

if (mode === 'both' || mode === 'world') {
  const started = performance.now();
  let households = 0;
  for (const _ of generateWorld({ seed: 1, people })) households++;
  report('world only (people, families, businesses, dossiers; no output)', started, { households });
}

if (mode === 'both' || mode === 'dataset') {
  const dir = await mkdtemp(join(tmpdir(), 'dept-bench-'));
  try {
    peak = 0;
    const started = performance.now();
    const manifest = await writeDataset({ seed: 1, people }, dir);
    report('full dataset to JSONL (world + 5 departments + truth)', started, { truthRows: manifest.truthRows });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
clearInterval(sampler);
