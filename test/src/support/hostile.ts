import fc from 'fast-check';

/** Iterations: a few in the default run (CI), many under `npm run test:chaos` (HUB_CHAOS=1). */
export const CHAOS = process.env.HUB_CHAOS === '1';
export const runs = (normal: number, chaos: number): number => (CHAOS ? chaos : normal);
/** One fixed seed for the whole suite (override with HUB_SEED to explore; the failing seed is printed). */
export const SEED = Number(process.env.HUB_SEED ?? 20261127);

/** Strings an attacker or a broken client sends: SQL- and script-looking, NFD, control characters, huge. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, lone surrogates included
  fc.constantFrom(
    "' OR '1'='1",
    '1; DROP TABLE records; --',
    "x') UNION SELECT password FROM users --",
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    'Nguye\u0302\u0303n Thi\u0323 Thu\u0309y', // NFD Vietnamese
    'Nguyễn Thị Thuỷ',
    '\u0000',
    '\u0007\u001b[31m',
    '\u202eevil',
    '\ufeff',
    '../../../../etc/passwd',
    '__proto__',
    'constructor',
    '{}',
    '[]',
    'null',
    '-1',
    '0',
    '1e309',
    'NaN',
    '99999999999999999999999999',
    '0000-01-01',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999+14:00',
    '2025-02-30',
    '2025-13-01T25:61:61Z',
    'A'.repeat(5_000),
    'ạ'.repeat(600),
  ),
  fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }).map(String),
  fc.double().map(String),
  // dates with every 4-digit year, month and day 00–99
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.boolean(),
    )
    .map(
      ([y, m, d, time]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}${time ? 'T00:00:00Z' : ''}`,
    ),
);

/** Percent-sequences that are not valid encodings or decode to invalid UTF-8 / NUL. */
const rawEncoded = fc.constantFrom(
  '%ZZ',
  '%',
  '%C3%28',
  '%FF%FE',
  '%00',
  '%E2%80',
  '%ED%A0%80',
  '%2e%2e%2f',
  '%25',
  '%u0041',
);

function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    // lone surrogate: send it raw, as a broken client would
    return s;
  }
}

/** A URL-encoded value: well-encoded hostile text or raw broken percent-sequences. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileText.map(encode) },
  { weight: 1, arbitrary: rawEncoded },
);

/** A query string over known and unknown parameter names; repeated, nested and empty keys included. */
export function hostileQuery(known: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'a[b][c]',
        '__proto__[polluted]',
        'limit[]',
        'x'.repeat(300),
        '',
      ),
    },
    { weight: 1, arbitrary: hostileText.map(encode) },
  );
  return fc
    .array(fc.tuple(name, hostileValue), { minLength: 0, maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
}

/** JSON bodies that are malformed, wrong-shaped, deep, huge or hostile in their values. */
export function hostileJson(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      'null',
      '[]',
      '{}',
      '123',
      '"x"',
      'true',
      '{"__proto__":{"role":"admin"}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '\u0000',
      '',
    ),
    fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((o) => JSON.stringify(o)),
    hostileText.map((t) =>
      JSON.stringify({
        reason: t,
        action: t,
        ids: [t],
        all: { topic: t, reason: t },
        force: t,
        username: t,
        password: t,
      }),
    ),
    fc.integer({ min: 100, max: 3000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    fc.integer({ min: 100, max: 2000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    fc.integer({ min: 300_000, max: 600_000 }).map((n) => JSON.stringify({ reason: 'A'.repeat(n) })),
    fc
      .array(fc.integer({ min: -5, max: 2_000_000_000 }), { maxLength: 1500 })
      .map((ids) => JSON.stringify({ ids })),
  );
}
