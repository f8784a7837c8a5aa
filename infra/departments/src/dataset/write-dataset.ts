/**
 * `generate --out DIR`: the true world, every department's native records and the truth file,
 * streamed to JSONL so that 2,000,000 people fit in bounded memory.
 *
 *   DIR/world/{people,marriages,businesses,dossiers}.jsonl   the truth itself
 *   DIR/departments/<department>.jsonl                         {table, id, row} as each source holds it
 *   DIR/truth.jsonl                                            one row per source record (TruthRow)
 *   DIR/manifest.json                                          options, counts, noise statistics
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_AS_OF } from '../generator/generate.js';
import { emptyWorldStats, renderWorld, type RenderWorldOptions, type WorldStats } from '../departments/render.js';
import { DEPARTMENT_IDS, type DepartmentId } from '../departments/types.js';
import { JsonlWriter } from './jsonl-writer.js';

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

export async function writeDataset(options: RenderWorldOptions, outDir: string, onProgress?: (people: number) => void): Promise<DatasetManifest> {
  await mkdir(join(outDir, 'world'), { recursive: true });
  await mkdir(join(outDir, 'departments'), { recursive: true });
  const world = {
    people: new JsonlWriter(join(outDir, 'world', 'people.jsonl')),
    marriages: new JsonlWriter(join(outDir, 'world', 'marriages.jsonl')),
    businesses: new JsonlWriter(join(outDir, 'world', 'businesses.jsonl')),
    dossiers: new JsonlWriter(join(outDir, 'world', 'dossiers.jsonl')),
  };
  const departments = Object.fromEntries(DEPARTMENT_IDS.map((d) => [d, new JsonlWriter(join(outDir, 'departments', `${d}.jsonl`))])) as Record<DepartmentId, JsonlWriter>;
  const truth = new JsonlWriter(join(outDir, 'truth.jsonl'));
  const stats = emptyWorldStats();
  const records = Object.fromEntries(DEPARTMENT_IDS.map((d) => [d, {}])) as Record<DepartmentId, Record<string, number>>;
  let people = 0;
  for (const { household, records: byDepartment } of renderWorld(options, stats)) {
    for (const p of household.people) await world.people.write(p);
    for (const m of household.marriages) await world.marriages.write(m);
    for (const b of household.businesses) await world.businesses.write(b);
    for (const d of household.dossiers) await world.dossiers.write(d);
    for (const department of DEPARTMENT_IDS) {
      const counts = records[department];
      for (const r of byDepartment[department]) {
        await departments[department].write({ table: r.table, id: r.id, row: r.row });
        await truth.write(r.truth);
        counts[r.table] = (counts[r.table] ?? 0) + 1;
      }
    }
    people += household.people.length;
    if (onProgress && household.index % 5000 === 0) onProgress(people);
  }
  for (const w of [...Object.values(world), ...Object.values(departments), truth]) await w.close();
  const manifest: DatasetManifest = {
    seed: options.seed,
    people,
    asOf: options.asOf ?? DEFAULT_AS_OF,
    world: { people: world.people.lines, marriages: world.marriages.lines, businesses: world.businesses.lines, dossiers: world.dossiers.lines },
    records,
    truthRows: truth.lines,
    noise: stats,
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
