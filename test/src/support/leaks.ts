import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { SECRETS } from './hub.js';

/**
 * Personal numbers (CCCD, 12 digits) the suite sends through the hub. Valid-looking: province 008
 * (Tuyên Quang), century/sex digit, birth year.
 */
export const PERSONAL_IDS = ['008199000777', '008185004242', '008301001234'];

/** Exactly twelve digits, not part of a longer number (ms timestamps have 13) nor of a UUID/hex id. */
const TWELVE_DIGITS = /(?<![\dA-Fa-f.-])\d{12}(?![\dA-Fa-f.-])/g;

export interface Leak {
  readonly file: string;
  readonly what: string;
  readonly line: string;
}

/** Every secret given to the processes, every personal number sent, and any bare 12-digit number. */
export function findLeaks(files: readonly string[], secrets: readonly string[] = SECRETS): Leak[] {
  const found: Leak[] = [];
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      for (const s of secrets)
        if (s.length >= 8 && line.includes(s))
          found.push({ file, what: `secret ${s.slice(0, 6)}…`, line: line.slice(0, 300) });
      for (const m of line.matchAll(TWELVE_DIGITS))
        found.push({ file, what: `12-digit number ${m[0].slice(0, 3)}…`, line: line.slice(0, 300) });
    }
  }
  return found;
}

export function assertNoLeaks(files: readonly string[]): void {
  const leaks = findLeaks(files);
  expect(files.length).toBeGreaterThan(0);
  expect(leaks, leaks.map((l) => `${l.file}: ${l.what} in ${l.line}`).join('\n')).toEqual([]);
}
