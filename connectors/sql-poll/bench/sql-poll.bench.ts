/**
 * npm run bench -w @hub/connector-sql-poll — rows/s from a PostgreSQL table into Kafka, beside the
 * raw speed of the source query and of the bus alone, in the same run on the same rows (~1 KB each).
 *   1. source: SqlSource.read over the whole table in keyset batches (no mapping, no Kafka);
 *   2. bus: ObservationSink.publish of the already-mapped observations (Avro + Kafka, acks=all);
 *   3. mapping: Mapper.map alone (normalisers from @hub/vn), for reference;
 *   4. end to end: the PollingConnector (read → map → publish → commit cursor) from an empty cursor.
 * Options: --rows N (default 50000) --batch N (2000) --partitions N (6). Needs `npm run infra:up`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { loadSettings, readEndpoints } from '@hub/infra-local';
import {
  buildPollingConnector,
  ConnectorMetrics,
  CursorStore,
  Mapper,
  ObservationSink,
  type GoodRecord,
  type SourceRecord,
} from '@hub/connector-runtime';
import { createTestConnectorDb } from '@hub/connector-runtime/testing';
import { createKafkaClient, deleteTestTopics, ensureTopics, SchemaRegistry } from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { SqlPollConfigSchema } from '../src/config.js';
import { connect, SqlSource } from '../src/sql-source.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 50_000);
const BATCH = arg('batch', 2_000);
const PARTITIONS = arg('partitions', 6);
const DEADLINE_MS = 300_000;

const settings = loadSettings();
const endpoints = readEndpoints(settings);
if (!endpoints) throw new Error('no .infra/endpoints.json: run `npm run infra:up` first');
const tag = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const table = `test_bench_citizens_${tag}`;
const topics = {
  obs: `test.bench.sp-obs.${tag}`,
  dlq: `test.bench.sp-dlq.${tag}`,
  status: `test.bench.sp-st.${tag}`,
};
const FAMILY = ['Nguyễn', 'Trần', 'Hoàng', 'Ma', 'Nông', 'Bàn', 'Hầu', 'Lò'];
const GIVEN = ['Văn An', 'Thị Hoà', 'Đức Thuỷ', 'A Lềnh', 'Thị Mai', 'Quang Huy'];

const config = SqlPollConfigSchema.parse({
  id: `bench-sql-poll-${tag}`,
  kind: 'sql-poll',
  source: {
    system: 'bench-civil',
    dialect: 'postgres',
    connectionEnv: 'UNUSED',
    table,
    primaryKey: 'id',
    updatedAtColumn: 'updated_at',
    settleSeconds: 0,
  },
  batchSize: BATCH,
  pollIntervalMs: 1000,
  heartbeatIntervalMs: 5000,
  countIntervalMs: 0,
  topics: { observations: topics.obs, deadLetter: topics.dlq },
  mapping: {
    entity: 'citizen',
    recordId: 'id',
    updatedAt: 'updated_at',
    fields: {
      personalId: { from: 'so_dinh_danh', normalise: 'personNumber' },
      fullName: 'ho_ten',
      dateOfBirth: 'ngay_sinh',
      sex: { from: 'gioi_tinh', map: { '1': 'MALE', '2': 'FEMALE' } },
      ethnicity: 'dan_toc',
      permanentAddress: 'dia_chi',
      fatherName: 'ho_ten_cha',
      motherName: 'ho_ten_me',
    },
  },
});

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
/** CPU time of this process (all its threads) since `from`, in µs per row: robust to a busy machine. */
const cpuPerRow = (from: NodeJS.CpuUsage, n: number) => {
  const c = process.cpuUsage(from);
  return ((c.user + c.system) / n).toFixed(0);
};

