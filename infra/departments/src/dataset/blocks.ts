/**
 * The dataset as numbered blocks of consecutive households, each rendered to the JSONL text of
 * every output file. A shard renders the blocks `b` with `b % count === index` but generates the
 * whole world: personal numbers, enterprise codes and dossier sequences are counters over every
 * household before, so skipping households would change them. Block `b`'s bytes therefore never
 * depend on the number of shards, and writing blocks in order gives the same files for any count.
 */
import { isoToDay } from '../calendar.js';
import { DEFAULT_AS_OF, generateWorld } from '../generator/generate.js';
import { renderHousehold, type RenderWorldOptions, type WorldStats } from '../departments/render.js';
import { DEPARTMENT_IDS, type DepartmentId } from '../departments/types.js';
import type { NoiseStats } from '../noise/noise.js';

/** Output files, relative to the dataset folder, in the order of `RenderedBlock.texts`. */
export const DATASET_FILES = [
  'world/people.jsonl',
  'world/marriages.jsonl',
  'world/businesses.jsonl',
  'world/dossiers.jsonl',
  ...DEPARTMENT_IDS.map((d) => `departments/${d}.jsonl`),
  'truth.jsonl',
] as const;
const PEOPLE = 0;
const MARRIAGES = 1;
const BUSINESSES = 2;
const DOSSIERS = 3;
const FIRST_DEPARTMENT = 4;
const TRUTH = DATASET_FILES.length - 1;

/** Households per block: a few MB of JSONL, enough to amortise a message between threads. */
export const BLOCK_HOUSEHOLDS = 256;

export interface Shard {
  count: number;
  index: number;
}

export interface RenderedBlock {
  block: number;
  people: number;
  /** JSONL text per file of `DATASET_FILES` (empty when the block has no line for it). */
  texts: string[];
  lines: number[];
  /** Records per department and table, in the order tables first appear in the block. */
  records: Record<DepartmentId, Record<string, number>>;
}

function emptyRecords(): Record<DepartmentId, Record<string, number>> {
  return Object.fromEntries(DEPARTMENT_IDS.map((d) => [d, {}])) as Record<
    DepartmentId,
    Record<string, number>
  >;
}

class BlockBuilder {
  private readonly parts: string[][] = DATASET_FILES.map(() => []);
  private readonly records = emptyRecords();
  private people = 0;

  constructor(private readonly block: number) {}

  add(line: number, value: unknown): void {
    this.parts[line]?.push(JSON.stringify(value));
  }

  addHousehold(
    household: Parameters<typeof renderHousehold>[0],
    byDepartment: ReturnType<typeof renderHousehold>,
  ): void {
    for (const p of household.people) this.add(PEOPLE, p);
    for (const m of household.marriages) this.add(MARRIAGES, m);
    for (const b of household.businesses) this.add(BUSINESSES, b);
    for (const d of household.dossiers) this.add(DOSSIERS, d);
    DEPARTMENT_IDS.forEach((department, i) => {
      const counts = this.records[department];
      for (const r of byDepartment[department]) {
        this.add(FIRST_DEPARTMENT + i, { table: r.table, id: r.id, row: r.row });
        this.add(TRUTH, r.truth);
        counts[r.table] = (counts[r.table] ?? 0) + 1;
      }
    });
    this.people += household.people.length;
  }

  finish(): RenderedBlock {
    return {
      block: this.block,
      people: this.people,
      texts: this.parts.map((lines) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`)),
      lines: this.parts.map((lines) => lines.length),
      records: this.records,
    };
  }
}

/**
 * This shard's blocks, in order, including empty ones, up to the last block of the world; `stats`
 * accumulates the noise counters of the households this shard renders.
 */
export function* renderBlocks(
  options: RenderWorldOptions,
  stats: WorldStats,
  shard: Shard = { count: 1, index: 0 },
  blockHouseholds = BLOCK_HOUSEHOLDS,
): Generator<RenderedBlock> {
  const withDay = { ...options, asOfDay: isoToDay(options.asOf ?? DEFAULT_AS_OF) };
  let builder: BlockBuilder | undefined;
  let opened = -1;
  for (const household of generateWorld(options)) {
    const block = Math.floor(household.index / blockHouseholds);
    while (opened < block) {
      if (builder) yield builder.finish();
      opened++;
      builder = opened % shard.count === shard.index ? new BlockBuilder(opened) : undefined;
    }
    if (builder) builder.addHousehold(household, renderHousehold(household, withDay, stats));
  }
  if (builder) yield builder.finish();
}

/** Adds `from`'s noise counters into `into`. */
export function addWorldStats(into: WorldStats, from: WorldStats): void {
  for (const key of Object.keys(into) as Array<keyof WorldStats>) {
    const a: NoiseStats = into[key];
    const b: NoiseStats = from[key];
    for (const kind of Object.keys(a.eligible) as Array<keyof NoiseStats['eligible']>) {
      a.eligible[kind] += b.eligible[kind];
      a.applied[kind] += b.applied[kind];
    }
  }
}

export { emptyRecords };
