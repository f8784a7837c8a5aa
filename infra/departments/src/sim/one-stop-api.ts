/**
 * The one-stop-shop dossier system as a real HTTP server (express):
 *   GET /api/v1/dossiers?updatedSince=ISO&page=1&pageSize=100   paged, ordered by (ngayCapNhat, id)
 *   GET /api/v1/dossiers/:maHoSo                                one dossier
 *   GET /api/v1/counts                                          ground-truth counts
 * Auth: header `X-API-Key`. A token bucket per key answers 429 with Retry-After; fault injection
 * (slow responses, 5xx bursts, random 5xx) is set at construction or through `setFaults`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { formatDossierCode } from '@hub/vn';
import {
  DOSSIER_STATUS_CODE,
  localDateTime,
  localIso,
  RESULT_CHANNEL_CODE,
  type OneStopDossier,
} from '../departments/one-stop.js';
import type { SourceRecord } from '../departments/types.js';
import { liveRng } from './live-people.js';
import { emptyTick, type DepartmentSimulator, type GroundTruthCounts, type TickResult } from './types.js';

export interface Faults {
  /** Added to every response, in ms. */
  slowMs?: number;
  /** Share of requests answered 500. */
  errorRate?: number;
  /** The next N requests get 503. */
  burst5xx?: number;
}

export interface OneStopApiOptions {
  port?: number;
  host?: string;
  apiKeys: readonly string[];
  /** Sustained requests per second per key, and bucket size. */
  rateLimit?: { perSecond: number; burst: number };
  faults?: Faults;
  maxPageSize?: number;
}

export class OneStopApi implements DepartmentSimulator {
  readonly id = 'one-stop';
  private readonly dossiers = new Map<number, OneStopDossier>();
  private sorted: OneStopDossier[] | undefined;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private faults: Faults;
  private server: Server | undefined;
  private nextSequence = 9000;
  private maxId = 0;

  constructor(private readonly options: OneStopApiOptions) {
    this.faults = { ...options.faults };
  }

