/**
 * `source.joins` on both dialects: a registration table read with the person rows it references
 * (two joins onto one table, columns named as in the polled table), through SqlSource's keyset
 * cursor and through a whole connector to Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { buildPollingConnector, type SourceRecord } from '@hub/connector-runtime';
import { decodeObservation, readTopic } from '@hub/connector-runtime/testing';
import { ensureTopics } from '@hub/kafka';
import { eventually, uniqueName } from '@hub/testing';
import { SqlPollConfigSchema, type SqlPollConfig } from './config.js';
import { dialects, useIntegration } from './int.test-support.js';
import { connect, SqlSource } from './sql-source.js';

const ctx = useIntegration('sql-poll-joins-int-test');

const T0 = '2025-01-01 00:00:00.000123';
const HUSBAND = '008080001234'; // Tuyên Quang, male, born 1980
const WIFE = '008185000123'; // Tuyên Quang, female, born 1985

type Obs = {
  eventId: string;
  operation: string;
  fullName: string | null;
  personalId: string | null;
  dateOfBirth: { year: number } | null;
  source: { recordId: string };
};

describe.each(dialects())('sql-poll joins on $dialect', (d) => {
  const stamp = `${Date.now().toString(36)}_${d.dialect}`;
  const persons = `test_cong_dan_${stamp}`;
  const marriages = `test_ket_hon_${stamp}`;
  let db: Knex;

  function configFor(extra: { topics?: { observations: string; deadLetter: string } } = {}): SqlPollConfig {
    return SqlPollConfigSchema.parse({
      id: `spj-${stamp.replace(/_/g, '-')}`,
      kind: 'sql-poll',
      source: {
        system: `test-civil-${d.dialect}`,
        dialect: d.dialect,
        connectionEnv: 'UNUSED_IN_TESTS',
        table: marriages,
        primaryKey: 'id',
        updatedAtColumn: 'updated_at',
        softDelete: { column: 'da_xoa', deletedValues: [true] },
        // Two joins onto one table: the husband's and the wife's person rows.
        joins: ['chong', 'vo'].map((as) => ({
          as,
          table: persons,
          column: `id_${as}`,
          references: 'id',
          columns: ['so_giay_to', 'ngay_sinh'],
          softDelete: { column: 'da_xoa', deletedValues: [true] },
        })),
        deleteDetection: { mode: 'compare', intervalMs: 0 },
        settleSeconds: 0,
      },
      batchSize: 2,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 1000,
      countIntervalMs: 100,
      ...extra,
      mapping: {
        entity: 'citizen',
        recordId: 'id',
        updatedAt: 'updated_at',
        fields: {
          fullName: 'ho_ten_chong',
          personalId: { from: 'chong.so_giay_to', normalise: 'personNumber' },
          dateOfBirth: 'chong.ngay_sinh',
        },
      },
    });
  }

  /** Every record after `cursor`, read in batches of `limit` (the keyset loop of the connector). */
  async function readAll(source: SqlSource, cursor: string | undefined, limit: number) {
    const records: SourceRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const batch = await source.read(cursor, limit);
      records.push(...batch.records);
      cursor = batch.cursor;
      if (!batch.more) break;
    }
    return { records, cursor };
  }

  /** `<id> <operation> chong=<so_giay_to> vo=<so_giay_to>` per record ('-' for null). */
  const summary = (records: readonly SourceRecord[]) =>
    records.map((r) => {
      const data = r.data as {
        id: number;
        chong: { so_giay_to: string | null };
        vo: { so_giay_to: string | null };
      };
      return `${data.id} ${r.operation ?? 'UPSERT'} chong=${data.chong.so_giay_to ?? '-'} vo=${data.vo.so_giay_to ?? '-'}`;
    });

  beforeAll(async () => {
    db = connect(d.dialect, d.url());
    // Both tables have id, updated_at and da_xoa: the query must qualify the polled table's columns.
    await db.schema.createTable(persons, (tb) => {
      tb.integer('id').primary();
      tb.string('so_giay_to', 20).nullable();
      tb.string('ngay_sinh', 20).nullable();
      tb.specificType('updated_at', `${d.ts} not null`);
      tb.boolean('da_xoa').notNullable().defaultTo(false);
    });
    await db.schema.createTable(marriages, (tb) => {
      tb.integer('id').primary();
      tb.string('ho_ten_chong', 100);
      tb.integer('id_chong').nullable();
      tb.integer('id_vo').nullable();
      tb.specificType('updated_at', `${d.ts} not null`);
      tb.boolean('da_xoa').notNullable().defaultTo(false);
      tb.index(['updated_at', 'id'], `${marriages}_cursor_idx`);
    });
    await db(persons).insert([
      { id: 1, so_giay_to: HUSBAND, ngay_sinh: '12/03/1980', updated_at: T0, da_xoa: false },
      { id: 2, so_giay_to: WIFE, ngay_sinh: '05/03/1985', updated_at: T0, da_xoa: false },
      { id: 3, so_giay_to: '008079009999', ngay_sinh: '1979', updated_at: T0, da_xoa: true },
    ]);
    // One updated_at for all: the keyset order falls back on the id, across batches of 2.
    await db(marriages).insert([
      { id: 10, ho_ten_chong: 'Nguyễn Văn An', id_chong: 1, id_vo: 2, updated_at: T0, da_xoa: false },
      // a soft-deleted husband row and a wife id no row holds: their columns are read as null
      { id: 11, ho_ten_chong: 'Trần Văn Bình', id_chong: 3, id_vo: 99, updated_at: T0, da_xoa: false },
      { id: 12, ho_ten_chong: 'Lê Văn Cường', id_chong: null, id_vo: 2, updated_at: T0, da_xoa: false },
      // a cancelled registration is a DELETE that still carries the person it named
      { id: 13, ho_ten_chong: 'Nguyễn Văn An', id_chong: 1, id_vo: 2, updated_at: T0, da_xoa: true },
      { id: 14, ho_ten_chong: 'Phạm Văn Dũng', id_chong: 2, id_vo: 1, updated_at: T0, da_xoa: false },
    ]);
  });

  afterAll(async () => {
    await db.schema.dropTableIfExists(marriages);
    await db.schema.dropTableIfExists(persons);
    await db.destroy();
  });

  it('reads each row once with its referenced rows; only the row’s own changes move it past the cursor', async () => {
    const cfg = configFor();
    const source = new SqlSource(cfg.source, d.url());
    await source.open();
    try {
      const first = await readAll(source, undefined, 2);
      expect(summary(first.records)).toEqual([
        `10 UPSERT chong=${HUSBAND} vo=${WIFE}`,
        '11 UPSERT chong=- vo=-',
        `12 UPSERT chong=- vo=${WIFE}`,
        `13 DELETE chong=${HUSBAND} vo=${WIFE}`,
        `14 UPSERT chong=${WIFE} vo=${HUSBAND}`,
      ]);
      // The polled table's own columns are not shadowed by the joined table's (same names).
      expect(first.records[0]?.data).toMatchObject({
        id: 10,
        id_chong: 1,
        chong: { so_giay_to: HUSBAND, ngay_sinh: '12/03/1980' },
      });
      expect(Object.keys(first.records[0]?.data ?? {}).filter((k) => k.startsWith('__hub'))).toEqual([]);
      // Count and keys are the polled table's (live rows / every row).
      expect(await source.count()).toBe(4);
      expect([...(await source.listKeys())].sort()).toEqual(['10', '11', '12', '13', '14']);

      // Only the person row changes: the registrations referencing it are not read again…
      await db(persons)
        .where({ id: 1 })
        .update({ so_giay_to: '008080005678', updated_at: db.raw(d.now) });
      expect((await readAll(source, first.cursor, 2)).records).toEqual([]);
      // …until the registration row itself changes; it then carries the person row as it is now.
      await db(marriages)
        .where({ id: 14 })
        .update({ updated_at: db.raw(d.now) });
      const next = await readAll(source, first.cursor, 2);
      expect(summary(next.records)).toEqual([`14 UPSERT chong=${WIFE} vo=008080005678`]);
      expect((await readAll(source, next.cursor, 2)).records).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('a connector publishes the joined columns as canonical fields', async () => {
    const t = { obs: uniqueName(`spj-obs-${d.dialect}`), dlq: uniqueName(`spj-dlq-${d.dialect}`) };
    const status = uniqueName(`spj-st-${d.dialect}`);
    ctx.topics.push(t.obs, t.dlq, status);
    await ensureTopics(
      ctx.kafka,
      [t.obs, t.dlq, status].map((name) => ({ name, partitions: 1, replicationFactor: 1, config: {} })),
    );
    const cfg = configFor({ topics: { observations: t.obs, deadLetter: t.dlq } });
    const connector = buildPollingConnector(cfg, new SqlSource(cfg.source, d.url()), ctx.deps(), {
      statusTopic: status,
      retry: { baseMs: 20, maxMs: 40 },
    });
    await connector.start();
    try {
      await eventually(async () => ((await readTopic(ctx.kafka, t.obs)).length >= 5 ? true : undefined), {
        what: 'the joined registrations',
      });
    } finally {
      await connector.stop();
    }
    const byId = new Map(
      (await readTopic(ctx.kafka, t.obs))
        .map((m) => decodeObservation<Obs>('citizen', m.value))
        .map((o) => [o.source.recordId, o]),
    );
    expect(byId.get('10')).toMatchObject({
      operation: 'UPSERT',
      fullName: 'Nguyễn Văn An',
      personalId: '008080005678', // the person row as it was when the registration was read
      dateOfBirth: { year: 1980 },
    });
    expect(byId.get('11')).toMatchObject({ personalId: null, dateOfBirth: null });
    expect(byId.get('13')).toMatchObject({ operation: 'DELETE', personalId: '008080005678' });
    expect(byId.get('14')).toMatchObject({ personalId: WIFE, dateOfBirth: { year: 1985 } });
    expect((await readTopic(ctx.kafka, t.dlq)).length).toBe(0);
  });
});
