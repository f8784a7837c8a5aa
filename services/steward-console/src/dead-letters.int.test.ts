import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, DeadLetterWriter, Publisher, readHeaders } from '@hub/kafka';
import { catalog, type ConnectorStatusInput } from '@hub/schemas';
import { eventually, uniqueName } from '@hub/testing';
import { CONNECTOR, login, startHarness, type ApiClient, type Harness } from './int-harness.test-support.js';

interface Letter {
  id: number;
  dlq: string;
  reason: string;
  source: string;
  key: string;
  replays: number;
}

let h: Harness;
let viewer: ApiClient;
let steward: ApiClient;
let admin: ApiClient;
let avroBytes: Buffer;
const textBytes = Buffer.from('hoTen=Nguyễn Văn A;ngaySinh=1985-03-02', 'utf8');
const binaryBytes = Buffer.from([0x01, 0xff, 0x00, 0x7f]);

async function letters(query: string): Promise<{ items: Letter[]; reasons: { reason: string; count: number }[] }> {
  return (await (await steward.get(`/api/dead-letters?${query}`)).json()) as { items: Letter[]; reasons: { reason: string; count: number }[] };
}

beforeAll(async () => {
  h = await startHarness();
  const cat = catalog();
  // The "original" record: Avro in Confluent wire format, registered under <original topic>-value.
  const codec = new AvroCodec<ConnectorStatusInput>(h.registry, `${h.topics.source}-value`, cat.forTopic('hub.connector-status'));
  await codec.init({ register: true });
  avroBytes = codec.encode({ eventId: 'e-1', occurredAt: 1_759_287_600_000, connectorId: 'mapped-wrong', connectorKind: 'sql-poll', sourceSystem: 'civil-status', instanceId: 'x', state: 'RUNNING' });
  const writer = new DeadLetterWriter(h.kafka, h.topics.connectorDlq);
  await writer.start();
  const write = (offset: string, key: string, value: Buffer, reason: string, error: string) =>
    writer.write({ topic: h.topics.source, partition: 0, offset, key: Buffer.from(key), value, headers: { 'hub-correlation-id': `corr-${offset}` } }, { reason, error, by: 'consolidation.observations' });
  await write('5', 'civil-status:KS-5', avroBytes, 'VALIDATION_FAILED', '/personalId has the wrong type null; expected string');
  await write('6', 'civil-status:KS-6', textBytes, 'NOT_WIRE_FORMAT', 'value starts with byte 0x68, not the magic byte 0x00');
  await write('7', 'civil-status:KS-7', binaryBytes, 'NOT_WIRE_FORMAT', 'value starts with byte 0x01, not the magic byte 0x00');
  await writer.stop();
  const heartbeats = new Publisher({ kafka: h.kafka, registry: h.registry, outputs: { status: { topic: h.topics.status, subject: 'hub.connector-status-value', schema: cat.forTopic('hub.connector-status') } } });
  await heartbeats.start();
  await heartbeats.publish('status', { eventId: randomUUID(), occurredAt: Date.now(), connectorId: CONNECTOR, connectorKind: 'sql-poll', sourceSystem: 'civil-status', instanceId: 'h:1', state: 'RUNNING', recordsDeadLettered: 3 } satisfies ConnectorStatusInput, { key: CONNECTOR });
  await heartbeats.stop();
  [viewer, steward, admin] = await Promise.all([login(h.base, 'viewer'), login(h.base, 'steward'), login(h.base, 'admin')]);
});

afterAll(async () => {
  await h?.stop();
});

