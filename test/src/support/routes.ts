/**
 * The route list of an express 5 application, read from its router stack (not from its docs), so a
 * route added tomorrow shows up in the access-control table test without anyone listing it.
 */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  name?: string;
}

function join(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix === '' ? '/' : prefix;
  return `${prefix}${path.startsWith('/') ? path : `/${path}`}`;
}

function walk(stack: readonly LayerLike[], prefix: string, out: RouteEntry[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? (layer.route.path as unknown[]) : [layer.route.path];
      for (const p of paths) {
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== '_all') out.push({ method: m.toUpperCase(), path: join(prefix, String(p)) });
        }
      }
    } else if (layer.handle?.stack) {
      const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      walk(layer.handle.stack, raw === '/' ? prefix : `${prefix}${raw}`, out);
    } else if (layer.name === 'serveStatic' && typeof layer.rawPath === 'string' && layer.rawPath !== '/') {
      out.push({ method: 'GET', path: `${prefix}${layer.rawPath}/*` });
    }
  }
}

/** Every (method, path) the app answers, mounted routers and static folders included. */
export function listRoutes(app: unknown): RouteEntry[] {
  const router = (app as { router?: { stack?: LayerLike[] } }).router;
  if (!router?.stack) throw new Error('not an express 5 application (no router stack)');
  const out: RouteEntry[] = [];
  walk(router.stack, '', out);
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = `${r.method} ${r.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * A stand-in for a service's dependencies that is enough to *build* its express app (never to
 * serve a request): every property is another stand-in, every call returns one. Numbers and
 * strings the factories read at build time are given in `values`.
 */
export function stubDeps<T>(values: Record<string, unknown> = {}): T {
  const make = (path: string): unknown =>
    new Proxy(function stub() {}, {
      get(_t, prop) {
        if (prop === Symbol.toPrimitive) return () => 0;
        if (prop === 'then') return undefined; // not a promise
        if (typeof prop === 'symbol') return undefined;
        const key = path ? `${path}.${prop}` : prop;
        if (key in values) return values[key];
        return make(key);
      },
      apply: () => make(`${path}()`),
      construct: () => make(`new ${path}`) as object,
    });
  return make('') as T;
}
