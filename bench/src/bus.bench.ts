/**
 * npm run bench:bus — produce and consume throughput of ~1 KB citizen observations:
 *   1. Kafka's own ProducerPerformance / ConsumerPerformance (the ceiling, JVM client);
 *   2. raw kafkajs with pre-encoded bytes and the same batching and producer settings;
 *   3. the hub's bus (@hub/kafka Publisher / ConsumerRunner), encoding and decoding Avro.
 * Same broker, same run; each figure is the median of --runs runs (min–max beside it).
 * Options: --events N (default 50000) --batch N (500) --runs N (3) --partitions N (6) --out FILE
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClasspath, loadSettings, readEndpoints } from '@hub/infra-local';
import {
  AvroCodec,
  ConsumerRunner,
  DeadLetterWriter,
  Publisher,
  SchemaRegistry,
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  ok,
} from '@hub/kafka';
import { catalog, type CitizenObserved, type CitizenObservedInput } from '@hub/schemas';

const execFileP = promisify(execFile);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const EVENTS = arg('events', 50_000);
const BATCH = arg('batch', 500);
const RUNS = arg('runs', 3);
const PARTITIONS = arg('partitions', 6);
const outIdx = process.argv.indexOf('--out');
const settings = loadSettings();
const OUT =
  outIdx > 0 ? String(process.argv[outIdx + 1]) : join(settings.repoRoot, 'docs', 'benchmarks', 'bus.md');

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Hoàng', 'Ma', 'Nông', 'Bàn', 'Hầu'];
const GIVEN = ['Văn An', 'Thị Hoà', 'Đức Thuỷ', 'A Lềnh', 'Thị Mai', 'Quang Huy'];

function observation(i: number): CitizenObservedInput {
  const addressText = `Thôn ${i % 40}, xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang — tổ dân phố số ${i % 17}, ngõ ${i % 90} đường Chiến Thắng Sông Lô`;
  return {
    eventId: `bench-${i}-${Date.now()}`,
    occurredAt: Date.now(),
    source: {
      system: 'civil-status',
      recordId: `HT-${i}`,
      version: String(i % 7),
      updatedAt: Date.now(),
      connectorId: 'bench',
      agencyCode: '000.00.00.H60',
      // Connectors keep the source row as received (lineage, re-processing): ~380 bytes here.
      raw: JSON.stringify({
        so_dinh_danh: `0081850${String(i).padStart(5, '0')}`,
        ho_ten: `${FAMILY[i % FAMILY.length]} ${GIVEN[i % GIVEN.length]}`,
        ngay_sinh: '02/01/1985',
        gioi_tinh: i % 2 ? 'Nữ' : 'Nam',
        dan_toc: 'Kinh',
        noi_thuong_tru: 'Thôn 5, xã Trung Môn, huyện Yên Sơn, tỉnh Tuyên Quang',
        ngay_cap_nhat: '2025-11-20T08:15:00+07:00',
        can_bo_nhap: 'tuphap.yenson',
      }),
    },
    operation: 'UPSERT',
    personalId: `0081${String(85 + (i % 15)).padStart(2, '0')}${String(i).padStart(6, '0')}`,
    legacyIds: i % 3 === 0 ? [{ kind: 'CMND9', value: String(70_000_000 + i) }] : [],
    fullName: `${FAMILY[i % FAMILY.length]} ${GIVEN[i % GIVEN.length]}`,
    dateOfBirth: { year: 1950 + (i % 60), month: 1 + (i % 12), day: 1 + (i % 28), precision: 'DAY' },
    sex: i % 2 ? 'FEMALE' : 'MALE',
    ethnicity: i % 4 ? 'Kinh' : 'Tày',
    nationality: 'VN',
    permanentAddress: {
      provinceCode: '08',
      districtCode: '073',
      communeCode: '02212',
      validOn: 19_000,
      currentCommuneCodes: ['02212'],
      detail: `Thôn ${i % 40}`,
      text: addressText,
    },
    currentAddress: {
      provinceCode: '08',
      districtCode: null,
      communeCode: '02212',
      validOn: 20_300,
      currentCommuneCodes: ['02212'],
      detail: `Tổ ${i % 17}`,
      text: addressText,
    },
    fatherName: `${FAMILY[(i + 1) % FAMILY.length]} Văn Bình`,
    motherName: `${FAMILY[(i + 2) % FAMILY.length]} Thị Lan`,
    fatherPersonalId: null,
    motherPersonalId: null,
    spousePersonalId: null,
    civilEvents: [
      {
        kind: 'BIRTH',
        date: { year: 1950 + (i % 60), month: null, day: null, precision: 'YEAR' },
        registrationNumber: `KS-${i}`,
        agencyCode: '000.00.00.H60',
      },
      {
        kind: 'MARRIAGE',
        date: { year: 1980 + (i % 40), month: 5, day: 12, precision: 'DAY' },
        registrationNumber: `KH-${i}`,
        agencyCode: '000.00.00.H60',
      },
    ],
    phone: `09${String(i).padStart(8, '0')}`,
    email: `nguoi.dan.${i}@example.vn`,
  };
}

interface Figure {
  eventsPerSec: number;
  mbPerSec: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const ep = readEndpoints(settings);
  if (!ep) throw new Error('infrastructure not started: run `npm run infra:up` (npm run bench:bus does it)');
  const brokers = ep.KAFKA_BROKERS.split(',');
  const kafka = createKafkaClient({ brokers, clientId: 'bench' });
  const registry = new SchemaRegistry(ep.SCHEMA_REGISTRY_URL);
  const schema = catalog().forTopic('obs.citizen');
  const values = Array.from({ length: EVENTS }, (_, i) => observation(i));
  const codec = new AvroCodec<CitizenObservedInput>(registry, 'obs.citizen-value', schema);
  await codec.init({ register: true });
  const encoded = values.map((v) => codec.encode(v));
  const bytes = encoded.reduce((s, b) => s + b.length, 0);
  const avgSize = bytes / EVENTS;
  process.stdout.write(
    `events ${EVENTS}, batch ${BATCH}, partitions ${PARTITIONS}, runs ${RUNS}, average encoded size ${avgSize.toFixed(0)} B\n`,
  );
  const rawKafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const topics: string[] = [];
  const newTopic = async (label: string) => {
    const name = `bench.test.${label}.${Date.now().toString(36)}`;
    await ensureTopics(kafka, [{ name, partitions: PARTITIONS, replicationFactor: 1, config: {} }]);
    topics.push(name);
    return name;
  };
  const fig = (seconds: number, n = EVENTS): Figure => ({
    eventsPerSec: n / seconds,
    mbPerSec: (avgSize * n) / seconds / 1e6,
  });
  const keys = values.map((v) => `civil-status:${v.source.recordId}`);

  async function rawProduce(topic: string): Promise<Figure> {
    const producer = rawKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    const t0 = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      // The same headers the bus writes (correlation id, source, event id), so only the abstraction differs.
      const messages = encoded.slice(i, i + BATCH).map((value, j) => ({
        key: keys[i + j] ?? '',
        value,
        headers: {
          'hub-correlation-id': randomUUID(),
          'hub-source': 'civil-status',
          'hub-event-id': values[i + j]?.eventId ?? '',
        },
      }));
      await producer.send({ topic, acks: -1, messages });
    }
    const f = fig((performance.now() - t0) / 1000);
    await producer.disconnect();
    return f;
  }

  async function busProduce(topic: string): Promise<Figure> {
    const publisher = new Publisher({
      kafka,
      registry,
      outputs: { citizen: { topic, subject: 'obs.citizen-value', schema } },
    });
    await publisher.start();
    const t0 = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const items = values
        .slice(i, i + BATCH)
        .map((value, j) => ({ key: keys[i + j] ?? '', value, source: 'civil-status' }));
      await publisher.publishBatch('citizen', items);
    }
    const f = fig((performance.now() - t0) / 1000);
    await publisher.stop();
    return f;
  }

  /**
   * Time from the first message received to the last: group join and assignment excluded.
   * `decode`: also decode every value with avsc, as a hand-written consumer doing the bus's work would.
   */
  async function rawConsume(topic: string, decode: boolean): Promise<Figure> {
    const consumer = rawKafka.consumer({ groupId: `bench.test.raw.${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let n = 0;
    let first = 0;
    let last = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (!first) first = performance.now();
          for (const m of batch.messages) {
            if (decode && m.value) codec.type.fromBuffer(m.value.subarray(5));
            payload.resolveOffset(m.offset);
          }
          n += batch.messages.length;
          const lastOffset = batch.lastOffset();
          await payload.commitOffsetsIfNecessary({
            topics: [
              {
                topic,
                partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }],
              },
            ],
          });
          last = performance.now();
          if (n >= EVENTS) resolve();
        },
      });
    });
    await consumer.disconnect();
    return fig((last - first) / 1000);
  }

  async function busConsume(topic: string): Promise<Figure> {
    let n = 0;
    let first = 0;
    let last = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const runner = new ConsumerRunner<CitizenObserved>({
      kafka,
      registry,
      groupId: `bench.test.bus.${Date.now()}`,
      inputs: [{ topic, subject: 'obs.citizen-value', schema }],
      deadLetters: new DeadLetterWriter(kafka, topic),
      handler: () => {
        if (!first) first = performance.now();
        n++;
        last = performance.now();
        if (n >= EVENTS) done();
        return Promise.resolve(ok());
      },
    });
    void runner.start();
    await finished;
    await runner.stop();
    return fig((last - first) / 1000);
  }

  const { java, classpath, log4j } = await kafkaClasspath(settings);
  const jvm = [`-Dlog4j2.configurationFile=${log4j}`, '-Xmx512m', '-cp', classpath];

  async function perfProduce(topic: string): Promise<Figure> {
    const { stdout } = await execFileP(
      java,
      [
        ...jvm,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(EVENTS),
        '--record-size',
        String(Math.round(avgSize)),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${brokers.join(',')}`,
        'acks=all',
        'enable.idempotence=true',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const line = stdout.trim().split('\n').pop() ?? '';
    const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(line);
    if (!m) throw new Error(`could not read ProducerPerformance output: ${line}`);
    return { eventsPerSec: Number(m[1]), mbPerSec: (Number(m[2]) * 1024 * 1024) / 1e6 };
  }

  async function perfConsume(topic: string): Promise<Figure> {
    const { stdout } = await execFileP(
      java,
      [
        ...jvm,
        'org.apache.kafka.tools.ConsumerPerformance',
        '--topic',
        topic,
        '--messages',
        String(EVENTS),
        '--bootstrap-server',
        brokers.join(','),
        '--group',
        `bench.test.perf.${Date.now()}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const row =
      stdout
        .trim()
        .split('\n')
        .pop()
        ?.split(',')
        .map((s) => s.trim()) ?? [];
    const fetchMbSec = Number(row[8]);
    const fetchMsgSec = Number(row[9]);
    if (!Number.isFinite(fetchMsgSec))
      throw new Error(`could not read ConsumerPerformance output: ${stdout}`);
    return { eventsPerSec: fetchMsgSec, mbPerSec: (fetchMbSec * 1024 * 1024) / 1e6 };
  }

  const results: Record<string, Figure[]> = {};
  const record = (k: string, f: Figure) => {
    (results[k] ??= []).push(f);
    process.stdout.write(
      `  ${k.padEnd(26)} ${fmt(f.eventsPerSec).padStart(9)} events/s  ${f.mbPerSec.toFixed(1).padStart(6)} MB/s\n`,
    );
  };
  for (let run = 1; run <= RUNS; run++) {
    process.stdout.write(`run ${run}/${RUNS}\n`);
    const tPerf = await newTopic('perf');
    record('kafka-perf produce', await perfProduce(tPerf));
    record('kafka-perf consume', await perfConsume(tPerf));
    const tRaw = await newTopic('raw');
    record('raw kafkajs produce', await rawProduce(tRaw));
    record('raw kafkajs consume', await rawConsume(tRaw, false));
    record('raw kafkajs+avsc consume', await rawConsume(tRaw, true));
    const tBus = await newTopic('bus');
    record('bus produce', await busProduce(tBus));
    record('bus consume', await busConsume(tBus));
    await deleteTestTopics(kafka, topics.splice(0));
  }

  const row = (k: string) => {
    const fs = results[k] ?? [];
    const ev = fs.map((f) => f.eventsPerSec);
    const mb = fs.map((f) => f.mbPerSec);
    return { k, med: median(ev), min: Math.min(...ev), max: Math.max(...ev), mb: median(mb) };
  };
  const rows = [
    'kafka-perf produce',
    'raw kafkajs produce',
    'bus produce',
    'kafka-perf consume',
    'raw kafkajs consume',
    'raw kafkajs+avsc consume',
    'bus consume',
  ].map(row);
  const get = (k: string) => rows.find((r) => r.k === k)?.med ?? NaN;
  const ratio = (a: string, b: string) => (get(a) / get(b)).toFixed(2);
  const table = [
    '| path | events/s (median) | min – max | MB/s (median) |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.k} | ${fmt(r.med)} | ${fmt(r.min)} – ${fmt(r.max)} | ${r.mb.toFixed(1)} |`),
  ].join('\n');
  const ratios = [
    `- bus / raw kafkajs: produce **${ratio('bus produce', 'raw kafkajs produce')}**, consume **${ratio('bus consume', 'raw kafkajs+avsc consume')}** against a hand-written consumer that also decodes, ${ratio('bus consume', 'raw kafkajs consume')} against transport only (target ≥ 0.80)`,
    `- raw kafkajs / Kafka perf tools: produce ${ratio('raw kafkajs produce', 'kafka-perf produce')}, consume ${ratio('raw kafkajs consume', 'kafka-perf consume')}`,
    `- bus / Kafka perf tools: produce ${ratio('bus produce', 'kafka-perf produce')}, consume ${ratio('bus consume', 'kafka-perf consume')}`,
  ].join('\n');
  process.stdout.write(`\n${table}\n\n${ratios}\n`);
  const report = `# Bus throughput (\`npm run bench:bus\`)

Measured ${new Date().toISOString().slice(0, 16)}Z on this project's machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, Apache Kafka ${settings.kafkaVersion} single node (KRaft, on the same machine), Apicurio Registry ${settings.apicurioVersion}.

## Method
- ${fmt(EVENTS)} citizen observations (\`obs.citizen\` schema, average **${avgSize.toFixed(0)} bytes** in Confluent wire format), topics with ${PARTITIONS} partitions, ${RUNS} runs; each figure is the median, with min – max.
- **Producers**: idempotent, \`acks=all\`, one request in flight, ${BATCH} records per send, keys \`civil-status:<id>\`. Raw kafkajs sends the same **pre-encoded** bytes with the same three headers; the bus encodes Avro from objects inside the timed loop (validation + avsc + framing + headers), so the ratio is the full cost of the bus. Kafka's \`ProducerPerformance\` (Java client, acks=all, idempotent, default batching and linger) is the ceiling.
- **Consumers**: time from the first to the last message (group join excluded). "raw kafkajs" resolves and commits per batch without looking at the bytes (transport only); "raw kafkajs+avsc" also decodes every value with avsc, as a hand-written consumer doing the bus's work would (it reads the same topic a second time, so it also shows cache effects); the bus decodes (schema-id check, writer→reader resolution when ids differ) and runs the handler → outcome → ordered-commit path per message. \`ConsumerPerformance\` (fetch rate) is the JVM client's ceiling.
- The load generator, the broker and the registry share the machine's ${cpus().length} cores, so absolute figures drift between runs; read the ratios.

## Results
${table}

${ratios}

Command: \`npm run bench:bus -- --events ${EVENTS} --batch ${BATCH} --runs ${RUNS} --partitions ${PARTITIONS}\`
`;
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, report);
  process.stdout.write(`\nwrote ${OUT}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`✗ ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
