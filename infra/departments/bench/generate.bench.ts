/**
 * Generation rate and peak memory: the full pipeline of `hub-departments generate` (world,
 * five departments' records with noise, truth file, JSONL on disk) and the world alone.
 * Run: `npm run bench -w @hub/departments` (200,000 people) or with BENCH_PEOPLE=2000000;
 * BENCH_WORKERS=N renders in N worker threads (default 2; 0 = the main thread only);
 * BENCH_MODE=world|dataset|both (default both); BENCH_WORLD=0 writes the dataset without
 * world/*.jsonl (`generate --no-world`).
 * Prints one JSON line per measurement: wall time, CPU time of the whole process (all threads),
 * peak RSS of the whole process (worker threads included: they share it) and the load average
 * before and after, since other work on the machine changes wall time a lot. See BENCHMARK.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../src/generator/generate.js';
import { writeDataset } from '../src/dataset/write-dataset.js';

const people = Number(process.env.BENCH_PEOPLE ?? 200_000);
const mode = process.env.BENCH_MODE ?? 'both';
const workers = Number(process.env.BENCH_WORKERS ?? 2);
const world = process.env.BENCH_WORLD !== '0';

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);

/**
 * CPU seconds per thread (Linux: /proc/self/task/<tid>/stat), sampled every second because worker
 * threads vanish from /proc when they end. Shows how the work splits between the main thread, the
 * workers and V8's helper threads (GC), i.e. the critical path on an otherwise idle machine.
 */
const threadCpu = new Map<string, { name: string; seconds: number }>();
/** CPU seconds of each thread when the measurement started. */
let threadBase = new Map<string, number>();
function sampleThreads(): void {
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
      threadCpu.set(tid, { name, seconds: Math.max(seconds, threadCpu.get(tid)?.seconds ?? 0) });
    }
  } catch {
    // not Linux: no per-thread figures
  }
}
const threadSampler = setInterval(sampleThreads, 1000);
function busiestThreads(): Array<{ thread: string; cpuSeconds: number }> {
  sampleThreads();
  return [...threadCpu.entries()]
    .map(([tid, t]) => ({
      thread: tid === String(process.pid) ? 'main' : `${t.name}#${tid}`,
      cpuSeconds: Number((t.seconds - (threadBase.get(tid) ?? 0)).toFixed(1)),
    }))
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
    .slice(0, 5);
}
function restartThreadCpu(): void {
  threadCpu.clear();
  sampleThreads();
  threadBase = new Map([...threadCpu].map(([tid, t]) => [tid, t.seconds]));
}

const load = () => loadavg().map((l) => Number(l.toFixed(2)));

function report(
  what: string,
  started: number,
  cpu: NodeJS.CpuUsage,
  loadBefore: number[],
  extra: Record<string, unknown> = {},
): void {
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    JSON.stringify({
      what,
      people,
      seconds: Number(seconds.toFixed(2)),
      peoplePerSecond: Math.round(people / seconds),
      cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(1)),
      peakRssMiB: Math.round(peak / 1_048_576),
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      loadBefore,
      loadAfter: load(),
      busiestThreads: busiestThreads(),
      ...extra,
    }),
  );
}

if (mode === 'both' || mode === 'world') {
  const loadBefore = load();
  restartThreadCpu();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let households = 0;
  for (const _ of generateWorld({ seed: 1, people })) households++;
  report('world only (people, families, businesses, dossiers; no output)', started, cpu, loadBefore, {
    households,
  });
}

if (mode === 'both' || mode === 'dataset') {
  const dir = await mkdtemp(join(tmpdir(), 'dept-bench-'));
  try {
    peak = 0;
    restartThreadCpu();
    const loadBefore = load();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const manifest = await writeDataset({ seed: 1, people }, dir, undefined, { workers, world });
    const what = world ? 'world + 5 departments + truth' : '5 departments + truth, no world files';
    report(`full dataset to JSONL (${what})`, started, cpu, loadBefore, {
      workers,
      world,
      truthRows: manifest.truthRows,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
clearInterval(sampler);
clearInterval(threadSampler);
