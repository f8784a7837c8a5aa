import { describe, expect, it } from 'vitest';
import type { HealthJson, SourceJson } from './api-types.js';
import { light, preview, renderDeadLetters, renderReplay, renderSources, renderStatus } from './format.js';
import { formatCount, formatDuration } from './i18n.js';

const source = (over: Partial<SourceJson> = {}): SourceJson => ({
  connectorId: 'civil-status-db',
  connectorKind: 'sql-poll',
  sourceSystem: 'civil-status',
  status: 'amber',
  reasons: [
    {
      code: 'DEAD_LETTERS',
      light: 'amber',
      subject: 'dlq.civil-status-db',
      vi: '3 thư lỗi chưa phát lại',
      en: '3 dead letters not replayed',
    },
  ],
  state: 'RUNNING',
  lastHeartbeatAt: '2025-10-01T00:00:00.000Z',
  heartbeatAgeSeconds: 75,
  cursor: null,
  throughput: { readPerMinute: 1234.5, publishedPerMinute: 1200 },
  freshness: { ageSeconds: 3700, sloSeconds: 7200 },
  reconciliation: { sourceCount: 1000, hubCount: 990, difference: -10 },
  deadLetters: {
    topic: 'dlq.civil-status-db',
    connectorId: 'civil-status-db',
    open: 3,
    replayed: 0,
    topReasons: [],
  },
  lastError: null,
  ...over,
});

const health = (over: Partial<HealthJson> = {}): HealthJson => ({
  status: 'amber',
  summary: { vi: '1 nguồn cần chú ý', en: '1 source needs attention' },
  reasons: source().reasons,
  at: '2025-10-01T00:01:15.000Z',
  sources: [source()],
  consumers: [],
  ...over,
});

describe('formatting', () => {
  it('durations and counts follow the language', () => {
    expect(formatDuration(3700, 'vi')).toBe('1 giờ 1 phút');
    expect(formatDuration(3700, 'en')).toBe('1 h 1 min');
    expect(formatDuration(0, 'en')).toBe('0 s');
    expect(formatCount(1234567, 'vi')).toBe('1.234.567');
    expect(formatCount(1234567, 'en')).toBe('1,234,567');
  });

  it('lights carry a symbol as well as a word', () => {
    expect(light('red', 'vi')).toBe('✖ đỏ');
    expect(light('green', 'en')).toBe('● green');
  });

  it('status: light and summary first, then every reason, in Vietnamese by default', () => {
    const vi = renderStatus(health(), 'vi');
    expect(vi.split('\n')[0]).toBe('▲ vàng — 1 nguồn cần chú ý');
    expect(vi).toContain('▲ dlq.civil-status-db: 3 thư lỗi chưa phát lại');
    expect(vi).toContain('Nguồn: 1 (0 xanh, 1 vàng, 0 đỏ)');
    expect(renderStatus(health(), 'en')).toContain('Sources: 1 (0 green, 1 amber, 0 red)');
  });

  it('sources: one row per connector with heartbeat age, throughput, freshness, dead letters and reconciliation', () => {
    const out = renderSources(health(), 'en');
    const row = out.split('\n').find((l) => l.includes('civil-status-db')) ?? '';
    for (const part of [
      'RUNNING',
      '1 min 15 s ago',
      '1,234.5',
      '1 h 1 min / SLO 2 h',
      '990 / 1,000 (-10)',
      '▲ amber',
    ])
      expect(row).toContain(part);
    expect(out).toContain('▲ civil-status-db: 3 dead letters not replayed');
    expect(
      renderSources(
        health({ sources: [source({ reconciliation: { sourceCount: 5, hubCount: 5, difference: 0 } })] }),
        'vi',
      ),
    ).toContain('5 / 5 ✓');
    expect(renderSources(health({ sources: [] }), 'vi')).toBe('Chưa có nguồn nào gửi nhịp tim.');
  });

  it('preview: decoded Avro or text on one line, hex for bytes, cut to the width', () => {
    expect(preview({ kind: 'avro', schemaId: 3, json: '{\n  "a": 1\n}' })).toBe('{ "a": 1 }');
    expect(preview({ kind: 'text', text: 'x'.repeat(100) }, 10)).toBe(`${'x'.repeat(9)}…`);
    expect(preview({ kind: 'hex', hex: '01 ff' })).toBe('hex 01 ff');
    expect(preview({ kind: 'empty' })).toBe('∅');
    expect(preview(undefined)).toBe('');
  });

  it('dead letters and replay results', () => {
    const items = [
      {
        id: 7,
        dlq: 'dlq.x/0/1',
        connectorId: 'x',
        reason: 'NOT_WIRE_FORMAT',
        error: null,
        source: 'obs.citizen/0/7',
        deadLetteredAt: '2025-10-01T00:00:00.123Z',
        key: null,
        replays: 0,
      },
    ];
    const out = renderDeadLetters(
      items,
      new Map([[7, { kind: 'text', text: 'hoTen=A' } as const]]),
      'en',
      'a note',
    );
    expect(out).toContain('obs.citizen/0/7');
    expect(out).toContain('2025-10-01T00:00:00Z');
    expect(out).toContain('hoTen=A');
    expect(out.endsWith('a note')).toBe(true);
    expect(renderDeadLetters([], new Map(), 'vi')).toBe('Không có thư lỗi nào khớp.');
    const r = renderReplay(
      {
        results: [
          { id: 1, ok: true, target: 'obs.citizen/0/9' },
          { id: 2, ok: false, error: { code: 'CONFLICT', message: 'already replayed' } },
        ],
        replayed: 1,
        refused: 1,
      },
      'vi',
    );
    expect(r).toBe('✓ 1 → obs.citizen/0/9\n✖ 2: CONFLICT already replayed\nĐã phát lại 1, bị từ chối 1.');
  });
});
