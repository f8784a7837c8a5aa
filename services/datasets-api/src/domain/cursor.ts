import { ValidationError } from '@hub/errors';

/**
 * Opaque cursors: base64url of a tiny JSON document. Callers must not build them; a cursor that
 * does not decode to the expected kind is a 400, never a silent restart.
 */
type CursorBody = { k: 'after'; v: string } | { k: 'seq'; v: string };

function encode(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decode(kind: CursorBody['k'], cursor: string): string {
  const bad = new ValidationError('cursor is not valid: pass back a cursor exactly as this API returned it', {
    details: [{ field: 'cursor', problem: 'not a cursor issued by this endpoint' }],
  });
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw bad;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (typeof body !== 'object' || body === null) throw bad;
  const { k, v } = body as { k?: unknown; v?: unknown };
  if (k !== kind || typeof v !== 'string' || v.length === 0 || v.length > 200) throw bad;
  if (kind === 'seq' && !/^\d{1,18}$/.test(v)) throw bad;
  return v;
}

/** Keyset pagination over master ids (searches and lists). */
export const pageCursor = {
  encode: (lastMasterId: string): string => encode({ k: 'after', v: lastMasterId }),
  decode: (cursor: string): string => decode('after', cursor),
};

/** Position in a change feed: the sequence of the last change delivered. */
export const feedCursor = {
  encode: (seq: string): string => encode({ k: 'seq', v: seq }),
  decode: (cursor: string): string => decode('seq', cursor),
};
