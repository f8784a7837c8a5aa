import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@hub/testing';
import { renderWorld } from '../departments/render.js';
import type { SourceRecord } from '../departments/types.js';
import { testDatabase } from '../test-support/databases.test-support.js';
import { BusinessRegistrySimulator } from './business-registry.sim.js';
import { CivilStatusSimulator } from './civil-status.sim.js';
import { connect, dropDatabase, type DatabaseTarget, type SqlClient } from './sql-store.js';

const civil: SourceRecord[] = [];
const business: SourceRecord[] = [];
for (const { records } of renderWorld({ seed: 21, people: 3000 })) {
  civil.push(...records['civil-status']);
  business.push(...records['business-registry']);
}
const expected = (records: SourceRecord[]) => {
  const out: Record<string, { total: number; live: number }> = {};
  for (const r of records) {
    const c = (out[r.table] ??= { total: 0, live: 0 });
    c.total++;
    if (r.row.da_xoa !== true) c.live++;
  }
  return out;
};
const ENGINE: Record<SqlClient, string> = { mysql2: 'MariaDB', pg: 'PostgreSQL' };
/** A timestamp as read back (pg: Date; MariaDB through connect(): `YYYY-MM-DD HH:MM:SS.mmm` UTC) → ISO. */
const iso = (v: unknown): string =>
  (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`)).toISOString();
/** Declared type and fractional-second precision of `updated_at`. */
async function updatedAtColumn(
  target: DatabaseTarget,
  table: string,
): Promise<{ type: string; precision: number }> {
  const db = connect(target);
  try {
    const q = db('information_schema.columns').where({ table_name: table, column_name: 'updated_at' });
    const scoped =
      target.client === 'pg'
        ? q.andWhere({ table_catalog: target.database, table_schema: 'public' })
        : q.andWhere({ table_schema: target.database });
    const row = await scoped.first<Record<string, unknown> | undefined>({
      type: 'data_type',
      precision: 'datetime_precision',
    });
    return { type: String(row?.type), precision: Number(row?.precision) };
  } finally {
    await db.destroy();
  }
}

// Each registry runs on its own engine in the demo (civil status: MariaDB, business registry:
// PostgreSQL); the simulators are dialect-neutral, so both are also exercised on the other engine.
describe.each<{ client: SqlClient; engine: string }>([
  { client: 'mysql2', engine: 'MariaDB' },
  { client: 'pg', engine: 'PostgreSQL (dialect-neutral check)' },
])('civil-status registry on $engine', ({ client }) => {
  const target = testDatabase(client);
  const sim = new CivilStatusSimulator(target);
  beforeAll(async () => {
    await sim.start();
    await sim.start(); // idempotent
    await sim.load(civil);
  });
  afterAll(async () => {
    await sim.stop();
    await dropDatabase(target);
  });

  it('holds exactly what the generator produced, with native columns', async () => {
    expect(await sim.counts()).toEqual(expected(civil));
    const db = connect(target);
    try {
      const sample = civil.find((r) => r.table === 'cong_dan');
      const row = await db('cong_dan')
        .where('id', sample?.row.id as number)
        .first<Record<string, unknown>>();
      expect(row?.ho_ten).toBe(sample?.row.ho_ten);
      expect(row?.so_giay_to).toBe(sample?.row.so_giay_to);
      expect(iso(row?.updated_at)).toBe(sample?.row.updated_at);
      expect(Number(row?.da_xoa)).toBe(sample?.row.da_xoa === true ? 1 : 0);
    } finally {
      await db.destroy();
    }
  });

  it(`keeps updated_at to the millisecond on ${ENGINE[client]} (sql-poll's keyset cursor needs it)`, async () => {
    for (const table of ['cong_dan', 'khai_sinh', 'ket_hon', 'khai_tu']) {
      const col = await updatedAtColumn(target, table);
      expect(col.type).toBe(client === 'pg' ? 'timestamp with time zone' : 'datetime');
      expect(col.precision).toBeGreaterThanOrEqual(3);
    }
    const db = connect(target);
    try {
      await db('cong_dan').where('id', -1).delete();
      await db('cong_dan').insert({
        id: -1,
        ho_ten: 'Thử',
        updated_at: client === 'pg' ? '2025-07-01T01:02:03.456Z' : '2025-07-01 01:02:03.456',
        da_xoa: true,
      });
      const row = await db('cong_dan').where('id', -1).first<Record<string, unknown>>();
      expect(iso(row?.updated_at)).toBe('2025-07-01T01:02:03.456Z');
      expect(Number(row?.da_xoa)).toBe(1);
      await db('cong_dan').where('id', -1).delete();
    } finally {
      await db.destroy();
    }
  });

  it('ticks insert, correct and soft-delete rows, all visible through updated_at', async () => {
    const before = new Date();
    const result = await sim.tick(30);
    expect(result.inserted + result.updated + result.deleted).toBeGreaterThan(0);
    const db = connect(target);
    try {
      const changed = await eventually(async () => {
        const rows = await db('cong_dan')
          .where('updated_at', '>=', before)
          .count<Array<{ n: string }>>({ n: '*' });
        const events = await db('khai_sinh')
          .where('updated_at', '>=', before)
          .count<Array<{ n: string }>>({ n: '*' });
        const n = Number(rows[0]?.n) + Number(events[0]?.n);
        return n > 0 ? n : undefined;
      });
      expect(changed).toBeGreaterThan(0);
      const counts = await sim.counts();
      const cancelled = Object.values(counts).reduce((s, c) => s + c.total - c.live, 0);
      const was = Object.values(expected(civil)).reduce((s, c) => s + c.total - c.live, 0);
      expect(cancelled).toBe(was + result.deleted);
      expect(counts.cong_dan?.total).toBe(
        (expected(civil).cong_dan?.total ?? 0) + result.truth.filter((t) => t.table === 'cong_dan').length,
      );
    } finally {
      await db.destroy();
    }
  });

  it('reset empties it', async () => {
    await sim.reset();
    expect(Object.values(await sim.counts()).every((c) => c.total === 0)).toBe(true);
  });
});

