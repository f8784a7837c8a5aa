import { describe, expect, it } from 'vitest';
import { can, hashPassword, verifyPassword } from './access.js';
import { asTextOrHex, parseCoordinates, replayMessage, toDeadLetterEntry } from './dead-letter.js';
import { formatDuration } from './format.js';
import { toCsv } from './quality.js';

describe('access', () => {
  it('hashes with scrypt and verifies only the right password', async () => {
    const h = await hashPassword('mật-khẩu-rất-dài');
    expect(h).toMatch(/^scrypt\$16384\$/);
    expect(await verifyPassword('mật-khẩu-rất-dài', h)).toBe(true);
    expect(await verifyPassword('mat-khau-rat-dai', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    await expect(hashPassword('short')).rejects.toThrow('at least 10');
  });

  it('viewers look, stewards act, admins force and audit', () => {
    expect(can('viewer', 'view')).toBe(true);
    expect(can('viewer', 'replay')).toBe(false);
    expect(can('steward', 'resolve_review')).toBe(true);
    expect(can('steward', 'force_replay')).toBe(false);
    expect(can('admin', 'view_audit')).toBe(true);
  });
});

describe('dead letters', () => {
  const headers = { 'hub-correlation-id': 'c1', 'hub-dlq-reason': 'DECODE_FAILED', 'hub-dlq-source': 'obs.citizen/2/41', 'hub-dlq-error': 'bad', 'hub-dlq-at': '2025-10-01T03:00:00.000Z', 'hub-dlq-consumer': 'consolidation.observations' };

  it('parses coordinates (topic names may contain dots)', () => {
    expect(parseCoordinates('test.a.obs/2/41')).toEqual({ topic: 'test.a.obs', partition: 2, offset: '41' });
    expect(parseCoordinates('nonsense')).toBeUndefined();
  });

  it('indexes the headers and builds the replay: original bytes, no dlq headers, hub-replay-of', () => {
    const e = toDeadLetterEntry({ topic: 'dlq.civil', partition: 0, offset: '7' }, 'dlq.', { key: Buffer.from('k'), value: Buffer.from([1, 2]), headers, timestamp: 0 });
    expect(e).toMatchObject({ connectorId: 'civil', reason: 'DECODE_FAILED', source: { topic: 'obs.citizen', partition: 2, offset: '41' }, deadLetteredAt: Date.parse('2025-10-01T03:00:00.000Z') });
    const m = replayMessage(e);
    expect(m.topic).toBe('obs.citizen');
    expect(m.value).toEqual(Buffer.from([1, 2]));
    expect(m.headers).toEqual({ 'hub-correlation-id': 'c1', 'hub-replay-of': 'dlq.civil/0/7' });
  });

  it('refuses to replay a dead letter with no source header', () => {
    const e = toDeadLetterEntry({ topic: 'dlq.x', partition: 0, offset: '1' }, 'dlq.', { key: null, value: null, headers: {}, timestamp: 5 });
    expect(() => replayMessage(e)).toThrow('cannot be replayed');
  });

  it('shows printable bytes as text and others as hex', () => {
    expect(asTextOrHex(Buffer.from('{"a":"Nguyễn"}'))).toEqual({ kind: 'text', text: '{"a":"Nguyễn"}' });
    expect(asTextOrHex(Buffer.from([0, 1, 255]))).toMatchObject({ kind: 'hex', hex: '00 01 ff' });
  });
});

describe('formatting', () => {
  it('durations in both languages', () => {
    expect(formatDuration(3_723_000, 'vi')).toBe('1 giờ 2 phút');
    expect(formatDuration(61_000, 'en')).toBe('1 min 1 s');
    expect(formatDuration(0, 'en')).toBe('0 s');
  });

  it('CSV quotes what must be quoted and starts with a BOM', () => {
    const csv = toCsv([{ a: 'Sở Tư pháp, TQ', b: 0.123456, c: null }], ['a', 'b', 'c']);
    expect(csv).toBe('\uFEFFa,b,c\r\n"Sở Tư pháp, TQ",0.1235,\r\n');
  });
});
