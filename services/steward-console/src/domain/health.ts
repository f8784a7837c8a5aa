import { both, formatCount, formatDuration, type Bilingual } from './format.js';

/** Traffic light of a source, a consumer group or the whole hub. */
export type Light = 'green' | 'amber' | 'red';

export type ReasonCode =
  | 'CONNECTOR_DOWN'
  | 'CONNECTOR_FAILED'
  | 'CONNECTOR_NOT_RUNNING'
  | 'FRESHNESS_SLO_BREACHED'
  | 'FRESHNESS_NEAR_SLO'
  | 'DEAD_LETTERS'
  | 'RECENT_ERROR'
  | 'RECONCILIATION_GAP'
  | 'CONSUMER_LAG'
  | 'NO_CONNECTORS';

export interface Reason extends Bilingual {
  readonly code: ReasonCode;
  readonly light: Light;
  /** Connector id, dead-letter topic or consumer group the reason is about. */
  readonly subject: string;
}

/** The latest heartbeat of a connector, as stored by the connector-status consumer. */
export interface ConnectorSnapshot {
  readonly connectorId: string;
  readonly connectorKind: string;
  readonly sourceSystem: string;
  readonly instanceId: string;
  readonly state: string;
  readonly cursor: string | null;
  readonly recordsRead: number;
  readonly recordsPublished: number;
  readonly recordsDeadLettered: number;
  readonly recordsRejected: number;
  readonly sourceRecordCount: number | null;
  readonly newestSourceUpdateAt: number | null;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly schemaIds: readonly number[];
  readonly lastHeartbeatAt: number;
}

/** Dead letters of one `dlq.*` topic, from the console's index of it. */
export interface DeadLetterSummary {
  readonly topic: string;
  readonly connectorId: string;
  /** Not yet replayed. */
  readonly open: number;
  readonly replayed: number;
  readonly topReasons: readonly { readonly reason: string; readonly count: number }[];
  readonly lastAt: number | null;
}

export interface Throughput {
  readonly readPerMinute: number;
  readonly publishedPerMinute: number;
}

export interface GroupLag {
  readonly groupId: string;
  readonly topic: string;
  readonly lag: number;
  readonly partitions: readonly { readonly partition: number; readonly committed: string; readonly end: string; readonly lag: number }[];
}

export interface HealthPolicy {
  readonly heartbeatTimeoutMs: number;
  readonly recentErrorMs: number;
  readonly lagWarnMessages: number;
  /** Freshness SLO of a source: by connector id first, then by source system, then the default. */
  readonly freshnessSloMs: (connectorId: string, sourceSystem: string) => number;
}

export interface SourceHealth {
  readonly connector: ConnectorSnapshot;
  readonly light: Light;
  readonly reasons: readonly Reason[];
  readonly up: boolean;
  readonly heartbeatAgeMs: number;
  readonly throughput: Throughput;
  readonly freshness: { readonly ageMs: number | null; readonly sloMs: number };
  readonly reconciliation: {
    readonly sourceCount: number | null;
    readonly hubCount: number;
    readonly difference: number | null;
    /**
     * Where the hub's count comes from: the source records consolidation holds for this connector
     * (`GET /source-counts`), or — when consolidation is not configured or not reachable — the
     * connector's own count of records published (events, so updates count again).
     */
    readonly hubCountBasis: 'consolidation.sourceRecords' | 'heartbeat.recordsPublished';
  };
  readonly deadLetters: DeadLetterSummary | undefined;
}

export interface ConsumerHealth extends GroupLag {
  readonly light: Light;
  readonly reasons: readonly Reason[];
}

export interface Overview {
  readonly light: Light;
  readonly summary: Bilingual;
  readonly reasons: readonly Reason[];
  readonly sources: readonly SourceHealth[];
  readonly consumers: readonly ConsumerHealth[];
  /** Dead-letter topics that belong to no connector with heartbeats (e.g. dlq.consolidation). */
  readonly otherDeadLetters: readonly DeadLetterSummary[];
  readonly at: number;
}

const RANK: Record<Light, number> = { green: 0, amber: 1, red: 2 };

export function worst(lights: readonly Light[]): Light {
  return lights.reduce<Light>((a, b) => (RANK[b] > RANK[a] ? b : a), 'green');
}

function reason(code: ReasonCode, light: Light, subject: string, text: Bilingual): Reason {
  return { code, light, subject, ...text };
}

