import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher } from '@hub/kafka';
import { catalog, type ConnectorStatusInput, type DossierGoldenInput } from '@hub/schemas';
import { eventually } from '@hub/testing';
import { CONNECTOR, login, startHarness, type ApiClient, type Harness } from './int-harness.test-support.js';

interface SourceJson {
  connectorId: string;
  status: string;
  up: boolean;
  reasons: { code: string; vi: string; en: string }[];
  throughput: { readPerMinute: number; publishedPerMinute: number };
  reconciliation: { sourceCount: number | null; hubCount: number; difference: number | null; hubCountBasis: string };
  freshness: { ageSeconds: number | null; sloSeconds: number };
  schemaIds: number[];
  cursor: string | null;
}
interface HealthJson {
  status: string;
  summary: { vi: string; en: string };
  sources: SourceJson[];
  consumers: { groupId: string; topic: string; lag: number }[];
}

let h: Harness;
let api: ApiClient;
let publisher: Publisher<Record<string, { topic: string; subject: string; schema: object }>>;

const health = async (): Promise<HealthJson> => (await (await api.get('/api/health')).json()) as HealthJson;
const source = async (id: string): Promise<SourceJson | undefined> => (await health()).sources.find((s) => s.connectorId === id);

function heartbeat(over: Partial<ConnectorStatusInput> & { connectorId: string }): ConnectorStatusInput {
  return {
    eventId: randomUUID(),
    occurredAt: Date.now(),
    connectorKind: 'sql-poll',
    sourceSystem: 'civil-status',
    instanceId: 'test-host:1',
    state: 'RUNNING',
    schemaIds: [42],
    ...over,
  };
}

beforeAll(async () => {
  h = await startHarness({ heartbeatTimeoutSeconds: 4 });
  const cat = catalog();
  publisher = new Publisher({
    kafka: h.kafka,
    registry: h.registry,
    outputs: {
      status: { topic: h.topics.status, subject: 'hub.connector-status-value', schema: cat.forTopic('hub.connector-status') },
      dossier: { topic: h.topics.dossier, subject: 'master.dossier-value', schema: cat.forTopic('master.dossier') },
    },
  });
  await publisher.start();
  api = await login(h.base, 'viewer');
});

afterAll(async () => {
  await publisher?.stop();
  await h?.stop();
});

