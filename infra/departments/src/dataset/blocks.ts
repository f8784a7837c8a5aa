/**
 * The dataset as numbered blocks of consecutive households, each rendered to the JSONL text of
 * every output file. A shard renders the blocks `b` with `b % count === index` but walks the whole
 * world: personal numbers, enterprise codes and dossier sequences are counters over every household
 * before, so skipping households would change them. Other shards' households are generated only as
 * far as those counters need (`worldHouseholds`). Block `b`'s bytes therefore never depend on the
 * number of shards, and writing blocks in order gives the same files for any count.
 */
import { isoToDay } from '../calendar.js';
import { DEFAULT_AS_OF, worldHouseholds } from '../generator/generate.js';
import { renderHousehold, type RenderWorldOptions, type WorldStats } from '../departments/render.js';
import { DEPARTMENT_IDS, type DepartmentId } from '../departments/types.js';
import type { NoiseStats } from '../noise/noise.js';

/** Output files, relative to the dataset folder, in the order of `RenderedBlock.bytes`. */
export const DATASET_FILES = [
  'world/people.jsonl',
  'world/marriages.jsonl',
  'world/businesses.jsonl',
  'world/dossiers.jsonl',
  ...DEPARTMENT_IDS.map((d) => `departments/${d}.jsonl`),
  'truth.jsonl',
] as const;
/** The first four files: the true world, which nothing in this repository reads back. */
export const WORLD_FILES = 4;
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
  /** JSONL as UTF-8 per file of `DATASET_FILES` (empty when the block has no line for it). */
  bytes: Array<Uint8Array<ArrayBuffer>>;
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

/**
 * One file's lines of a block, encoded to UTF-8 as they come (no joined string, no second copy).
 * The buffer grows by doubling; a UTF-16 code unit never takes more than 3 bytes in UTF-8.
 */
class Utf8Lines {
  private buffer: Buffer = Buffer.allocUnsafeSlow(0);
  private length = 0;
  count = 0;

  push(line: string): void {
    const needed = this.length + line.length * 3 + 1;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2, 64 * 1024));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(line, this.length, 'utf8');
    this.buffer[this.length++] = 0x0a;
    this.count++;
  }

  /** The bytes written, in a buffer of their own (transferable to another thread). */
  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    out.set(this.buffer.subarray(0, this.length));
    return out;
  }
}

class BlockBuilder {
  private readonly parts = DATASET_FILES.map(() => new Utf8Lines());
  private readonly records = emptyRecords();
  private people = 0;

  constructor(
    private readonly block: number,
    private readonly world: boolean,
  ) {}

  add(line: number, value: unknown): void {
    this.parts[line]?.push(JSON.stringify(value));
  }

  /** A line of a world file: serialised only when the world files are written, counted always. */
  private addWorld(line: number, values: readonly unknown[]): void {
    const part = this.parts[line];
    if (part === undefined) return;
    if (this.world) for (const value of values) part.push(JSON.stringify(value));
    else part.count += values.length;
  }

  addHousehold(
    household: Parameters<typeof renderHousehold>[0],
    byDepartment: ReturnType<typeof renderHousehold>,
  ): void {
    this.addWorld(PEOPLE, household.people);
    this.addWorld(MARRIAGES, household.marriages);
    this.addWorld(BUSINESSES, household.businesses);
    this.addWorld(DOSSIERS, household.dossiers);
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
      bytes: this.parts.map((lines) => lines.bytes()),
      lines: this.parts.map((lines) => lines.count),
      records: this.records,
    };
  }
}

/**
 * This shard's blocks, in order, including empty ones, up to the last block of the world; `stats`
 * accumulates the noise counters of the households this shard renders. With `world` false the
 * world files get no bytes, but their lines are still counted (`RenderedBlock.lines`).
 */
export function* renderBlocks(
  options: RenderWorldOptions,
  stats: WorldStats,
  shard: Shard = { count: 1, index: 0 },
  blockHouseholds = BLOCK_HOUSEHOLDS,
  world = true,
): Generator<RenderedBlock> {
  const withDay = { ...options, asOfDay: isoToDay(options.asOf ?? DEFAULT_AS_OF) };
  let builder: BlockBuilder | undefined;
  let opened = -1;
  const mine = (index: number) => Math.floor(index / blockHouseholds) % shard.count === shard.index;
  for (const { index, household } of worldHouseholds(options, mine)) {
    const block = Math.floor(index / blockHouseholds);
    while (opened < block) {
      if (builder) yield builder.finish();
      opened++;
      builder = opened % shard.count === shard.index ? new BlockBuilder(opened, world) : undefined;
    }
    if (builder && household) builder.addHousehold(household, renderHousehold(household, withDay, stats));
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