  setFaults(faults: Faults): void {
    this.faults = { ...faults };
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('one-stop API not started');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const app = express();
    app.disable('x-powered-by');
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.use('/api', (req, res, next) => this.guard(req, res, next));
    app.get('/api/v1/dossiers', (req, res) => this.list(req, res));
    app.get('/api/v1/dossiers/:code', (req, res) => {
      const found = [...this.dossiers.values()].find((d) => d.maHoSo === req.params.code);
      if (found) res.json(found);
      else res.status(404).json({ error: { code: 'NOT_FOUND', message: `no dossier ${req.params.code}` } });
    });
    app.get('/api/v1/counts', (_req, res) => {
      void this.counts().then((c) => res.json(c));
    });
    await new Promise<void>((resolve) => {
      this.server = app.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
  }

  private guard(req: Request, res: Response, next: NextFunction): void {
    const key = req.header('x-api-key');
    if (key === undefined || !this.options.apiKeys.includes(key)) {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'missing or unknown X-API-Key' } });
      return;
    }
    const limit = this.options.rateLimit;
    if (limit) {
      const now = Date.now();
      const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
      bucket.at = now;
      this.buckets.set(key, bucket);
      if (bucket.tokens < 1) {
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond))));
        res.status(429).json({
          error: { code: 'RATE_LIMITED', message: `at most ${limit.perSecond} requests per second` },
        });
        return;
      }
      bucket.tokens -= 1;
    }
    const faults = this.faults;
    const respond = () => {
      if ((faults.burst5xx ?? 0) > 0) {
        this.faults = { ...this.faults, burst5xx: (this.faults.burst5xx ?? 1) - 1 };
        res.status(503).json({ error: { code: 'UNAVAILABLE', message: 'service temporarily unavailable' } });
      } else if (Math.random() < (faults.errorRate ?? 0)) {
        res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
      } else next();
    };
    if ((faults.slowMs ?? 0) > 0) setTimeout(respond, faults.slowMs);
    else respond();
  }

  private list(req: Request, res: Response): void {
    const page = Number(req.query.page ?? 1);
    const pageSize = Number(req.query.pageSize ?? 100);
    const raw = req.query.updatedSince;
    const since = raw === undefined ? undefined : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
    const max = this.options.maxPageSize ?? 500;
    if (
      !Number.isInteger(page) ||
      page < 1 ||
      !Number.isInteger(pageSize) ||
      pageSize < 1 ||
      pageSize > max ||
      (since !== undefined && Number.isNaN(since))
    ) {
      res.status(400).json({
        error: {
          code: 'BAD_REQUEST',
          message: `page ≥ 1, 1 ≤ pageSize ≤ ${max}, updatedSince an ISO timestamp`,
        },
      });
      return;
    }
    this.sorted ??= [...this.dossiers.values()].sort(
      (a, b) => Date.parse(a.ngayCapNhat) - Date.parse(b.ngayCapNhat) || a.id - b.id,
    );
    const matching =
      since === undefined ? this.sorted : this.sorted.filter((d) => Date.parse(d.ngayCapNhat) >= since);
    res.json({
      data: matching.slice((page - 1) * pageSize, page * pageSize),
      page,
      pageSize,
      totalItems: matching.length,
      totalPages: Math.ceil(matching.length / pageSize),
    });
  }

  load(records: readonly SourceRecord[]): Promise<void> {
    for (const r of records) {
      const row = r.row as OneStopDossier;
      this.dossiers.set(row.id, row);
      this.maxId = Math.max(this.maxId, row.id);
    }
    this.sorted = undefined;
    return Promise.resolve();
  }

  counts(): Promise<GroundTruthCounts> {
    let live = 0;
    for (const d of this.dossiers.values()) if (!d.daXoa) live++;
    return Promise.resolve({ dossiers: { total: this.dossiers.size, live } });
  }

  tick(changes: number): Promise<TickResult> {
    const result = emptyTick();
    const rng = liveRng();
    const nowIso = new Date().toISOString();
    const all = [...this.dossiers.values()];
    for (let i = 0; i < changes; i++) {
      const action =
        all.length === 0
          ? 'RECEIVE'
          : rng.weighted<'RECEIVE' | 'ADVANCE' | 'DELETE'>([
              ['RECEIVE', 4],
              ['ADVANCE', 5],
              ['DELETE', 1],
            ]);
      if (action === 'RECEIVE') {
        const template = all.length > 0 ? rng.pick(all) : undefined;
        const id = ++this.maxId;
        const code = formatDossierCode(
          typeof template?.maDonVi === 'string' ? template.maDonVi : '000.00.01.H60',
          nowIso.slice(0, 10),
          this.nextSequence++,
        );
        const row: OneStopDossier = {
          ...(template ?? {}),
          id,
          maHoSo: code,
          trangThai: DOSSIER_STATUS_CODE.RECEIVED,
          ngayTiepNhan: localDateTime(nowIso),
          ngayKetThuc: null,
          soLanBoSung: 0,
          hinhThucTraKQ: null,
          quaTrinhXuLy: [{ trangThai: DOSSIER_STATUS_CODE.RECEIVED, thoiGian: localDateTime(nowIso) }],
          ngayCapNhat: localIso(nowIso),
          daXoa: false,
        };
        this.dossiers.set(id, row);
        result.truth.push({
          source: 'one-stop',
          table: 'dossiers',
          sourceRecordId: String(id),
          entityType: 'dossier',
          entityId: `DL-${code}`,
          noise: [],
        });
        result.inserted++;
      } else {
        const target = rng.pick(all);
        if (action === 'DELETE') {
          this.dossiers.set(target.id, { ...target, daXoa: true, ngayCapNhat: localIso(nowIso) });
          result.deleted++;
        } else {
          const steps = [
            DOSSIER_STATUS_CODE.PROCESSING,
            DOSSIER_STATUS_CODE.RESULT_READY,
            DOSSIER_STATUS_CODE.RESULT_RETURNED,
          ];
          const status = rng.pick(steps);
          const history = Array.isArray(target.quaTrinhXuLy) ? (target.quaTrinhXuLy as unknown[]) : [];
          // The result channel is known once the result is returned: mostly the channel it came in by.
          const hinhThucTraKQ =
            status === DOSSIER_STATUS_CODE.RESULT_RETURNED
              ? rng.chance(0.85) && typeof target.kenhNop === 'number'
                ? target.kenhNop
                : rng.pick(Object.values(RESULT_CHANNEL_CODE))
              : null;
          this.dossiers.set(target.id, {
            ...target,
            trangThai: status,
            hinhThucTraKQ,
            quaTrinhXuLy: [...history, { trangThai: status, thoiGian: localDateTime(nowIso) }],
            ngayCapNhat: localIso(nowIso),
          });
          result.updated++;
        }
      }
    }
    this.sorted = undefined;
    return Promise.resolve(result);
  }

  reset(): Promise<void> {
    this.dossiers.clear();
    this.maxId = 0;
    this.sorted = undefined;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  }
}