export function evaluateSource(
  c: ConnectorSnapshot,
  dl: DeadLetterSummary | undefined,
  throughput: Throughput,
  policy: HealthPolicy,
  now: number,
  /** Source records consolidation holds for this connector; undefined when that count is not available. */
  hubRecords?: number,
): SourceHealth {
  const reasons: Reason[] = [];
  const id = c.connectorId;
  const heartbeatAgeMs = Math.max(0, now - c.lastHeartbeatAt);
  const up = heartbeatAgeMs <= policy.heartbeatTimeoutMs;
  if (!up) {
    reasons.push(
      reason('CONNECTOR_DOWN', 'red', id, both((l) =>
        l === 'vi'
          ? `Không nhận được nhịp tim của ${id} trong ${formatDuration(heartbeatAgeMs, l)} (ngưỡng ${formatDuration(policy.heartbeatTimeoutMs, l)})`
          : `No heartbeat from ${id} for ${formatDuration(heartbeatAgeMs, l)} (timeout ${formatDuration(policy.heartbeatTimeoutMs, l)})`,
      )),
    );
  } else if (c.state === 'FAILED') {
    const err = c.lastError ?? '—';
    reasons.push(reason('CONNECTOR_FAILED', 'red', id, both((l) => (l === 'vi' ? `${id} báo lỗi: ${err}` : `${id} reports failure: ${err}`))));
  } else if (c.state !== 'RUNNING') {
    reasons.push(
      reason('CONNECTOR_NOT_RUNNING', 'amber', id, both((l) => (l === 'vi' ? `${id} đang ở trạng thái ${c.state}` : `${id} is ${c.state}`))),
    );
  }

  const sloMs = policy.freshnessSloMs(id, c.sourceSystem);
  const ageMs = c.newestSourceUpdateAt === null ? null : Math.max(0, now - c.newestSourceUpdateAt);
  if (ageMs !== null && ageMs > sloMs) {
    reasons.push(
      reason('FRESHNESS_SLO_BREACHED', 'red', id, both((l) =>
        l === 'vi'
          ? `Dữ liệu mới nhất của ${c.sourceSystem} đã cũ ${formatDuration(ageMs, l)}, vượt SLO ${formatDuration(sloMs, l)}`
          : `Newest ${c.sourceSystem} record is ${formatDuration(ageMs, l)} old, beyond its ${formatDuration(sloMs, l)} SLO`,
      )),
    );
  } else if (ageMs !== null && ageMs > 0.8 * sloMs) {
    reasons.push(
      reason('FRESHNESS_NEAR_SLO', 'amber', id, both((l) =>
        l === 'vi'
          ? `Dữ liệu của ${c.sourceSystem} sắp vượt SLO độ mới (${formatDuration(ageMs, l)} / ${formatDuration(sloMs, l)})`
          : `${c.sourceSystem} data is close to its freshness SLO (${formatDuration(ageMs, l)} of ${formatDuration(sloMs, l)})`,
      )),
    );
  }

  if (dl && dl.open > 0) {
    const top = dl.topReasons[0]?.reason ?? '?';
    reasons.push(
      reason('DEAD_LETTERS', 'amber', id, both((l) =>
        l === 'vi'
          ? `${formatCount(dl.open, l)} bản ghi lỗi chưa phát lại trong ${dl.topic} (nhiều nhất: ${top})`
          : `${formatCount(dl.open, l)} dead letter${dl.open === 1 ? '' : 's'} not replayed in ${dl.topic} (most: ${top})`,
      )),
    );
  }

  if (c.lastErrorAt !== null && now - c.lastErrorAt <= policy.recentErrorMs && c.state !== 'FAILED') {
    const err = c.lastError ?? '—';
    reasons.push(reason('RECENT_ERROR', 'amber', id, both((l) => (l === 'vi' ? `Lỗi gần đây: ${err}` : `Recent error: ${err}`))));
  }

  const hubCount = hubRecords ?? c.recordsPublished;
  const hubCountBasis = hubRecords === undefined ? 'heartbeat.recordsPublished' : 'consolidation.sourceRecords';
  const difference = c.sourceRecordCount === null ? null : c.sourceRecordCount - hubCount;
  if (difference !== null && difference !== 0) {
    reasons.push(
      reason('RECONCILIATION_GAP', 'amber', id, both((l) =>
        l === 'vi'
          ? `Nguồn báo ${formatCount(c.sourceRecordCount ?? 0, l)} bản ghi, hub có ${formatCount(hubCount, l)} (chênh ${formatCount(difference, l)})`
          : `Source reports ${formatCount(c.sourceRecordCount ?? 0, l)} records, hub holds ${formatCount(hubCount, l)} (difference ${formatCount(difference, l)})`,
      )),
    );
  }

  return {
    connector: c,
    light: worst(reasons.map((r) => r.light)),
    reasons,
    up,
    heartbeatAgeMs,
    throughput,
    freshness: { ageMs, sloMs },
    reconciliation: { sourceCount: c.sourceRecordCount, hubCount, difference, hubCountBasis },
    deadLetters: dl,
  };
}

