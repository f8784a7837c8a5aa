import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ReviewTask, SourceCounts } from './client.js';

/**
 * A real HTTP server implementing the consolidation contract the console expects (README
 * "Contract with consolidation"): the test double at the network edge. It records every decision.
 */
export interface ContractServer {
  readonly url: string;
  readonly decisions: { id: number; body: Record<string, unknown> }[];
  /** What `GET /source-counts` answers; while undefined it answers 404, as a consolidation without the endpoint would. */
  sourceCounts: SourceCounts['items'] | undefined;
  close(): Promise<void>;
}

export function aReviewTask(id: number): ReviewTask {
  return {
    id,
    entityType: 'citizen',
    kind: 'POSSIBLE_MATCH',
    status: 'OPEN',
    createdAt: '2025-10-01T03:00:00.000Z',
    attribute: null,
    totalScore: 7.4,
    candidates: [
      { masterId: 'C-100', attributes: { fullName: 'Nguyễn Thị Hoà', dateOfBirth: '1985-03-02', sex: 'FEMALE', permanentCommune: '02266' }, sources: [{ system: 'civil-status', recordId: 'KS-1' }] },
      { masterId: 'C-200', attributes: { fullName: 'Nguyễn Thị Hòa', dateOfBirth: '1985-03-02', sex: 'FEMALE', permanentCommune: '02269' }, sources: [{ system: 'population', recordId: 'P-9' }] },
    ],
    fieldScores: [
      { field: 'fullName', left: 'Nguyễn Thị Hoà', right: 'Nguyễn Thị Hòa', score: 4.1 },
      { field: 'dateOfBirth', left: '1985-03-02', right: '1985-03-02', score: 5.2 },
      { field: 'sex', left: 'FEMALE', right: 'FEMALE', score: 0.4 },
      { field: 'permanentCommune', left: '02266', right: '02269', score: -2.3 },
    ],
  };
}

export async function startContractServer(): Promise<ContractServer> {
  const tasks = new Map<number, ReviewTask>([1, 2].map((id) => [id, aReviewTask(id)]));
  const decisions: { id: number; body: Record<string, unknown> }[] = [];
  let sourceCounts: SourceCounts['items'] | undefined;
  const app = express();
  app.use(express.json());
  app.get('/review-tasks', (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    res.json({ items: [...tasks.values()].filter((t) => !status || t.status === status) });
  });
  app.get('/review-tasks/:id', (req, res) => {
    const t = tasks.get(Number(req.params.id));
    if (!t) return void res.status(404).json({ error: { code: 'NOT_FOUND', message: `no task ${req.params.id}` } });
    res.json(t);
  });
  app.post('/review-tasks/:id/resolve', (req, res) => {
    const id = Number(req.params.id);
    const t = tasks.get(id);
    const body = req.body as Record<string, unknown>;
    if (!t) return void res.status(404).json({ error: { code: 'NOT_FOUND', message: `no task ${id}` } });
    if (t.status !== 'OPEN') return void res.status(409).json({ error: { code: 'CONFLICT', message: `task ${id} is resolved` } });
    if (typeof body.steward !== 'string' || typeof body.reason !== 'string') return void res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: 'steward and reason are required' } });
    decisions.push({ id, body });
    tasks.set(id, { ...t, status: 'RESOLVED' });
    res.json({ ok: true });
  });
  app.get('/masters/:entity/:id', (req, res) => {
    if (req.params.id !== 'C-100') return void res.status(404).json({ error: { code: 'NOT_FOUND', message: `no ${req.params.entity} ${req.params.id}` } });
    res.json({
      master: { masterId: 'C-100', entityType: 'citizen', status: 'ACTIVE', version: 3, golden: { fullName: 'Nguyễn Thị Hoà' } },
      lineage: [
        { attribute: 'fullName', value: 'Nguyễn Thị Hoà', rule: 'AUTHORITY', sourceSystem: 'population', sourceRecordId: 'P-9', eventId: 'e1', decidedAt: '2025-10-01T03:00:00Z' },
        { attribute: 'dateOfBirth', value: '1985-03-02', rule: 'ONLY_SOURCE', sourceSystem: 'civil-status', sourceRecordId: 'KS-1', eventId: 'e2', decidedAt: '2025-10-01T03:00:00Z' },
      ],
      sources: [{ system: 'population', recordId: 'P-9' }],
      links: [],
      resolvedFrom: null,
    });
  });
  app.get('/masters/:entity/:id/history', (_req, res) => {
    res.json({
      items: [
        { version: 1, change: 'CREATED', changedAttributes: ['fullName', 'dateOfBirth'], actor: 'consolidation', reason: null, at: '2025-09-30T01:00:00Z', eventId: 'e1' },
        { version: 3, change: 'MERGED', changedAttributes: ['fullName'], actor: 'steward:lan', reason: 'same person, accents differ', at: '2025-10-01T03:00:00Z', eventId: 'e3' },
      ],
    });
  });
  app.get('/source-counts', (_req, res) => {
    if (sourceCounts === undefined) res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Cannot GET /source-counts' } });
    else res.json({ items: sourceCounts, at: new Date().toISOString() });
  });
  app.get('/stats', (_req, res) => {
    res.json({ openReviewTasks: [...tasks.values()].filter((t) => t.status === 'OPEN').length, mergesLastHour: 12, splitsLastHour: 1 });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    decisions,
    get sourceCounts() {
      return sourceCounts;
    },
    set sourceCounts(items) {
      sourceCounts = items;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
