/**
 * `generate --out DIR`: the true world, every department's native records and the truth file,
 * streamed to JSONL so that 2,000,000 people fit in bounded memory.
 *
 *   DIR/world/{people,marriages,businesses,dossiers}.jsonl   the truth itself (unless `world: false`)
 *   DIR/departments/<department>.jsonl                         {table, id, row} as each source holds it
 *   DIR/truth.jsonl                                            one row per source record (TruthRow)
 *   DIR/manifest.json                                          options, counts, noise statistics
 *
 * With `workers: N` the households are rendered by N worker threads (blocks of households dealt
 * round-robin, see blocks.ts) and written in block order: the files are byte-identical for any N,
 * including 0 (everything in this thread).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_AS_OF } from '../generator/generate.js';
import { emptyWorldStats, type RenderWorldOptions, type WorldStats } from '../departments/render.js';
import type { DepartmentId } from '../departments/types.js';
import {
  addWorldStats,
  BLOCK_HOUSEHOLDS,
  DATASET_FILES,
  emptyRecords,
  renderBlocks,
  WORLD_FILES,
  type RenderedBlock,
  type Shard,
} from './blocks.js';
import type { WorkerInput, WorkerMessage } from './dataset-worker.js';

export interface DatasetManifest {
  seed: number;
  people: number;
  asOf: string;
  world: Record<'people' | 'marriages' | 'businesses' | 'dossiers', number>;
  /** Records per department and table. */
  records: Record<DepartmentId, Record<string, number>>;
  truthRows: number;
  noise: WorldStats;
}

export interface WriteDatasetOptions {
  /** Worker threads rendering households; 0 (the default) renders in this thread. */
  workers?: number;
  /** Households per block (tests use small blocks to interleave many); the output does not depend on it. */
  blockHouseholds?: number;
  /**
   * Write `world/*.jsonl` (default true). Without them the department files, the truth file and the
   * manifest (world counts included) are byte for byte the same; nothing in this repository reads
   * the world files back, and serialising them is about a quarter of the lines.
   */
  world?: boolean;
}

/** A block as written: its UTF-8 bytes per file. */
type WritableBlock = Omit<RenderedBlock, 'bytes'> & { chunks: readonly Uint8Array[] };

class FileSink {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  close(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

/** Renders in `count` worker threads; calls `onBlock` for every block in block order, one at a time. */
async function renderInWorkers(
  options: RenderWorldOptions,
  count: number,
  blockHouseholds: number,
  world: boolean,
  stats: WorldStats,
  onBlock: (block: WritableBlock) => Promise<void>,
): Promise<void> {
  // From the TypeScript sources (tests, tsx) the worker is a .ts file: a small bootstrap registers
  // tsx's loader in the worker first (`--import` in a worker's execArgv does not reach its entry on Node 20).
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './dataset-worker.ts' : './dataset-worker.js', import.meta.url);
  const api = fromSource
    ? pathToFileURL(
        createRequire(import.meta.url)
          .resolve('tsx/esm/api')
          .replace(/\.cjs$/, '.mjs'),
      ).href
    : '';
  const entry = fromSource
    ? `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`
    : url;
  const workers = Array.from({ length: count }, (_, index) => {
    const shard: Shard = { count, index };
    const workerData: WorkerInput = { options, shard, blockHouseholds, world };
    // A larger young generation: rendering allocates many short-lived strings and objects, and
    // the default nursery made scavenges ~15 % of the CPU time.
    return new Worker(entry, {
      workerData,
      eval: fromSource,
      resourceLimits: { maxYoungGenerationSizeMb: 192 },
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const pending = new Map<number, { block: WritableBlock; worker: Worker }>();
      let next = 0;
      let finished = 0;
      let writing = false;
      const pump = async () => {
        if (writing) return;
        writing = true;
        try {
          for (let entry = pending.get(next); entry !== undefined; entry = pending.get(next)) {
            pending.delete(next);
            await onBlock(entry.block);
            entry.worker.postMessage('ack');
            next++;
          }
        } finally {
          writing = false;
        }
        if (finished === count) {
          if (pending.size === 0) resolve();
          else reject(new Error(`dataset workers finished but block ${next} is missing`));
        }
      };
      for (const worker of workers) {
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'block')
            pending.set(message.block.block, { block: { ...message.block, chunks: message.bytes }, worker });
          else {
            addWorldStats(stats, message.stats);
            finished++;
          }
          pump().catch(reject);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0) reject(new Error(`dataset worker exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function writeDataset(
  options: RenderWorldOptions,
  outDir: string,
  onProgress?: (people: number) => void,
  write: WriteDatasetOptions = {},
): Promise<DatasetManifest> {
  const world = write.world ?? true;
  if (world) await mkdir(join(outDir, 'world'), { recursive: true });
  await mkdir(join(outDir, 'departments'), { recursive: true });
  const sinks = DATASET_FILES.map((f, i) =>
    world || i >= WORLD_FILES ? new FileSink(join(outDir, f)) : undefined,
  );
  const lines = DATASET_FILES.map(() => 0);
  const stats = emptyWorldStats();
  const records = emptyRecords();
  let people = 0;
  const onBlock = async (block: WritableBlock) => {
    for (let i = 0; i < sinks.length; i++) {
      await sinks[i]?.write(block.chunks[i] ?? new Uint8Array(0));
      lines[i] = (lines[i] ?? 0) + (block.lines[i] ?? 0);
    }
    // Tables in the order they first appear in the whole dataset, as when rendered in one pass.
    for (const [department, tables] of Object.entries(block.records) as Array<
      [DepartmentId, Record<string, number>]
    >) {
      const counts = records[department];
      for (const [table, n] of Object.entries(tables)) counts[table] = (counts[table] ?? 0) + n;
    }
    const before = people;
    people += block.people;
    if (onProgress && Math.floor(before / 20_000) !== Math.floor(people / 20_000)) onProgress(people);
  };
  const workers = write.workers ?? 0;
  const blockHouseholds = write.blockHouseholds ?? BLOCK_HOUSEHOLDS;
  if (workers > 0) await renderInWorkers(options, workers, blockHouseholds, world, stats, onBlock);
  else
    for (const { bytes, ...block } of renderBlocks(options, stats, undefined, blockHouseholds, world))
      await onBlock({ ...block, chunks: bytes });
  for (const sink of sinks) await sink?.close();
  const count = (file: (typeof DATASET_FILES)[number]) => lines[DATASET_FILES.indexOf(file)] ?? 0;
  const manifest: DatasetManifest = {
    seed: options.seed,
    people,
    asOf: options.asOf ?? DEFAULT_AS_OF,
    world: {
      people: count('world/people.jsonl'),
      marriages: count('world/marriages.jsonl'),
      businesses: count('world/businesses.jsonl'),
      dossiers: count('world/dossiers.jsonl'),
    },
    records,
    truthRows: count('truth.jsonl'),
    noise: stats,
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
