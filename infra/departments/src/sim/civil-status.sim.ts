/**
 * Civil-status registry on MariaDB (by default): tables cong_dan, khai_sinh, ket_hon, khai_tu,
 * `updated_at` on every row, soft delete through `da_xoa`. Live ticks register births, correct
 * records (new `updated_at`) and cancel registrations (soft delete).
 */
import type { Knex } from 'knex';
import { CIVIL_STATUS_CODES } from '../departments/civil-status.js';
import { ETHNICITY_LABEL } from '../generator/names.js';
import { formatAddress } from '../generator/places.js';
import type { SourceRecord } from '../departments/types.js';
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

const EVENT_COLUMNS = {
  id: 'bigint',
  so_dang_ky: 'string',
  quyen_so: 'string',
  ngay_dang_ky: 'date',
  trang_thai: 'integer',
  ma_xa_dang_ky: 'string',
  ngay_tao: 'timestamp',
  updated_at: 'timestamp',
  da_xoa: 'boolean',
} as const;

export const CIVIL_STATUS_TABLES: readonly TableSpec[] = [
  {
    name: 'cong_dan',
    primaryKey: 'id',
    softDelete: 'da_xoa',
    indexes: ['so_giay_to'],
    columns: {
      id: 'bigint',
      ho_ten: 'string',
      ngay_sinh: 'string',
      gioi_tinh: 'integer',
      dan_toc: 'string',
      quoc_tich: 'string',
      loai_giay_to: 'string',
      so_giay_to: 'string',
      dia_chi_thuong_tru: 'text',
      ma_xa: 'string',
      ngay_tao: 'timestamp',
      updated_at: 'timestamp',
      da_xoa: 'boolean',
    },
  },
  {
    name: 'khai_sinh',
    primaryKey: 'id',
    softDelete: 'da_xoa',
    columns: {
      ...EVENT_COLUMNS,
      id_tre: 'bigint',
      ho_ten_tre: 'string',
      ngay_sinh_tre: 'string',
      gioi_tinh_tre: 'integer',
      noi_sinh: 'string',
      id_cha: 'bigint',
      ho_ten_cha: 'string',
      id_me: 'bigint',
      ho_ten_me: 'string',
    },
  },
  {
    name: 'ket_hon',
    primaryKey: 'id',
    softDelete: 'da_xoa',
    columns: {
      ...EVENT_COLUMNS,
      id_chong: 'bigint',
      ho_ten_chong: 'string',
      id_vo: 'bigint',
      ho_ten_vo: 'string',
    },
  },
  {
    name: 'khai_tu',
    primaryKey: 'id',
    softDelete: 'da_xoa',
    columns: {
      ...EVENT_COLUMNS,
      id_nguoi_mat: 'bigint',
      ho_ten_nguoi_mat: 'string',
      ngay_mat: 'string',
      noi_mat: 'string',
    },
  },
];

export class CivilStatusSimulator implements DepartmentSimulator {
  readonly id = 'civil-status';
  private db: Knex | undefined;
  private store: SqlStore | undefined;

  constructor(readonly target: DatabaseTarget) {}

  async start(): Promise<void> {
    await ensureDatabase(this.target);
    this.db = connect(this.target);
    this.store = new SqlStore(this.db, this.target.client, CIVIL_STATUS_TABLES);
    await createTables(this.db, this.target.client, CIVIL_STATUS_TABLES);
  }

  private get s(): SqlStore {
    if (!this.store) throw new Error('civil-status simulator not started');
    return this.store;
  }

  async load(records: readonly SourceRecord[]): Promise<void> {
    for (const spec of CIVIL_STATUS_TABLES) {
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
      const action = rng.weighted<'BIRTH' | 'CORRECT' | 'CANCEL'>([
        ['BIRTH', 5],
        ['CORRECT', 4],
        ['CANCEL', 1],
      ]);
      switch (action) {
        case 'BIRTH': {
          const child = livePerson(rng, now.slice(0, 10));
          await this.s.db.transaction(async (trx) => {
            const personId = (await this.s.maxKey('cong_dan')) + 1;
            const birthId = Math.max(personId, (await this.s.maxKey('khai_sinh')) + 1);
            await this.s.insert(
              'cong_dan',
              [
                {
                  id: personId,
                  ho_ten: child.fullName,
                  ngay_sinh: child.dateOfBirth.split('-').reverse().join('/'),
                  gioi_tinh: child.sex === 'MALE' ? 1 : 2,
                  dan_toc: ETHNICITY_LABEL[child.ethnicity],
                  quoc_tich: 'Việt Nam',
                  loai_giay_to: 'CCCD',
                  so_giay_to: child.personalId,
                  dia_chi_thuong_tru: formatAddress(child.address, 'CURRENT'),
                  ma_xa: child.address.communeCode,
                  ngay_tao: now,
                  updated_at: now,
                  da_xoa: false,
                },
              ],
              trx,
            );
            await this.s.insert(
              'khai_sinh',
              [
                {
                  id: birthId,
                  so_dang_ky: `${birthId % 97}/${now.slice(0, 4)}`,
                  quyen_so: `01/${now.slice(0, 4)}`,
                  ngay_dang_ky: now.slice(0, 10),
                  trang_thai: CIVIL_STATUS_CODES.REGISTERED,
                  ma_xa_dang_ky: child.address.communeCode,
                  ngay_tao: now,
                  updated_at: now,
                  da_xoa: false,
                  id_tre: personId,
                  ho_ten_tre: child.fullName,
                  ngay_sinh_tre: child.dateOfBirth.split('-').reverse().join('/'),
                  gioi_tinh_tre: child.sex === 'MALE' ? 1 : 2,
                  noi_sinh: `Trạm Y tế ${child.address.communeName}`,
                  id_cha: null,
                  ho_ten_cha: null,
                  id_me: null,
                  ho_ten_me: null,
                },
              ],
              trx,
            );
            result.truth.push(
              {
                source: 'civil-status',
                table: 'cong_dan',
                sourceRecordId: String(personId),
                entityType: 'person',
                entityId: child.entityId,
                noise: [],
              },
              {
                source: 'civil-status',
                table: 'khai_sinh',
                sourceRecordId: String(birthId),
                entityType: 'person',
                entityId: child.entityId,
                noise: [],
              },
            );
          });
          result.inserted += 2;
          break;
        }
        case 'CORRECT': {
          const key = await this.s.randomKey('cong_dan', { da_xoa: false });
          if (key === undefined) break;
          const row = await this.s
            .db('cong_dan')
            .where('id', key)
            .first<{ dia_chi_thuong_tru: string | null }>();
          // A clerk fixes the address to the post-2025 form (or retypes it): the row gets a new updated_at.
          await this.s.update('cong_dan', key, {
            dia_chi_thuong_tru: `${row?.dia_chi_thuong_tru ?? ''}`.replace(/, Huyện [^,]+/, ''),
            updated_at: now,
          });
          result.updated++;
          break;
        }
        case 'CANCEL': {
          const table = rng.pick(['khai_sinh', 'ket_hon', 'khai_tu']);
          const key = await this.s.randomKey(table, { da_xoa: false });
          if (key === undefined) break;
          await this.s.update(table, key, {
            da_xoa: true,
            trang_thai: CIVIL_STATUS_CODES.CANCELLED,
            updated_at: now,
          });
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
