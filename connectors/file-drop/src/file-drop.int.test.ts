import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import {
  buildPollingConnector,
  ConnectorMetrics,
  CONNECTOR_DLQ_HEADERS,
  CursorStore,
  loadConfigFiles,
  type CursorCommit,
  type PollingConnector,
  type RuntimeDeps,
} from '@hub/connector-runtime';
import { createTestConnectorDb, decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import { renderWorld, SocialProtectionExporter, toTcvn3, type SourceRecord } from '@hub/departments';
import {
  createKafkaClient,
  deleteTestTopics,
  ensureTopics,
  SchemaRegistry,
  type KafkaClient,
} from '@hub/kafka';
import { silentLogger } from '@hub/log';
import { eventually, uniqueName } from '@hub/testing';
import { FileDropConfigSchema, type FileDropConfig } from './config.js';
import { FileDropSource } from './file-drop-source.js';
import { checkHeader } from './parse.js';

const endpoints = inject('endpoints');
let kafka: KafkaClient;
let registry: SchemaRegistry;
let connectorDb: Awaited<ReturnType<typeof createTestConnectorDb>>;
let dir: string;
const t = { obs: uniqueName('fd-obs'), dlq: uniqueName('fd-dlq'), status: uniqueName('fd-st') };
const configs = new Map<string, FileDropConfig>();
let rows: { TQ: number; HG: number };

class CrashingCursorStore extends CursorStore {
  calls = 0;
  constructor(
    db: Knex,
    private readonly crashAt: number,
  ) {
    super(db);
  }
  override async commit(id: string, c: CursorCommit): Promise<void> {
    if (++this.calls >= this.crashAt) throw new Error('killed between publish and cursor commit');
    return super.commit(id, c);
  }
}

function connector(
  office: 'tq' | 'hg',
  cursors: CursorStore = new CursorStore(connectorDb.db),
): PollingConnector {
  const config = configs.get(office);
  if (!config) throw new Error(office);
  const deps: RuntimeDeps = {
    kafka,
    registry,
    db: connectorDb.db,
    cursors,
    metrics: new ConnectorMetrics(),
    logger: silentLogger(),
    registerSchemas: true,
  };
  const source = new FileDropSource(config.source, {
    db: connectorDb.db,
    connectorId: config.id,
    directory: dir,
    mapping: config.mapping,
  });
  return buildPollingConnector(config, source, deps, {
    statusTopic: t.status,
    retry: { baseMs: 20, maxMs: 50 },
  });
}

type Obs = {
  eventId: string;
  operation: string;
  fullName: string | null;
  source: { recordId: string; connectorId: string };
};
const published = async () =>
  (await readTopic(kafka, t.obs)).map((m) => decodeObservation<Obs>('citizen', m.value));
const inDrop = async () => (await readdir(dir)).filter((n) => n.startsWith('btxh_'));

beforeAll(async () => {
  kafka = createKafkaClient({ brokers: endpoints.KAFKA_BROKERS.split(','), clientId: 'file-drop-int-test' });
  registry = new SchemaRegistry(endpoints.SCHEMA_REGISTRY_URL);
  connectorDb = await createTestConnectorDb(endpoints.DATABASE_URL);
  await ensureTopics(
    kafka,
    Object.values(t).map((name) => ({ name, partitions: 2, replicationFactor: 1, config: {} })),
  );
  dir = await mkdtemp(join(tmpdir(), 'hub-file-drop-test-'));
  const folder = fileURLToPath(new URL('../../config/departments/file-drop', import.meta.url));
  const stamp = Date.now().toString(36);
  for (const { config } of loadConfigFiles([folder], FileDropConfigSchema)) {
    const office = config.id.endsWith('-hg') ? 'hg' : 'tq';
    configs.set(
      office,
      FileDropConfigSchema.parse({
        ...config,
        id: `fd-${office}-${stamp}`,
        batchSize: 7,
        pollIntervalMs: 100,
        heartbeatIntervalMs: 1000,
        countIntervalMs: 100,
        topics: { observations: t.obs, deadLetter: t.dlq },
        source: { ...config.source, directory: dir, minAgeMs: 0 },
      }),
    );
  }
  // The simulated social-protection offices write their exports (temp dot file, then rename).
  const exporter = new SocialProtectionExporter({ dir });
  const records: SourceRecord[] = [];
  for (const h of renderWorld({ seed: 5, people: 900 })) records.push(...h.records['social-protection']);
  await exporter.load(records);
  rows = (await exporter.exportNow()).rows;
  if (rows.HG === 0 || rows.TQ === 0) throw new Error('the seed gave an office no rows');
  // A file still being written (dot name), a CSV with a broken line and a bad date, a broken workbook.
  await writeFile(join(dir, '.btxh_hg_partial.csv.123.tmp'), 'garbage');
  const header =
    'Mã đối tượng,Họ và tên,Ngày sinh,Giới tính,Số CCCD/CMND,Địa chỉ,Mã xã,Loại đối tượng,Mức hưởng,Ngày hưởng,Trạng thái,Văn phòng';
  const bad = [
    header,
    'T-1,Nông Văn Tỉnh,31/02/1940,Nam,,Xã Minh Ngọc,,NCT80,500000,01/01/2020,Đang hưởng,HG',
    'T-2,Ma Thị Lan',
    'T-3,Sùng A Dình,02/03/1941,Nam,,Xã Mậu Duệ,,NCT80,500000,01/01/2020,Đang hưởng,HG',
  ];
  await writeFile(join(dir, 'btxh_hg_zz-bad.csv'), Buffer.from(toTcvn3(bad.join('\r\n')), 'latin1'));
  await writeFile(join(dir, 'btxh_tq_zz-broken.xlsx'), 'PK not really a workbook');
});

afterAll(async () => {
  await deleteTestTopics(kafka, Object.values(t)).catch(() => undefined);
  await connectorDb.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('file-drop on the social-protection drop folder', () => {
  it('good rows flow, bad rows are dead-lettered with file and line, files move once; a crash mid-file resumes', async () => {
    const crashing = new CrashingCursorStore(connectorDb.db, 3);
    const first = connector('hg', crashing);
    await first.start();
    await eventually(() => (crashing.calls >= 3 ? true : undefined), { what: 'the crash' });
    await first.stop();
    const hg = connector('hg');
    const tq = connector('tq');
    await hg.start();
    await tq.start();
    await eventually(async () => ((await inDrop()).length === 0 ? true : undefined), {
      what: 'the folder to empty',
      timeoutMs: 60_000,
    });
    await eventually(
      () => (hg.status.sourceRecordCount !== null && tq.status.sourceRecordCount !== null ? true : undefined),
      { what: 'counts' },
    );
    await hg.stop();
    await tq.stop();

    expect(await readdir(dir)).toEqual(
      expect.arrayContaining(['.btxh_hg_partial.csv.123.tmp', 'processed', 'failed']),
    );
    expect((await readdir(join(dir, 'processed'))).sort()).toHaveLength(3);
    expect(await readdir(join(dir, 'failed'))).toEqual(['btxh_tq_zz-broken.xlsx']);

    const events = await published();
    const dead = await readTopic(kafka, t.dlq);
    const where = dead.map((m) => m.headers[CONNECTOR_DLQ_HEADERS.location]);
    expect(where).toEqual(
      expect.arrayContaining([
        'btxh_hg_zz-bad.csv line 2',
        'btxh_hg_zz-bad.csv line 3',
        'btxh_tq_zz-broken.xlsx',
      ]),
    );
    const ids = new Map<string, Set<string>>();
    for (const e of events)
      ids.set(e.source.recordId, (ids.get(e.source.recordId) ?? new Set()).add(e.eventId));
    for (const set of ids.values()) expect(set.size).toBe(1); // repeats after the crash are exact
    const exportDead = where.filter((w) => w?.startsWith('btxh_') && !w.includes('zz-')).length;
    expect(ids.size + exportDead).toBe(rows.TQ + rows.HG + 1); // + T-3 of the bad file
    expect(ids.has('T-3')).toBe(true);
    // TCVN3 was repaired: no legacy byte patterns left in names.
    for (const e of events) expect(e.fullName ?? '').not.toMatch(/[¶©ª«¬®¯°±²³µ·¸½¾ÆÇÑ÷ë\u00ad]/);
    const ledger = await connectorDb.db('file_ledger').select('status', 'file_name');
    expect(ledger.filter((l: { status: string }) => l.status === 'done')).toHaveLength(3);
    expect(ledger.filter((l: { status: string }) => l.status === 'failed')).toHaveLength(1);
  });

  it('never processes the same content twice, whatever its name', async () => {
    const before = (await readTopic(kafka, t.obs)).length;
    const processed = await readdir(join(dir, 'processed'));
    const csv = processed.find((n) => n.startsWith('btxh_hg_') && !n.includes('zz-'));
    if (!csv) throw new Error('no processed export');
    await copyFile(join(dir, 'processed', csv), join(dir, 'btxh_hg_again.csv'));
    const hg = connector('hg');
    await hg.start();
    await eventually(async () => ((await inDrop()).length === 0 ? true : undefined), {
      what: 'the copy to move',
    });
    await hg.stop();
    expect((await readTopic(kafka, t.obs)).length).toBe(before);
    expect(await readdir(join(dir, 'processed'))).toContain('btxh_hg_again.csv');
  });
  it('refuses whole a file whose header lacks the mapped columns, and one whose name holds a line break: failed/, dead letter, counted (issue 11)', async () => {
    const before = (await readTopic(kafka, t.obs)).length;
    // An export cut inside its header, and a good export whose name holds a line break.
    await writeFile(join(dir, 'btxh_hg_zz-cut.csv'), 'Mã đối tượng,Họ');
    const good =
      'Mã đối tượng,Họ và tên,Ngày sinh,Giới tính,Số CCCD/CMND,Địa chỉ,Mã xã,Loại đối tượng,Mức hưởng,Ngày hưởng,Trạng thái,Văn phòng\r\n' +
      'NL-1,Sùng A Dình,02/03/1941,Nam,,Xã Mậu Duệ,,NCT80,500000,01/01/2020,Đang hưởng,HG\r\n';
    await writeFile(join(dir, 'btxh_hg_zz-line\nbreak.csv'), good);
    const hg = connector('hg');
    await hg.start();
    await eventually(async () => ((await inDrop()).length === 0 ? true : undefined), {
      what: 'both files to move',
      timeoutMs: 60_000,
    });
    await hg.stop();

    const failed = await readdir(join(dir, 'failed'));
    expect(failed).toEqual(expect.arrayContaining(['btxh_hg_zz-cut.csv', 'btxh_hg_zz-line_break.csv']));
    expect(failed.some((n) => n.includes('\n'))).toBe(false);
    expect((await readTopic(kafka, t.obs)).length).toBe(before); // nothing from either file
    const dead = (await readTopic(kafka, t.dlq)).map((m) => ({
      location: m.headers[CONNECTOR_DLQ_HEADERS.location],
      text: String(m.headers[CONNECTOR_DLQ_HEADERS.details] ?? ''),
    }));
    const cut = dead.find((d) => d.location === 'btxh_hg_zz-cut.csv');
    expect(cut?.text).toContain('HEADER_COLUMNS_MISSING');
    const mapping = configs.get('hg')?.mapping;
    if (!mapping) throw new Error('hg mapping');
    // The reason names the missing columns and the columns found.
    const check = checkHeader(mapping, ['Mã đối tượng', 'Họ'], 0);
    expect(check?.problem).toMatch(/"Họ và tên".*columns found: "Mã đối tượng", "Họ"$/);
    expect(cut?.text).toContain(JSON.stringify(check?.problem).slice(1, -1));
    const named = dead.find((d) => d.location === 'btxh_hg_zz-line_break.csv');
    expect(named?.text).toContain('file name contains control characters');
    expect(named?.text).toContain('FILE_NAME_REFUSED');
    // The status (heartbeat) counts both as dead-lettered.
    expect(hg.status.counts.deadLettered).toBe(2);
    expect(hg.status.snapshot().recordsDeadLettered).toBe(2);
    // The ledger keeps the refused content as failed; a name refused is not held against the content.
    const ledger = await connectorDb.db('file_ledger').select('status', 'file_name');
    expect(ledger).toEqual(expect.arrayContaining([{ status: 'failed', file_name: 'btxh_hg_zz-cut.csv' }]));
    expect(ledger.some((l: { file_name: string }) => l.file_name.includes('line'))).toBe(false);
  });
});