export function evaluateConsumer(g: GroupLag, policy: HealthPolicy): ConsumerHealth {
  const reasons: Reason[] = [];
  if (g.lag > policy.lagWarnMessages) {
    reasons.push(
      reason('CONSUMER_LAG', 'amber', g.groupId, both((l) =>
        l === 'vi'
          ? `Nhóm ${g.groupId} chậm ${formatCount(g.lag, l)} thông điệp trên ${g.topic}`
          : `Group ${g.groupId} is ${formatCount(g.lag, l)} messages behind on ${g.topic}`,
      )),
    );
  }
  return { ...g, light: worst(reasons.map((r) => r.light)), reasons };
}

export interface OverviewInput {
  readonly connectors: readonly ConnectorSnapshot[];
  readonly deadLetters: readonly DeadLetterSummary[];
  readonly throughput: ReadonlyMap<string, Throughput>;
  readonly lags: readonly GroupLag[];
  readonly now: number;
  /** Source records consolidation holds per connector id; absent when consolidation's count is unavailable. */
  readonly hubRecords?: ReadonlyMap<string, number>;
}

/** The answer to "is everything OK?": every source and consumer group, worst light first. */
export function evaluateOverview(input: OverviewInput, policy: HealthPolicy): Overview {
  const byConnector = new Map(input.deadLetters.map((d) => [d.connectorId, d]));
  const known = new Set(input.connectors.map((c) => c.connectorId));
  const none: Throughput = { readPerMinute: 0, publishedPerMinute: 0 };
  const sources = input.connectors
    .map((c) => evaluateSource(c, byConnector.get(c.connectorId), input.throughput.get(c.connectorId) ?? none, policy, input.now, input.hubRecords ? (input.hubRecords.get(c.connectorId) ?? 0) : undefined))
    .sort((a, b) => RANK[b.light] - RANK[a.light] || a.connector.connectorId.localeCompare(b.connector.connectorId));
  const consumers = input.lags.map((g) => evaluateConsumer(g, policy)).sort((a, b) => RANK[b.light] - RANK[a.light] || b.lag - a.lag);
  const otherDeadLetters = input.deadLetters.filter((d) => !known.has(d.connectorId));
  const reasons: Reason[] = [...sources.flatMap((s) => s.reasons), ...consumers.flatMap((c) => c.reasons)];
  for (const d of otherDeadLetters.filter((x) => x.open > 0)) {
    reasons.push(
      reason('DEAD_LETTERS', 'amber', d.topic, both((l) =>
        l === 'vi' ? `${formatCount(d.open, l)} bản ghi lỗi chưa phát lại trong ${d.topic}` : `${formatCount(d.open, l)} dead letter${d.open === 1 ? '' : 's'} not replayed in ${d.topic}`,
      )),
    );
  }
  if (sources.length === 0) {
    reasons.push(
      reason('NO_CONNECTORS', 'amber', '-', {
        vi: 'Chưa nhận được nhịp tim của kết nối nào',
        en: 'No connector heartbeat has been received yet',
      }),
    );
  }
  reasons.sort((a, b) => RANK[b.light] - RANK[a.light]);
  const light = worst(reasons.map((r) => r.light));
  const red = reasons.filter((r) => r.light === 'red').length;
  const amber = reasons.filter((r) => r.light === 'amber').length;
  const summary: Bilingual =
    light === 'green'
      ? { vi: `Mọi thứ ổn: ${sources.length} nguồn đang đồng bộ bình thường`, en: `Everything is OK: ${sources.length} sources syncing normally` }
      : red > 0
        ? { vi: `Cần chú ý: ${red} lỗi nghiêm trọng, ${amber} cảnh báo`, en: `Needs attention: ${red} critical, ${amber} warnings` }
        : { vi: `Cần chú ý: ${amber} cảnh báo`, en: `Needs attention: ${amber} warning${amber === 1 ? '' : 's'}` };
  return { light, summary, reasons, sources, consumers, otherDeadLetters, at: input.now };
}
