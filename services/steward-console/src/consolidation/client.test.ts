import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createConsolidationClient } from './client.js';

/** A consolidation double that records the Authorization header of every call. */
let server: Server;
let base: string;
const seen: (string | undefined)[] = [];
beforeAll(async () => {
  const app = express();
  app.get('/stats', (req, res) => {
    seen.push(req.header('authorization'));
    res.json({ openReviewTasks: 1, mergesLastHour: 0, splitsLastHour: 0 });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('consolidation client authentication', () => {
  it('sends CONSOLIDATION_TOKEN as a bearer token when configured, nothing otherwise', async () => {
    seen.length = 0;
    await createConsolidationClient(base, { token: 'internal-secret-0123456789' }).stats();
    await createConsolidationClient(base).stats();
    expect(seen).toEqual(['Bearer internal-secret-0123456789', undefined]);
  });

  it('reads CONSOLIDATION_TOKEN from the config (empty = unset)', () => {
    const env = { DATABASE_URL: 'postgres://a@localhost/c', KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://localhost:8081' };
    expect(loadConfig({ ...env, CONSOLIDATION_TOKEN: 'tok' }).CONSOLIDATION_TOKEN).toBe('tok');
    expect(loadConfig({ ...env, CONSOLIDATION_TOKEN: '' }).CONSOLIDATION_TOKEN).toBeUndefined();
  });
});