describe.each<{ client: SqlClient; engine: string }>([
  { client: 'pg', engine: 'PostgreSQL' },
  { client: 'mysql2', engine: 'MariaDB (dialect-neutral check)' },
])('business registry on $engine', ({ client }) => {
  const target = testDatabase(client);
  const sim = new BusinessRegistrySimulator(target);
  beforeAll(async () => {
    await sim.start();
    await sim.load(business);
  });
  afterAll(async () => {
    await sim.stop();
    await dropDatabase(target);
  });

  it('holds exactly what the generator produced, Vietnamese text intact', async () => {
    expect(await sim.counts()).toEqual(expected(business));
    const db = connect(target);
    try {
      const sample = business.find((r) => r.table === 'ho_kinh_doanh');
      const row = await db('ho_kinh_doanh')
        .where('id', sample?.row.id as number)
        .first<Record<string, unknown>>();
      expect(row?.chu_ho).toBe(sample?.row.chu_ho);
      expect(iso(row?.updated_at)).toBe(sample?.row.updated_at);
      const col = await updatedAtColumn(target, 'ho_kinh_doanh');
      expect(col.type).toBe(client === 'pg' ? 'timestamp with time zone' : 'datetime');
      expect(col.precision).toBeGreaterThanOrEqual(3);
    } finally {
      await db.destroy();
    }
  });

  it('ticks hard-delete rows (keys vanish) and bump updated_at on changes', async () => {
    const db = connect(target);
    try {
      const keysBefore = new Set(
        (await db('ho_kinh_doanh').select('id')).map((r: { id: number }) => Number(r.id)),
      );
      const branchesBefore = new Set(
        (await db('chi_nhanh').select('ma_so_cn')).map((r: { ma_so_cn: string }) => r.ma_so_cn),
      );
      const before = new Date(Date.now() - 1000);
      let deleted = 0;
      let updated = 0;
      for (let i = 0; i < 10 && (deleted === 0 || updated === 0); i++) {
        const r = await sim.tick(10);
        deleted += r.deleted;
        updated += r.updated;
      }
      expect(deleted).toBeGreaterThan(0);
      const keysAfter = new Set(
        (await db('ho_kinh_doanh').select('id')).map((r: { id: number }) => Number(r.id)),
      );
      const branchesAfter = new Set(
        (await db('chi_nhanh').select('ma_so_cn')).map((r: { ma_so_cn: string }) => r.ma_so_cn),
      );
      const vanished =
        [...keysBefore].filter((k) => !keysAfter.has(k)).length +
        [...branchesBefore].filter((k) => !branchesAfter.has(k)).length;
      expect(vanished).toBe(deleted);
      const [changed] = await db('doanh_nghiep')
        .where('updated_at', '>=', before)
        .count<Array<{ n: number }>>({ n: '*' });
      expect(Number(changed?.n)).toBeGreaterThan(0);
    } finally {
      await db.destroy();
    }
  });

  it('refuses database names that are not dept_*', async () => {
    await expect(dropDatabase({ ...target, database: 'test' })).rejects.toThrow(/dept_/);
  });
});