describe('sync health from real heartbeats', () => {
  it('refuses the API without a session', async () => {
    const res = await fetch(`${h.base}/api/health`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  it('a connector sending heartbeats is green; stopped, it goes red with CONNECTOR_DOWN; back, green again', async () => {
    let n = 0;
    const beat = async (): Promise<void> => {
      n++;
      await publisher.publish(
        'status',
        heartbeat({ connectorId: CONNECTOR, cursor: `{"updatedAt":"2025-10-01T03:${String(n).padStart(2, '0')}:00Z"}`, recordsRead: n * 50, recordsPublished: n * 50, sourceRecordCount: n * 50, newestSourceUpdateAt: Date.now() - 60_000 }),
        { key: CONNECTOR },
      );
    };
    for (let i = 0; i < 3; i++) {
      await beat();
      await new Promise((r) => setTimeout(r, 400));
    }
    const green = await eventually(async () => {
      const s = await source(CONNECTOR);
      // The overview is shared for up to 2 s (monitor.ts): wait until it has seen the third heartbeat.
      return s?.status === 'green' && s.throughput.readPerMinute > 0 && s.reconciliation.sourceCount === 150 ? s : undefined;
    }, { timeoutMs: 60_000, what: 'a green source after three heartbeats' });
    expect(green.up).toBe(true);
    expect(green.reconciliation).toMatchObject({ sourceCount: 150, hubCount: 150, difference: 0 });
    expect(green.freshness.sloSeconds).toBe(3600);
    expect(green.freshness.ageSeconds).toBeGreaterThan(59);
    expect(green.schemaIds).toEqual([42]);
    expect(green.cursor).toContain('2025-10-01T03:03');
    // 50 records per 0.4 s between heartbeats: thousands per minute, computed from counter deltas.
    expect(green.throughput.readPerMinute).toBeGreaterThan(1000);

    // Stop the heartbeats: after the (short, configured) timeout the source is red, with the reason.
    const red = await eventually(async () => {
      const s = await source(CONNECTOR);
      return s?.status === 'red' ? s : undefined;
    }, { timeoutMs: 20_000, what: 'a red source' });
    expect(red.up).toBe(false);
    expect(red.reasons.map((r) => r.code)).toEqual(['CONNECTOR_DOWN']);
    expect(red.reasons[0]?.vi).toContain(`Không nhận được nhịp tim của ${CONNECTOR}`);
    expect(red.reasons[0]?.en).toContain(`No heartbeat from ${CONNECTOR}`);
    const overall = await health();
    expect(overall.status).toBe('red');
    expect(overall.summary.en).toMatch(/^Needs attention: 1 critical/);

    // The alert fires and reaches the webhook; when heartbeats return it resolves.
    await eventually(() => (h.webhook.received.some((b) => b.rule === 'CONNECTOR_DOWN' && b.status === 'firing') ? true : undefined), { timeoutMs: 15_000, what: 'a firing webhook' });
    await beat();
    await eventually(async () => ((await source(CONNECTOR))?.status === 'green' ? true : undefined), { timeoutMs: 30_000, what: 'green again' });
    await eventually(() => (h.webhook.received.some((b) => b.rule === 'CONNECTOR_DOWN' && b.status === 'resolved') ? true : undefined), { timeoutMs: 15_000, what: 'a resolved webhook' });
  });

  it('a FAILED connector is red with its last error, and a reconciliation gap is listed', async () => {
    await publisher.publish('status', heartbeat({ connectorId: 'business-registry', sourceSystem: 'business-registry', state: 'FAILED', lastError: 'connection refused (10.0.0.5:1521)', lastErrorAt: Date.now(), recordsPublished: 100, sourceRecordCount: 120 }), { key: 'business-registry' });
    const s = await eventually(async () => source('business-registry'), { timeoutMs: 30_000, what: 'the second connector' });
    expect(s.status).toBe('red');
    expect(s.reasons.map((r) => r.code)).toEqual(['CONNECTOR_FAILED', 'RECONCILIATION_GAP']);
    expect(s.reasons[0]?.en).toBe('business-registry reports failure: connection refused (10.0.0.5:1521)');
    expect(s.reconciliation.difference).toBe(20);
    expect(s.reconciliation.hubCountBasis).toBe('heartbeat.recordsPublished');
  });

  it("reconciles with the records consolidation holds for the connector, not the events it published", async () => {
    // The connector published 100 events; consolidation holds 120 live source records for it
    // (118 businesses + 2 owners; 3 deleted ones do not count): the source's 120 match.
    h.contract.sourceCounts = [
      { connectorId: 'business-registry', sourceSystem: 'business-registry', entityType: 'business', records: 118, deleted: 3 },
      { connectorId: 'business-registry', sourceSystem: 'business-registry', entityType: 'citizen', records: 2, deleted: 0 },
      { connectorId: 'someone-else', sourceSystem: 'business-registry', entityType: 'business', records: 7, deleted: 0 },
    ];
    try {
      const s = await eventually(async () => {
        const x = await source('business-registry');
        return x?.reconciliation.hubCountBasis === 'consolidation.sourceRecords' ? x : undefined;
      }, { timeoutMs: 30_000, what: 'the consolidation basis' });
      expect(s.reconciliation).toEqual({ sourceCount: 120, hubCount: 120, difference: 0, hubCountBasis: 'consolidation.sourceRecords' });
      expect(s.reasons.map((r) => r.code)).toEqual(['CONNECTOR_FAILED']);
      // A connector consolidation holds nothing for shows the whole source as the gap.
      const other = (await health()).sources.find((x) => x.connectorId === CONNECTOR);
      expect(other?.reconciliation.hubCountBasis).toBe('consolidation.sourceRecords');
      expect(other?.reconciliation.hubCount).toBe(0);
    } finally {
      h.contract.sourceCounts = undefined;
    }
    // A consolidation without the endpoint (404): back to the heartbeat's counter, said so.
    const back = await eventually(async () => {
      const x = await source('business-registry');
      return x?.reconciliation.hubCountBasis === 'heartbeat.recordsPublished' ? x : undefined;
    }, { timeoutMs: 30_000, what: 'the heartbeat basis again' });
    expect(back.reconciliation.difference).toBe(20);
  });

  it('shows the lag of consumer groups, and Prometheus metrics with units', async () => {
    const withLag = await eventually(async () => {
      const c = (await health()).consumers.find((x) => x.groupId === `${h.topics.prefix}.connector-status`);
      return c;
    }, { timeoutMs: 20_000, what: 'the connector-status group lag' });
    expect(withLag.topic).toBe(h.topics.status);
    expect(withLag.lag).toBeGreaterThanOrEqual(0);
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toContain(`hub_console_connector_up_ratio{connector="${CONNECTOR}"} 1`);
    expect(metrics).toContain('hub_console_consumer_lag_messages{group=');
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
    const ready = await eventually(async () => ((await fetch(`${h.base}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 20_000, what: 'ready' });
    expect(ready).toBe(true);
  });
});

describe('service-quality indicators from master.dossier', () => {
  const at = (iso: string): number => Date.parse(iso);
  const dossier = (over: Partial<DossierGoldenInput> & { masterId: string }): DossierGoldenInput => ({
    eventId: randomUUID(),
    occurredAt: Date.now(),
    version: 1,
    dossierCode: `000.00.01.H60-250903-${over.masterId}`,
    procedureCode: '1.001234',
    receivingAgencyCode: '000.00.01.H60',
    status: 'RESULT_RETURNED',
    ...over,
  });

  it('computes on-time share, handling time, online share, results returned electronically and overdue now; exports JSON and CSV', async () => {
    const items = [
      dossier({ masterId: 'D1', version: 2, channel: 'ONLINE', resultChannel: 'ELECTRONIC', receivedAt: at('2025-09-03T03:00:00Z'), dueAt: at('2025-09-10T10:00:00Z'), completedAt: at('2025-09-08T03:00:00Z'), onTime: true }),
      dossier({ masterId: 'D2', channel: 'DIRECT', resultChannel: 'DIRECT', receivedAt: at('2025-09-05T03:00:00Z'), dueAt: at('2025-09-12T10:00:00Z'), completedAt: at('2025-09-15T03:00:00Z'), onTime: false }),
      dossier({ masterId: 'D3', channel: 'ONLINE', status: 'PROCESSING', receivedAt: at('2025-09-20T03:00:00Z'), dueAt: at('2025-09-25T10:00:00Z') }),
      // An older version arriving late never overwrites the newer one.
      dossier({ masterId: 'D1', version: 1, channel: 'DIRECT', receivedAt: at('2025-09-03T03:00:00Z'), status: 'RECEIVED' }),
    ];
    for (const d of items) await publisher.publish('dossier', d, { key: d.masterId });
    const body = await eventually(async () => {
      const b = (await (await api.get('/api/quality?from=2025-09&to=2025-09')).json()) as { indicators: Record<string, unknown>[]; overdueNow: Record<string, unknown>[] };
      return b.indicators[0]?.received === 3 && b.indicators[0]?.completed === 2 ? b : undefined;
    }, { timeoutMs: 60_000, what: 'indicators for 3 dossiers' });
    expect(body.indicators).toEqual([
      { agencyCode: '000.00.01.H60', procedureCode: '1.001234', month: '2025-09', received: 3, receivedOnline: 2, onlineShare: 2 / 3, completed: 2, completedOnTime: 1, onTimeShare: 0.5, averageHandlingDays: 7.5, resultsReturned: 2, resultsReturnedElectronically: 1, electronicResultShare: 0.5 },
    ]);
    expect(body.overdueNow).toEqual([{ agencyCode: '000.00.01.H60', procedureCode: '1.001234', open: 1, overdueNow: 1 }]);
    const csv = await api.get('/api/quality?format=csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM, so spreadsheets read Vietnamese as UTF-8
    expect(bytes.subarray(3).toString('utf8').split('\r\n').slice(0, 2)).toEqual([
      'agencyCode,procedureCode,month,received,receivedOnline,onlineShare,completed,completedOnTime,onTimeShare,averageHandlingDays,resultsReturned,resultsReturnedElectronically,electronicResultShare',
      '000.00.01.H60,1.001234,2025-09,3,2,0.6667,2,1,0.5,7.5,2,1,0.5',
    ]);
  });
});
