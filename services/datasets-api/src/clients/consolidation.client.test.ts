import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsolidationClient } from './consolidation.client.js';

describe('ConsolidationClient', () => {
  let server: Server;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      const ok = req.headers.authorization === 'Bearer s3cret-s3cret-s3cret';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { master: {} } : { error: { code: 'UNAUTHORIZED' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends the consolidation's internal token when configured", async () => {
    await expect(new ConsolidationClient(url, 2000, 's3cret-s3cret-s3cret').lineage('citizen', 'C-1')).resolves.toEqual({ master: {} });
    expect(seen.at(-1)?.authorization).toBe('Bearer s3cret-s3cret-s3cret');
  });

  it('without it, a refusal is a 503 that says which setting to fix', async () => {
    const e = (await new ConsolidationClient(url, 2000).history('citizen', 'C-1').catch((x: unknown) => x)) as Error & { httpStatus: number };
    expect(seen.at(-1)?.authorization).toBeUndefined();
    expect(e.httpStatus).toBe(503);
    expect(e.message).toContain('CONSOLIDATION_TOKEN');
  });
});
