/**
 * Business registry on PostgreSQL (by default): doanh_nghiep, chi_nhanh, ho_kinh_doanh with
 * `updated_at`. Deletes are hard: a deleted row is simply gone, so connectors compare keys.
 */
import type { Knex } from 'knex';
import { BUSINESS_STATUS_CODE } from '../departments/business-registry.js';
import type { SourceRecord } from '../departments/types.js';
import { formatAddress } from '../generator/places.js';
import { livePerson, liveRng } from './live-people.js';
import {
  SqlStore,
  connect,
  createTables,
  ensureDatabase,
  type DatabaseTarget,
  type TableSpec,
} from './sql-store.js';
import { emptyTick, type DepartmentSimulator, type GroundTruthCounts, type TickResult } from './types.js';

export const BUSINESS_TABLES: readonly TableSpec[] = [
  {
    name: 'doanh_nghiep',
    primaryKey: 'ma_so_dn',
    columns: {
      ma_so_dn: 'string',
      ten_doanh_nghiep: 'string',
      loai_hinh: 'string',
      ngay_thanh_lap: 'date',
      nganh_nghe_chinh: 'string',
      von_dieu_le: 'bigint',
      nguoi_dai_dien: 'string',
      ngay_sinh_ndd: 'string',
      loai_giay_to_ndd: 'string',
      so_giay_to_ndd: 'string',
      dia_chi: 'text',
      ma_xa: 'string',
      tinh_trang: 'string',
      updated_at: 'timestamp',
    },
  },
  {
    name: 'chi_nhanh',
    primaryKey: 'ma_so_cn',
    indexes: ['ma_so_dn'],
    columns: {
      ma_so_cn: 'string',
      ma_so_dn: 'string',
      ten_chi_nhanh: 'string',
      ngay_thanh_lap: 'date',
      nguoi_dung_dau: 'string',
      so_giay_to_ndd: 'string',
      dia_chi: 'text',
      ma_xa: 'string',
      tinh_trang: 'string',
      updated_at: 'timestamp',
    },
  },
  {
    name: 'ho_kinh_doanh',
    primaryKey: 'id',
    indexes: ['ma_so_hkd'],
    columns: {
      id: 'bigint',
      ma_so_hkd: 'string',
      so_gcn: 'string',
      ten_ho_kinh_doanh: 'string',
      chu_ho: 'string',
      ngay_sinh_chu_ho: 'string',
      so_giay_to_chu_ho: 'string',
      nganh_nghe: 'string',
      von_kinh_doanh: 'bigint',
      ngay_dang_ky: 'date',
      dia_chi: 'text',
      ma_xa: 'string',
      tinh_trang: 'string',
      updated_at: 'timestamp',
    },
  },
];

export class BusinessRegistrySimulator implements DepartmentSimulator {
  readonly id = 'business-registry';
  private db: Knex | undefined;
  private store: SqlStore | undefined;

  constructor(readonly target: DatabaseTarget) {}

  async start(): Promise<void> {
    await ensureDatabase(this.target);
    this.db = connect(this.target);
    this.store = new SqlStore(this.db, this.target.client, BUSINESS_TABLES);
    await createTables(this.db, this.target.client, BUSINESS_TABLES);
  }

  private get s(): SqlStore {
    if (!this.store) throw new Error('business-registry simulator not started');
    return this.store;
  }

  async load(records: readonly SourceRecord[]): Promise<void> {
    for (const spec of BUSINESS_TABLES) {
      await this.s.insert(
        spec.name,
        records.filter((r) => r.table === spec.name).map((r) => r.row),
      );
    }
  }

  counts(): Promise<GroundTruthCounts> {
    return this.s.counts();
  }

  async tick(changes: number): Promise<TickResult> {
    const result = emptyTick();
    const rng = liveRng();
    const now = new Date().toISOString();
    for (let i = 0; i < changes; i++) {
      const action = rng.weighted<'REGISTER' | 'CHANGE' | 'DELETE'>([
        ['REGISTER', 4],
        ['CHANGE', 4],
        ['DELETE', 2],
      ]);
      switch (action) {
        case 'REGISTER': {
          const owner = livePerson(rng, `${rng.int(1960, 2000)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}`);
          const id = (await this.s.maxKey('ho_kinh_doanh')) + 1;
          await this.s.insert('ho_kinh_doanh', [
            {
              id,
              ma_so_hkd: owner.personalId,
              so_gcn: `${owner.address.oldDistrictCode}A8${String(id % 1_000_000).padStart(6, '0')}`,
              ten_ho_kinh_doanh: `Hộ kinh doanh Tạp hóa ${owner.fullName.split(' ').pop() ?? ''}`,
              chu_ho: owner.fullName,
              ngay_sinh_chu_ho: owner.dateOfBirth.split('-').reverse().join('-'),
              so_giay_to_chu_ho: owner.personalId,
              nganh_nghe: '4711',
              von_kinh_doanh: rng.int(1, 50) * 10_000_000,
              ngay_dang_ky: now.slice(0, 10),
              dia_chi: formatAddress(owner.address, 'CURRENT'),
              ma_xa: owner.address.communeCode,
              tinh_trang: BUSINESS_STATUS_CODE.ACTIVE,
              updated_at: now,
            },
          ]);
          result.truth.push({
            source: 'business-registry',
            table: 'ho_kinh_doanh',
            sourceRecordId: String(id),
            entityType: 'business',
            entityId: `B${owner.personalId}`,
            related: [{ role: 'representative', type: 'person', id: owner.entityId }],
            noise: [],
          });
          result.inserted++;
          break;
        }
        case 'CHANGE': {
          const key = await this.s.randomKey('doanh_nghiep');
          if (key === undefined) break;
          await this.s.update('doanh_nghiep', key, {
            tinh_trang: rng.pick(Object.values(BUSINESS_STATUS_CODE)),
            updated_at: now,
          });
          result.updated++;
          break;
        }
        case 'DELETE': {
          const table = rng.chance(0.5) ? 'ho_kinh_doanh' : 'chi_nhanh';
          const key = await this.s.randomKey(table);
          if (key === undefined) break;
          await this.s.db(table).where(this.s.spec(table).primaryKey, key).delete();
          result.deleted++;
          break;
        }
      }
    }
    return result;
  }

  async reset(): Promise<void> {
    await this.s.truncate();
  }

  async stop(): Promise<void> {
    await this.db?.destroy();
    this.db = undefined;
    this.store = undefined;
  }
}
