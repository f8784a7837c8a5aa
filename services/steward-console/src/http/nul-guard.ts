import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '@hub/errors';

/*
 * U+0000 cannot be stored in a PostgreSQL text value: a NUL that reaches a query fails it, and the
 * request would end as a 500. No legitimate value carries one, so such requests are refused with a
 * 400 that names the parameter, before any route or repository sees them.
 */

/** Where the first NUL sits in a parsed value (query or JSON body): a JSON-pointer-like path, or undefined. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const here = `${path}/${k}`;
    if (k.includes('\0')) return here;
    const found = findNul(v, here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function refuse(vi: string, en: string, field: string): ValidationError {
  return new ValidationError(`Ký tự NUL (U+0000) không được phép trong ${vi} ${field} / NUL character (U+0000) not allowed in ${en} ${field}`, {
    details: [{ field, problem: 'contains U+0000' }],
  });
}

/** Path segments and query values: runs before routing, so before any repository call. */
export function rejectNulInPathAndQuery(req: Request, _res: Response, next: NextFunction): void {
  const segments = req.path.split('/');
  for (let i = 1; i < segments.length; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segments[i] ?? '');
    } catch {
      continue; // a malformed escape is the router's to refuse
    }
    if (decoded.includes('\0')) {
      const shown = segments.map((s, j) => (j === i ? '<?>' : s)).join('/');
      return next(refuse('đường dẫn, đoạn', 'path segment', `${i} (${shown})`));
    }
  }
  const q = findNul(req.query, '');
  if (q !== undefined) return next(refuse('tham số truy vấn', 'query parameter', q.slice(1).split('/').join('.')));
  next();
}

/** Parsed bodies (JSON and form): runs right after the body parsers. */
export function rejectNulInBody(req: Request, _res: Response, next: NextFunction): void {
  const b = findNul(req.body, '');
  if (b !== undefined) return next(refuse('nội dung, trường', 'body field', b === '' ? '/' : b));
  next();
}
