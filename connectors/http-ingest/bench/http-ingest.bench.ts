/**
 * npm run bench -w @hub/connector-http-ingest — events/s pushed over HTTP into Kafka, and the
 * acknowledgement latency at a fixed 1,000 events/s, beside the bus alone, in one run on loopback.
 *   1. bus alone: ObservationSink.publish of mapped observations in batches of 100;
 *   2. batches: autocannon POSTs {records: [100 canonical citizens]} for --seconds, 10 connections;
 *   3. p99 at 1,000 events/s: single records POSTed open loop at a steady 1,000 requests/s (a worker thread).
 * autocannon runs in a worker thread (its own event loop), so its work does not queue behind the
 * server's; CPU figures are of the whole process (server + load generator).
 * A 2xx answer means Kafka acknowledged (acks=all). Needs `npm run infra:up`. Bounded in time.
 */
import autocannon from 'autocannon';
import { openLoopInWorker } from '@hub/testing/open-loop';
import { cpus, loadavg } from 'node:os';
import { loadSettings, readEndpoints } from '@hub/infra-local';
import {
  ConnectorMetrics,
  Mapper,
  ObservationSink,
  canonicalMapping,
  type GoodRecord,
} from '@hub/connector-runtime';
import { createTestConnectorDb } from '@hub/connector-runtime/testing';
import { createKafkaClient, deleteTestTopics, ensureTopics, SchemaRegistry } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { HttpIngestConfigSchema } from '../src/config.js';
import { createIngestService } from '../src/service.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const PARTITIONS = arg('partitions', 6);
const KEY = 'bench-key-0123456789abcdef0123456789abcdef';
const endpoints = readEndpoints(loadSettings());
if (!endpoints) throw new Error('no .infra/endpoints.json: run `npm run infra:up` first');
const tag = Date.now().toString(36);
const topics = {
  citizen: `test.bench.hi-cit.${tag}`,
  status: `test.bench.hi-st.${tag}`,
  dlq: `test.bench.hi-dlq.${tag}`,
};

const citizen = (n: number) => ({
  recordId: `P-${n}`,
  updatedAt: '2025-05-01T08:00:00+07:00',
  personalId: '008185000123',
  fullName: 'Hầu A Lềnh',
  dateOfBirth: '05/03/1985',
  sex: 'MALE',
  ethnicity: 'Hmông',
  permanentAddress: 'Thôn Nà Vài, Xã Yên Minh, Tỉnh Tuyên Quang',
  fatherName: 'Hầu A Páo',
  motherName: 'Giàng Thị Dế',
});

