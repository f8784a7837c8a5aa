import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { ConnectorInstance } from './polling.js';

export interface OpsServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly registry: Registry;
  readonly instances: () => readonly ConnectorInstance[];
  /** Dependencies reachable (Kafka, databases, sources)? */
  readonly ready?: () => Promise<boolean>;
  /** Bearer token required for pause/resume; without one those endpoints are refused. */
  readonly token?: string;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * Operations endpoints of a connector process: `/healthz` (loop alive), `/readyz` (dependencies
 * reachable), `/metrics` (Prometheus), `GET /connectors` (each instance's status, as in its
 * heartbeat) and `POST /connectors/<id>/pause|resume` (with the ops bearer token).
 */
export function createOpsServer(opts: OpsServerOptions): {
  server: Server;
  start(): Promise<number>;
  stop(): Promise<void>;
} {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const instances = opts.instances();
      const ok = instances.every((i) => i.health().ok) && (opts.ready ? await opts.ready() : true);
      return send(res, ok ? 200 : 503, {
        ok,
        connectors: instances.map((i) => ({ id: i.id, ...i.health() })),
      });
    }
    if (req.method === 'GET' && url.pathname === '/metrics')
      return send(res, 200, await opts.registry.metrics(), opts.registry.contentType);
    if (req.method === 'GET' && url.pathname === '/connectors')
      return send(
        res,
        200,
        opts.instances().map((i) => i.status.snapshot()),
      );
    if (
      req.method === 'POST' &&
      parts[0] === 'connectors' &&
      parts.length === 3 &&
      (parts[2] === 'pause' || parts[2] === 'resume')
    ) {
      const auth = req.headers.authorization ?? '';
      if (!opts.token || !auth.startsWith('Bearer ') || !sameSecret(auth.slice(7), opts.token)) {
        return send(res, 401, {
          error: { code: 'UNAUTHORIZED', message: 'pause/resume needs the ops bearer token (OPS_TOKEN)' },
        });
      }
      const instance = opts.instances().find((i) => i.id === parts[1]);
      if (!instance)
        return send(res, 404, {
          error: { code: 'NOT_FOUND', message: `no connector ${parts[1] ?? ''} in this process` },
        });
      if (parts[2] === 'pause') await instance.pause();
      else await instance.resume();
      return send(res, 200, instance.status.snapshot());
    }
    return send(res, 404, { error: { code: 'NOT_FOUND', message: 'unknown path' } });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } }));
  });
  return {
    server,
    start: () =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : opts.port);
        });
      }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