/** Every message on the original topic, raw, with its headers. */
async function originalTopic(): Promise<{ key: string; value: Buffer; headers: Record<string, string> }[]> {
  const seen: { key: string; value: Buffer; headers: Record<string, string> }[] = [];
  const consumer = h.kafka.raw.consumer({ groupId: uniqueName('console-verify') });
  await consumer.connect();
  await consumer.subscribe({ topics: [h.topics.source], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({ key: message.key?.toString('utf8') ?? '', value: message.value ?? Buffer.alloc(0), headers: readHeaders(message.headers) });
      return Promise.resolve();
    },
  });
  try {
    await eventually(() => (seen.length >= 1 ? true : undefined), { timeoutMs: 30_000, what: 'the replayed message on the original topic' });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

describe('dead letters: counted, browsed, replayed', () => {
  it('counts them per connector with the top reasons, and the source goes amber', async () => {
    const all = await eventually(async () => {
      const r = await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}`);
      return r.items.length === 3 ? r : undefined;
    }, { timeoutMs: 60_000, what: '3 indexed dead letters' });
    expect(all.reasons).toEqual([{ reason: 'NOT_WIRE_FORMAT', count: 2 }, { reason: 'VALIDATION_FAILED', count: 1 }]);
    expect(all.items.map((l) => l.source).sort()).toEqual([`${h.topics.source}/0/5`, `${h.topics.source}/0/6`, `${h.topics.source}/0/7`]);
    const source = await eventually(async () => {
      const body = (await (await viewer.get('/api/health')).json()) as { sources: { connectorId: string; status: string; reasons: { code: string; en: string }[]; deadLetters: { open: number } | null }[] };
      return body.sources.find((s) => s.connectorId === CONNECTOR);
    }, { timeoutMs: 30_000, what: 'the connector in /api/health' });
    expect(source.status).toBe('amber');
    expect(source.deadLetters?.open).toBe(3);
    expect(source.reasons.map((r) => r.en)).toContain(`3 dead letters not replayed in ${h.topics.connectorDlq} (most: NOT_WIRE_FORMAT)`);
    expect((await letters('reason=NOT_WIRE_FORMAT')).items).toHaveLength(2);
  });

  it('shows the original decoded: Avro with the registry, text as text, bytes as hex — stewards only', async () => {
    const { items } = await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}`);
    const byOffset = (o: string) => items.find((l) => l.source.endsWith(`/${o}`))!;
    const detail = async (id: number) => (await (await steward.get(`/api/dead-letters/${id}`)).json()) as { original: Record<string, unknown>; headers: Record<string, string> };
    const avro = await detail(byOffset('5').id);
    expect(avro.original.kind).toBe('avro');
    expect(JSON.parse(avro.original.json as string)).toMatchObject({ connectorId: 'mapped-wrong', state: 'RUNNING' });
    expect(avro.headers['hub-dlq-reason']).toBe('VALIDATION_FAILED');
    expect((await detail(byOffset('6').id)).original).toMatchObject({ kind: 'text', text: textBytes.toString('utf8') });
    expect((await detail(byOffset('7').id)).original).toMatchObject({ kind: 'hex', hex: '01 ff 00 7f' });
    expect((await viewer.get(`/api/dead-letters/${byOffset('5').id}`)).status).toBe(403);
  });

  it('a viewer cannot replay, and no request without the CSRF token is accepted', async () => {
    const { items } = await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}`);
    const id = items[0]!.id;
    const asViewer = await viewer.post('/api/dead-letters/replay', { ids: [id] });
    expect(asViewer.status).toBe(403);
    expect(((await asViewer.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const noToken = await steward.post('/api/dead-letters/replay', { ids: [id] }, { csrf: false });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('CSRF_FAILED');
    const wrongToken = await fetch(`${h.base}/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `ids=${id}&_csrf=forged` });
    expect(wrongToken.status).toBe(401);
    expect((await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}`)).items.every((l) => l.replays === 0)).toBe(true);
  });

  it('replays the original bytes and key to the original topic with hub-replay-of, once', async () => {
    const { items } = await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}`);
    const avro = items.find((l) => l.source.endsWith('/5'))!;
    const res = await steward.post('/api/dead-letters/replay', { ids: [avro.id], reason: 'mapping of personalId fixed' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { replayed: number; results: { ok: boolean; target: string }[] };
    expect(body.replayed).toBe(1);
    expect(body.results[0]?.target).toMatch(new RegExp(`^${h.topics.source.replace(/\./g, '\\.')}/0/\\d+$`));
    const [message] = await originalTopic();
    expect(message?.key).toBe('civil-status:KS-5');
    expect(message?.value.equals(avroBytes)).toBe(true);
    expect(message?.headers['hub-replay-of']).toBe(avro.dlq);
    expect(message?.headers['hub-correlation-id']).toBe('corr-5');
    expect(Object.keys(message?.headers ?? {}).some((k) => k.startsWith('hub-dlq-'))).toBe(false);

    // Not twice by accident: refused, recorded once.
    const again = (await (await steward.post('/api/dead-letters/replay', { ids: [avro.id] })).json()) as { replayed: number; results: { ok: boolean; error: { code: string } }[] };
    expect(again.replayed).toBe(0);
    expect(again.results[0]?.error.code).toBe('CONFLICT');
    // A steward may not force; an admin may, and it is recorded as a second attempt.
    expect((await steward.post('/api/dead-letters/replay', { ids: [avro.id], force: true })).status).toBe(403);
    const forced = (await (await admin.post('/api/dead-letters/replay', { ids: [avro.id], force: true, reason: 'downstream lost it' })).json()) as { replayed: number };
    expect(forced.replayed).toBe(1);
    const detail = (await (await steward.get(`/api/dead-letters/${avro.id}`)).json()) as { replayHistory: { attempt: number; replayedBy: string }[] };
    expect(detail.replayHistory.map((r) => `${r.attempt}:${r.replayedBy}`)).toEqual(['1:steward', '2:admin']);
  });

  it('replays all open dead letters matching a filter, and every action is audited', async () => {
    const res = (await (await steward.post('/api/dead-letters/replay', { all: { topic: h.topics.connectorDlq, reason: 'NOT_WIRE_FORMAT' } })).json()) as { replayed: number };
    expect(res.replayed).toBe(2);
    expect((await letters(`topic=${encodeURIComponent(h.topics.connectorDlq)}&open=true`)).items).toHaveLength(0);
    const audit = (await (await admin.get('/api/audit')).json()) as { items: { username: string; action: string; outcome: string }[] };
    const replays = audit.items.filter((a) => a.action.startsWith('dead_letter_replayed'));
    expect(replays.map((a) => `${a.username}:${a.action}:${a.outcome}`).sort()).toEqual([
      'admin:dead_letter_replayed_forced:ok',
      'steward:dead_letter_replayed:ok',
      'steward:dead_letter_replayed:ok',
      'steward:dead_letter_replayed:ok',
      'steward:dead_letter_replayed:refused',
    ]);
    expect(audit.items.some((a) => a.username === 'viewer' && a.action === 'login')).toBe(true);
    expect((await viewer.get('/api/audit')).status).toBe(403);
  });
});