async function main(): Promise<void> {
  const kafka = createKafkaClient({
    brokers: endpoints!.KAFKA_BROKERS.split(','),
    clientId: 'bench-http-ingest',
    logger: silentLogger(),
  });
  const registry = new SchemaRegistry(endpoints!.SCHEMA_REGISTRY_URL);
  const db = await createTestConnectorDb(endpoints!.DATABASE_URL);
  const deadline = setTimeout(() => process.exit(1), 60_000 + SECONDS * 3000);
  await ensureTopics(
    kafka,
    Object.values(topics).map((name) => ({ name, partitions: PARTITIONS, replicationFactor: 1, config: {} })),
  );
  const config = HttpIngestConfigSchema.parse({
    id: 'http-ingest',
    kind: 'http-ingest',
    bodyLimit: '1mb',
    maxBatchRecords: 1000,
    rateLimitPerMinute: 0,
    heartbeatIntervalMs: 60_000,
    topics: { observations: { citizen: topics.citizen }, status: topics.status },
    sources: [{ system: 'bench-police', apiKeyEnv: 'KEY', entities: { citizen: {} } }],
  });
  const service = createIngestService(config, {
    kafka,
    registry,
    registerSchemas: true,
    db: db.db,
    metrics: new ConnectorMetrics(),
    logger: silentLogger(),
    keyEnv: { KEY },
  });
  const port = await service.start(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}/v1/sources/bench-police/citizens`;
  const headers = { 'content-type': 'application/json', 'x-api-key': KEY };
  try {
    // 1. the bus alone, same records mapped the same way
    const mapper = new Mapper(canonicalMapping('citizen'), { system: 'bench-police', connectorId: 'bench' });
    const good: GoodRecord[] = [];
    for (let i = 0; i < 20_000; i++) {
      const m = mapper.map({ data: citizen(i) });
      if (m.ok) good.push({ key: m.key, value: m.value, recordId: m.recordId, raw: m.raw });
    }
    const sink = new ObservationSink({
      kafka,
      registry,
      entity: 'citizen',
      topics: { observations: topics.citizen, deadLetter: topics.dlq, status: topics.status },
      connectorId: 'bench',
      connectorKind: 'http-ingest',
      sourceSystem: 'bench-police',
      registerSchemas: true,
    });
    await sink.start();
    await sink.publish(good.slice(0, 10));
    let t0 = performance.now();
    for (let i = 0; i < good.length; i += 100) await sink.publish(good.slice(i, i + 100));
    const busRate = Math.round((good.length / (performance.now() - t0)) * 1000);
    await sink.stop();

    // warm-up of the HTTP path
    await autocannon({
      url: `${base}/batch`,
      method: 'POST',
      headers,
      body: JSON.stringify({ records: [citizen(0)] }),
      amount: 50,
      connections: 2,
    });
    // 2. batches of 100
    const batch = JSON.stringify({ records: Array.from({ length: 100 }, (_, i) => citizen(i)) });
    const channel = service.channels.get('bench-police');
    const stats0 = { ...channel!.sendStats() };
    let c0 = process.cpuUsage();
    t0 = performance.now();
    const b = await autocannon({
      url: `${base}/batch`,
      method: 'POST',
      headers,
      body: batch,
      connections: 10,
      duration: SECONDS,
      workers: 1, // the load generator gets its own event loop (a worker thread), not the server's
    });
    const batchSeconds = (performance.now() - t0) / 1000;
    const eventsPerSecond = Math.round((b['2xx'] * 100) / batchSeconds);
    // CPU of this process (server and autocannon) per event: robust to a busy machine.
    const cpu = (from: NodeJS.CpuUsage, events: number) => {
      const c = process.cpuUsage(from);
      return Math.round((c.user + c.system) / Math.max(1, events));
    };
    const batchCpu = cpu(c0, b['2xx'] * 100);
    const stats1 = { ...channel!.sendStats() };
    c0 = process.cpuUsage();
    // 3. single records at 1,000 events/s
    // Open loop at a steady arrival rate, from a worker thread (autocannon's overallRate would send
    // each second's 1,000 as a burst over 50 connections; see @hub/testing/open-loop).
    const singleLoad = {
      url: base,
      rate: 1000,
      headers,
      request: { path: new URL(base).pathname, method: 'POST', body: JSON.stringify(citizen(1)) },
    };
    // 3 s at the same rate first, not measured: right after the batch and bus phases the first
    // half-second stalled for 0.4–3.3 s (the producer and the broker still busy with ~35k events),
    // which is the previous phase's cost, not single pushes at a steady 1,000/s.
    await openLoopInWorker({ ...singleLoad, seconds: 3 });
    c0 = process.cpuUsage();
    const stats1b = channel!.sendStats();
    const single = await openLoopInWorker({ ...singleLoad, seconds: SECONDS });
    const single2xx = Object.entries(single.status)
      .filter(([code]) => code.startsWith('2'))
      .reduce((a, [, n]) => a + n, 0);
    const singleCpu = cpu(c0, single2xx);
    const stats2 = channel!.sendStats();
    const perSend = (a: typeof stats0, z: typeof stats0) =>
      ((z.submissions - a.submissions) / Math.max(1, z.sends - a.sends)).toFixed(1);
    const lines = [
      `http-ingest benchmark — ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, loopback, ${PARTITIONS} partitions, acks=all, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      '',
      '| measurement | result |',
      '|---|---|',
      `| bus alone (batches of 100) | ${busRate} events/s |`,
      `| **batches of 100 over HTTP**, 10 connections, ${SECONDS} s | **${eventsPerSecond} events/s** (${b['2xx']} × 2xx, ${b.non2xx} non-2xx, ${b.errors} errors; latency p50 ${b.latency.p50} ms, p99 ${b.latency.p99} ms; ${perSend(stats0, stats1)} requests per producer send; ${batchCpu} µs CPU per event incl. autocannon) |`,
      `| **single records at a steady 1,000/s** (open loop), ${SECONDS} s | **p99 ${single.latencyMs.p99} ms**, p50 ${single.latencyMs.p50} ms, p99.9 ${single.latencyMs.p999} ms, max ${single.latencyMs.max} ms (from each scheduled send; driver at most ${single.maxScheduleLagMs} ms late; slowest scheduled at ${single.slowest.slice(0, 5).map((x) => `${(x.atMs / 1000).toFixed(2)} s (${x.latencyMs} ms)`).join(', ')}); ${Math.round(single.achievedRate)} req/s sent, ${single2xx} × 2xx, ${single.non2xx} non-2xx, ${single.errorCount} errors; ${perSend(stats1b, stats2)} requests per producer send; ${singleCpu} µs CPU per request incl. the driver |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearTimeout(deadline);
    await service.stop();
    await deleteTestTopics(kafka, Object.values(topics)).catch(() => undefined);
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
