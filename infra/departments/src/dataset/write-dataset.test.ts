import { access, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderWorld } from '../departments/render.js';
import { DATASET_FILES } from './blocks.js';
import { writeDataset, type DatasetManifest } from './write-dataset.js';

const FILES = [...DATASET_FILES, 'manifest.json'];

describe('writeDataset', () => {
  const dirs: string[] = [];
  const generate = async (
    workers: number,
    blockHouseholds?: number,
    world = true,
  ): Promise<{ dir: string; manifest: DatasetManifest; files: Map<string, Buffer> }> => {
    const dir = await mkdtemp(join(tmpdir(), 'dept-dataset-'));
    dirs.push(dir);
    const manifest = await writeDataset({ seed: 17, people: 1200 }, dir, undefined, {
      workers,
      blockHouseholds,
      world,
    });
    const files = new Map<string, Buffer>();
    for (const f of FILES) if (world || !f.startsWith('world/')) files.set(f, await readFile(join(dir, f)));
    return { dir, manifest, files };
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    'writes byte-identical files (world, departments, truth, manifest) with 0, 1 or 2 worker threads and any block size',
    { timeout: 300_000 },
    async () => {
      const inThread = await generate(0);
      const one = await generate(1, 7);
      const two = await generate(2, 7);
      const twoOtherBlocks = await generate(2, 64);
      expect(inThread.manifest.people).toBe(1200);
      for (const f of FILES) {
        const expected = inThread.files.get(f);
        expect(expected?.length, f).toBeGreaterThan(0);
        for (const other of [one, two, twoOtherBlocks])
          expect(other.files.get(f)?.equals(expected ?? Buffer.alloc(0)), f).toBe(true);
      }
      expect(two.manifest).toEqual(inThread.manifest);
    },
  );

  it(
    'writes what renderWorld renders: every source record and its truth row, in order',
    { timeout: 120_000 },
    async () => {
      const { files, manifest } = await generate(2, 5);
      const truth: string[] = [];
      const oneStop: string[] = [];
      for (const { records } of renderWorld({ seed: 17, people: 1200 })) {
        for (const rs of Object.values(records)) for (const r of rs) truth.push(JSON.stringify(r.truth));
        for (const r of records['one-stop'])
          oneStop.push(JSON.stringify({ table: r.table, id: r.id, row: r.row }));
      }
      expect(files.get('truth.jsonl')?.toString('utf8')).toBe(`${truth.join('\n')}\n`);
      expect(files.get('departments/one-stop.jsonl')?.toString('utf8')).toBe(`${oneStop.join('\n')}\n`);
      expect(manifest.truthRows).toBe(truth.length);
    },
  );

  it(
    'without the world files writes the same department, truth and manifest files, in a thread or in workers',
    { timeout: 300_000 },
    async () => {
      const full = await generate(0);
      for (const withoutWorld of [await generate(0, undefined, false), await generate(2, 7, false)]) {
        await expect(access(join(withoutWorld.dir, 'world'))).rejects.toThrow();
        expect(withoutWorld.manifest).toEqual(full.manifest);
        for (const f of FILES.filter((f) => !f.startsWith('world/')))
          expect(withoutWorld.files.get(f)?.equals(full.files.get(f) ?? Buffer.alloc(0)), f).toBe(true);
      }
    },
  );
});