/** CPU seconds (user + system) of the local broker so far, from /proc; undefined if not readable. */
const brokerCpuSeconds = (): number | undefined => {
  try {
    const pid = readFileSync(join(settings.runDir, 'pids', 'kafka.pid'), 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
};
const brokerPerRow = (from: number | undefined, n: number): string => {
  const now = brokerCpuSeconds();
  return from === undefined || now === undefined ? '?' : ((now - from) * 1e6 / n).toFixed(0);
};

async function main(): Promise<void> {
  const url = endpoints!.DATABASE_URL;
  const src = connect('postgres', url, 4);
  const kafka = createKafkaClient({
    brokers: endpoints!.KAFKA_BROKERS.split(','),
    clientId: 'bench-sql-poll',
    logger: silentLogger(),
  });
  const registry = new SchemaRegistry(endpoints!.SCHEMA_REGISTRY_URL);
  const connectorDb = await createTestConnectorDb(url);
  const timer = setTimeout(() => {
    process.stderr.write(`bench deadline of ${DEADLINE_MS} ms passed\n`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    await src.schema.createTable(table, (t) => {
      t.integer('id').primary();
      for (const c of [
        'so_dinh_danh',
        'ho_ten',
        'ngay_sinh',
        'gioi_tinh',
        'dan_toc',
        'dia_chi',
        'ho_ten_cha',
        'ho_ten_me',
        'ghi_chu',
      ])
        t.text(c);
      t.specificType('updated_at', 'timestamptz(6) not null');
      t.index(['updated_at', 'id']);
    });
    const note = 'Ghi chú hồ sơ hộ tịch: '.padEnd(560, 'x'); // brings a row to ~1 KB
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: i + 1,
      so_dinh_danh: `0081${String(85_000_000 + i).padStart(8, '0')}`,
      ho_ten: `${FAMILY[i % FAMILY.length]} ${GIVEN[i % GIVEN.length]}`,
      ngay_sinh: `${String((i % 28) + 1).padStart(2, '0')}/0${(i % 9) + 1}/19${50 + (i % 50)}`,
      gioi_tinh: String((i % 2) + 1),
      dan_toc: 'Tày',
      dia_chi: `Thôn ${i % 40}, Xã Trung Môn, Huyện Yên Sơn, Tỉnh Tuyên Quang`,
      ho_ten_cha: `${FAMILY[(i + 1) % FAMILY.length]} Văn Bình`,
      ho_ten_me: `${FAMILY[(i + 2) % FAMILY.length]} Thị Lan`,
      ghi_chu: note,
      updated_at: new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 3) * 1000).toISOString(), // 3 rows share a time
    }));
    await src.batchInsert(table, rows, 2000);
    const avgRow =
      (
        await src.raw<{ rows: Array<{ n: string }> }>(
          `select avg(pg_column_size(t.*))::int as n from ${table} t`,
        )
      ).rows[0]?.n ?? '?';
    await ensureTopics(
      kafka,
      Object.values(topics).map((name) => ({
        name,
        partitions: PARTITIONS,
        replicationFactor: 1,
        config: {},
      })),
    );

    // 1. the source query alone
    const source = new SqlSource(config.source, url);
    await source.open();
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    const read: SourceRecord[] = [];
    for (let cursor: string | undefined, more = true; more;) {
      const b = await source.read(cursor, BATCH);
      read.push(...b.records);
      cursor = b.cursor;
      more = b.more;
    }
    const sourceMs = performance.now() - t0;
    const sourceCpu = cpuPerRow(c0, ROWS);
    await source.close();

    // 3. mapping alone
    const mapper = new Mapper(config.mapping, { system: 'bench-civil', connectorId: config.id });
    c0 = process.cpuUsage();
    t0 = performance.now();
    const good: GoodRecord[] = [];
    for (const r of read) {
      const m = mapper.map(r);
      if (m.ok) good.push({ key: m.key, value: m.value, recordId: m.recordId, raw: m.raw });
    }
    const mapMs = performance.now() - t0;
    const mapCpu = cpuPerRow(c0, ROWS);
    const msgBytes = Buffer.byteLength(JSON.stringify(good[0]?.value ?? {}));

    // 2. the bus alone (same observations, same batch size)
    const sink = new ObservationSink({
      kafka,
      registry,
      entity: 'citizen',
      topics: { observations: topics.obs, deadLetter: topics.dlq, status: topics.status },
      connectorId: config.id,
      connectorKind: 'sql-poll',
      sourceSystem: 'bench-civil',
      registerSchemas: true,
    });
    await sink.start();
    await sink.publish(good.slice(0, 10)); // warm-up: schema ids, metadata
    c0 = process.cpuUsage();
    let b0 = brokerCpuSeconds();
    t0 = performance.now();
    for (let i = 0; i < good.length; i += BATCH) await sink.publish(good.slice(i, i + BATCH));
    const busMs = performance.now() - t0;
    const busCpu = cpuPerRow(c0, good.length);
    const busBroker = brokerPerRow(b0, good.length);
    await sink.stop();

    // 4. end to end
    const cursors = new CursorStore(connectorDb.db);
    const metrics = new ConnectorMetrics();
    const connector = buildPollingConnector(
      config,
      new SqlSource(config.source, url),
      {
        kafka,
        registry,
        db: connectorDb.db,
        cursors,
        metrics,
        logger: silentLogger(),
        registerSchemas: true,
      },
      { statusTopic: topics.status },
    );
    await connector.start();
    c0 = process.cpuUsage();
    b0 = brokerCpuSeconds();
    t0 = performance.now();
    while ((connector.status.snapshot().recordsPublished ?? 0) < ROWS)
      await new Promise((r) => setTimeout(r, 5));
    const e2eMs = performance.now() - t0;
    const e2eCpu = cpuPerRow(c0, ROWS);
    const e2eBroker = brokerPerRow(b0, ROWS);
    await connector.stop();

    const lines = [
      `sql-poll benchmark — ${new Date().toISOString()}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`,
      `${ROWS} rows of ${avgRow} bytes in PostgreSQL (observation JSON ≈ ${msgBytes} bytes), batch ${BATCH}, ${PARTITIONS} partitions, acks=all`,
      '',
      '| stage | rows/s | seconds | connector CPU µs/row | broker CPU µs/row |',
      '|---|---:|---:|---:|---:|',
      `| source query alone (keyset reads) | ${rate(ROWS, sourceMs)} | ${(sourceMs / 1000).toFixed(2)} | ${sourceCpu} | — |`,
      `| mapping alone (@hub/vn normalisers) | ${rate(ROWS, mapMs)} | ${(mapMs / 1000).toFixed(2)} | ${mapCpu} | — |`,
      `| bus alone (Avro + Kafka, acks=all) | ${rate(good.length, busMs)} | ${(busMs / 1000).toFixed(2)} | ${busCpu} | ${busBroker} |`,
      `| **sql-poll end to end** (read → map → publish → commit) | **${rate(ROWS, e2eMs)}** | ${(e2eMs / 1000).toFixed(2)} | ${e2eCpu} | ${e2eBroker} |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearTimeout(timer);
    await src.schema.dropTableIfExists(table);
    await src.destroy();
    await deleteTestTopics(kafka, Object.values(topics)).catch(() => undefined);
    await connectorDb.drop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
