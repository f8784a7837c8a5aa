import { describe, expect, it } from 'vitest';
import { desiredAlerts } from './alerts.js';
import { evaluateOverview, evaluateSource, type ConnectorSnapshot, type HealthPolicy } from './health.js';

const NOW = Date.UTC(2025, 9, 1, 3, 0, 0);
const policy: HealthPolicy = { heartbeatTimeoutMs: 60_000, recentErrorMs: 600_000, lagWarnMessages: 100, freshnessSloMs: () => 3_600_000 };

function aConnector(over: Partial<ConnectorSnapshot> = {}): ConnectorSnapshot {
  return {
    connectorId: 'civil-status-db',
    connectorKind: 'sql-poll',
    sourceSystem: 'civil-status',
    instanceId: 'host:1',
    state: 'RUNNING',
    cursor: '{"updatedAt":"2025-10-01"}',
    recordsRead: 100,
    recordsPublished: 100,
    recordsDeadLettered: 0,
    recordsRejected: 0,
    sourceRecordCount: 100,
    newestSourceUpdateAt: NOW - 60_000,
    lastError: null,
    lastErrorAt: null,
    schemaIds: [7],
    lastHeartbeatAt: NOW - 5_000,
    ...over,
  };
}
const none = { readPerMinute: 0, publishedPerMinute: 0 };

describe('sync health', () => {
  it('a running, fresh, reconciled connector is green', () => {
    const s = evaluateSource(aConnector(), undefined, none, policy, NOW);
    expect(s.light).toBe('green');
    expect(s.up).toBe(true);
    expect(s.reconciliation.difference).toBe(0);
  });

  it('goes red with CONNECTOR_DOWN when the heartbeat is older than the timeout', () => {
    const s = evaluateSource(aConnector({ lastHeartbeatAt: NOW - 61_000 }), undefined, none, policy, NOW);
    expect(s.light).toBe('red');
    expect(s.reasons.map((r) => r.code)).toContain('CONNECTOR_DOWN');
    expect(s.reasons[0]?.vi).toContain('Không nhận được nhịp tim');
    expect(s.reasons[0]?.en).toContain('No heartbeat from civil-status-db for 1 min 1 s');
  });

  it('flags freshness near and beyond the SLO, reconciliation gaps and dead letters', () => {
    expect(evaluateSource(aConnector({ newestSourceUpdateAt: NOW - 3_000_000 }), undefined, none, policy, NOW).reasons.map((r) => r.code)).toEqual(['FRESHNESS_NEAR_SLO']);
    const stale = evaluateSource(aConnector({ newestSourceUpdateAt: NOW - 7_200_000, sourceRecordCount: 110 }), undefined, none, policy, NOW);
    expect(stale.light).toBe('red');
    expect(stale.reasons.map((r) => r.code)).toEqual(['FRESHNESS_SLO_BREACHED', 'RECONCILIATION_GAP']);
    expect(stale.reconciliation.difference).toBe(10);
    const dl = { topic: 'dlq.civil-status-db', connectorId: 'civil-status-db', open: 3, replayed: 1, topReasons: [{ reason: 'DECODE_FAILED', count: 3 }], lastAt: NOW };
    const withDl = evaluateSource(aConnector(), dl, none, policy, NOW);
    expect(withDl.light).toBe('amber');
    expect(withDl.reasons[0]?.en).toBe('3 dead letters not replayed in dlq.civil-status-db (most: DECODE_FAILED)');
  });

  it('reports FAILED with the last error, and other states as amber', () => {
    expect(evaluateSource(aConnector({ state: 'FAILED', lastError: 'ORA-12541' }), undefined, none, policy, NOW).reasons[0]).toMatchObject({ code: 'CONNECTOR_FAILED', light: 'red', en: 'civil-status-db reports failure: ORA-12541' });
    expect(evaluateSource(aConnector({ state: 'PAUSED' }), undefined, none, policy, NOW).light).toBe('amber');
  });

  it('the overview is the worst light, with a bilingual summary, and lists unknown dlq topics', () => {
    const o = evaluateOverview(
      {
        connectors: [aConnector(), aConnector({ connectorId: 'biz', lastHeartbeatAt: NOW - 120_000 })],
        deadLetters: [{ topic: 'dlq.consolidation', connectorId: 'consolidation', open: 2, replayed: 0, topReasons: [], lastAt: NOW }],
        throughput: new Map(),
        lags: [{ groupId: 'consolidation.observations', topic: 'obs.citizen', lag: 500, partitions: [] }],
        now: NOW,
      },
      policy,
    );
    expect(o.light).toBe('red');
    expect(o.sources[0]?.connector.connectorId).toBe('biz');
    expect(o.summary.vi).toBe('Cần chú ý: 1 lỗi nghiêm trọng, 2 cảnh báo');
    expect(o.otherDeadLetters.map((d) => d.topic)).toEqual(['dlq.consolidation']);
    expect(o.consumers[0]?.light).toBe('amber');
  });

  it('says plainly when no connector has reported', () => {
    const o = evaluateOverview({ connectors: [], deadLetters: [], throughput: new Map(), lags: [], now: NOW }, policy);
    expect(o.light).toBe('amber');
    expect(o.reasons[0]?.code).toBe('NO_CONNECTORS');
  });
});

describe('alert rules', () => {
  it('fire for down connectors, SLO breaches, dead-letter rate and lag growth', () => {
    const overview = evaluateOverview(
      { connectors: [aConnector({ lastHeartbeatAt: NOW - 120_000, newestSourceUpdateAt: NOW - 7_200_000 })], deadLetters: [], throughput: new Map(), lags: [], now: NOW },
      policy,
    );
    const alerts = desiredAlerts(
      {
        overview,
        deadLettersInWindow: new Map([['dlq.a', 30], ['dlq.b', 1]]),
        lagGrowth: [{ groupId: 'g', topic: 't', from: 10, to: 2000 }, { groupId: 'h', topic: 't', from: 10, to: 20 }],
      },
      { windowMinutes: 10, deadLetterRatePerMinute: 1, lagGrowthMessages: 500 },
    );
    expect(alerts.map((a) => `${a.rule}:${a.subject}`)).toEqual(['CONNECTOR_DOWN:civil-status-db', 'FRESHNESS_SLO_BREACH:civil-status-db', 'DEAD_LETTER_RATE:dlq.a', 'LAG_GROWTH:g t']);
  });
});
