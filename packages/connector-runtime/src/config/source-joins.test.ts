import { describe, expect, it } from 'vitest';
import { MappingSchema } from '../mapping/schema.js';
import {
  isSoftDeleted,
  joinedRecord,
  joinMappingIssues,
  JoinKeyNotUniqueError,
  memoryJoin,
  SourceJoinSchema,
  type SourceJoin,
} from './source-joins.js';

const husband: SourceJoin = SourceJoinSchema.parse({
  as: 'chong',
  table: 'cong_dan',
  column: 'id_chong',
  references: 'id',
  columns: ['so_giay_to', 'ngay_sinh'],
  softDelete: { column: 'da_xoa', deletedValues: [true] },
});

const persons = [
  { id: 1, so_giay_to: '008080001234', ngay_sinh: '12/03/1980', da_xoa: 0 },
  { id: 2, so_giay_to: '123456789', ngay_sinh: null, da_xoa: 1 },
];

describe('memoryJoin (the in-memory form of the sql-poll LEFT JOIN)', () => {
  const join = memoryJoin([husband], (table) => (table === 'cong_dan' ? persons : []));

  it('adds the referenced row’s columns under the join name, keys compared as text', () => {
    expect(join({ id: 10, id_chong: '1', updated_at: 'x' })).toEqual({
      id: 10,
      id_chong: '1',
      updated_at: 'x',
      chong: { so_giay_to: '008080001234', ngay_sinh: '12/03/1980' },
    });
  });

  it('reads a missing, absent or soft-deleted referenced row as nulls (TINYINT 1 matches true)', () => {
    const nulls = { so_giay_to: null, ngay_sinh: null };
    expect(join({ id: 11, id_chong: 2 }).chong).toEqual(nulls);
    expect(join({ id: 12, id_chong: 99 }).chong).toEqual(nulls);
    expect(join({ id: 13, id_chong: null }).chong).toEqual(nulls);
  });

  it('refuses a referenced column that is not unique', () => {
    expect(() => memoryJoin([husband], () => [{ id: 1 }, { id: '1' }])).toThrow(JoinKeyNotUniqueError);
  });
});

describe('joinedRecord', () => {
  it('is what sql-poll builds from the aliased columns of its query (soft delete applied the same way)', () => {
    const row = { id: 10, id_chong: 2 };
    expect(
      joinedRecord(row, [husband], () => ({ so_giay_to: 'x', ngay_sinh: 'y', da_xoa: false })).chong,
    ).toEqual({
      so_giay_to: 'x',
      ngay_sinh: 'y',
    });
    expect(
      joinedRecord(row, [husband], () => ({ so_giay_to: 'x', ngay_sinh: 'y', da_xoa: true })).chong,
    ).toEqual({
      so_giay_to: null,
      ngay_sinh: null,
    });
  });

  it('refuses a join named like a column of the row (it would hide that column)', () => {
    expect(() => joinedRecord({ id: 10, chong: 'x' }, [husband], () => undefined)).toThrow(
      /named like a column/,
    );
  });

  it('isSoftDeleted: any non-null value without deletedValues; listed values otherwise', () => {
    expect(isSoftDeleted({ deleted_at: '2025-01-01' }, { column: 'deleted_at' })).toBe(true);
    expect(isSoftDeleted({ deleted_at: null }, { column: 'deleted_at' })).toBe(false);
    expect(isSoftDeleted({ s: 9 }, { column: 's', deletedValues: [9] })).toBe(true);
    expect(isSoftDeleted({ s: 1 }, { column: 's', deletedValues: [9] })).toBe(false);
  });
});

describe('joinMappingIssues', () => {
  const mapping = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    MappingSchema.parse({ entity: 'citizen', recordId: 'id', updatedAt: 'updated_at', fields, ...extra });

  it('accepts a mapping reading the joined columns', () => {
    const m = mapping({
      fullName: 'ho_ten_chong',
      personalId: 'chong.so_giay_to',
      dateOfBirth: 'chong.ngay_sinh',
    });
    expect(joinMappingIssues([husband], m)).toEqual([]);
  });

  it('names the mapping field reading a column the join does not read', () => {
    const m = mapping(
      { fullName: 'ho_ten_chong', dateOfBirth: { from: ['chong.ngay_sinh', 'chong.nam_sinh'] } },
      { addressAt: 'chong.ngay_tao' },
    );
    const issues = joinMappingIssues([husband], m);
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'mapping.addressAt',
      'mapping.fields.dateOfBirth.from',
    ]);
    expect(issues[1]?.message).toContain('nam_sinh is not a column join "chong" reads');
  });

  it('keeps the record id and update time the row’s own, and join names unique', () => {
    const m = mapping(
      { fullName: 'ho_ten_chong' },
      { recordId: ['id', 'chong.so_giay_to'], updatedAt: 'chong.ngay_sinh' },
    );
    const issues = joinMappingIssues([husband, husband], m, ['id', 'chong']);
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'source.joins.0.as',
      'source.joins.1.as',
      'source.joins.1.as',
      'mapping.recordId',
      'mapping.updatedAt',
    ]);
  });
});
