/**
 * Seeded randomness. Every entity draws from its own stream, derived from (seed, label, index), so
 * the output for a seed does not depend on how much was generated before or in which order, and
 * generation can stream without keeping earlier entities in memory.
 */

/** 32-bit FNV-1a over a string, then mixed: a stable hash for deriving sub-seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream for one entity: same (seed, label, index) → same numbers. */
  static for(seed: number, label: string, index = 0): Rng {
    return new Rng(mix32(hash32(label) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ mix32(index + 0x632be5ab)));
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    const last = entries[entries.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  /** Approximately normal (sum of three uniforms), clamped to [min, max]. */
  around(mean: number, spread: number, min: number, max: number): number {
    const n = (this.next() + this.next() + this.next() - 1.5) * 2 * spread;
    return Math.min(max, Math.max(min, Math.round(mean + n)));
  }
}

/**
 * A keyed bijection on [0, size) (a small Feistel network with cycle walking): distinct counters
 * give distinct, random-looking serials, so identifiers are unique without remembering them.
 */
export function permute(value: number, size: number, key: number): number {
  const bits = Math.max(2, Math.ceil(Math.log2(size)));
  const half = Math.ceil(bits / 2);
  const mask = (1 << half) - 1;
  let x = value;
  do {
    let left = x >>> half;
    let right = x & mask;
    for (let round = 0; round < 4; round++) {
      const f = mix32((right ^ key ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0) & mask;
      const next = (left ^ f) & mask;
      left = right;
      right = next;
    }
    x = ((left << half) | right) >>> 0;
  } while (x >= size);
  return x;
}
