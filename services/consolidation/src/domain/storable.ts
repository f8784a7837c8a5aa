import type { ErrorDetail } from '@hub/errors';

/**
 * Text PostgreSQL cannot store: U+0000 (NUL) is refused in `text` and `jsonb` alike ("unsupported
 * Unicode escape sequence"). An observation holding one would fail its whole batch again and again
 * and block the partition behind it, so it is dead-lettered up front, with the field named.
 */
export function unstorableText(value: unknown, path = '', out: ErrorDetail[] = [], depth = 0): ErrorDetail[] {
  if (out.length >= 10 || depth > 32) return out;
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      out.push({
        field: path || '/',
        problem: 'contains a NUL character (U+0000), which no text field may hold',
        hint: 'Remove the NUL character at the source (it usually comes from a fixed-width export or a C string), then replay the dead letter.',
      });
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => unstorableText(v, `${path}/${i}`, out, depth + 1));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k.includes('\u0000'))
        out.push({
          field: `${path}/${k.replaceAll('\u0000', '\\u0000')}`,
          problem: 'a key contains a NUL character (U+0000)',
          hint: 'Remove the NUL character at the source.',
        });
      unstorableText(v, `${path}/${k}`, out, depth + 1);
    }
  }
  return out;
}
