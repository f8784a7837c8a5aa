/**
 * Result and problem types shared by every parser in this package.
 * A parser never throws on bad input: it returns `{ ok: false, problems }` where each problem says
 * what is wrong (`message`) and, where possible, how to fix it (`hint`).
 */
export interface Problem {
  /** The input part the problem is about, e.g. `checkDigit`, `date`, or a CSV column name. */
  field?: string;
  /** Stable UPPER_SNAKE code for programs. */
  code: string;
  /** What is wrong, for people. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** 1-based line in the source text, for file importers. */
  line?: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T>(problems: Problem[]): ParseResult<T> {
  return { ok: false, problems };
}

export function problem(
  code: string,
  message: string,
  extra: Omit<Problem, 'code' | 'message'> = {},
): Problem {
  return { code, message, ...extra };
}

/** Removes spaces, dots and similar separators people type inside numbers. */
export function compactDigits(input: string): string {
  return input.replace(/[\s.\u00a0]/g, '');
}
