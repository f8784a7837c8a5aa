/**
 * A worker thread of `writeDataset`: renders one shard's blocks (see blocks.ts) and posts each
 * block's UTF-8 bytes (transferred, not copied). At most `IN_FLIGHT` blocks wait unwritten in the
 * main thread; the main thread acknowledges each block once it is on disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { emptyWorldStats, type RenderWorldOptions } from '../departments/render.js';
import { renderBlocks, type RenderedBlock, type Shard } from './blocks.js';

export interface WorkerInput {
  options: RenderWorldOptions;
  shard: Shard;
  blockHouseholds: number;
  world: boolean;
}

export type WorkerMessage =
  | { type: 'block'; block: Omit<RenderedBlock, 'bytes'>; bytes: Array<Uint8Array<ArrayBuffer>> }
  | { type: 'done'; stats: ReturnType<typeof emptyWorldStats> };

const IN_FLIGHT = 4;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('dataset-worker must run in a worker thread');
  const { options, shard, blockHouseholds, world } = workerData as WorkerInput;
  let credits = IN_FLIGHT;
  let wake: (() => void) | undefined;
  port.on('message', (message) => {
    if (message !== 'ack') return;
    credits++;
    wake?.();
  });
  const stats = emptyWorldStats();
  for (const { bytes, ...block } of renderBlocks(options, stats, shard, blockHouseholds, world)) {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    credits--;
    port.postMessage(
      { type: 'block', block, bytes } satisfies WorkerMessage,
      bytes.map((b) => b.buffer),
    );
  }
  port.postMessage({ type: 'done', stats } satisfies WorkerMessage);
}

await main();
