import { describe, expect, it } from 'vitest';
import { MappingSchema, canonicalMapping } from './schema.js';
import { Mapper } from './engine.js';
import { targetFields } from './targets.js';
import { normalise } from './normalisers.js';

const identity = { system: 'civil-status', connectorId: 'civil-status-deaths' };

describe('array-of-record targets (civilEvents[])', () => {
  it('are mappable field by field and never required', () => {
    const kind = targetFields('citizen').get('civilEvents[].kind');
    expect(kind).toMatchObject({ kind: 'enum', required: false, itemOf: 'civilEvents' });
    expect(kind?.symbols).toContain('DEATH');
    expect(targetFields('citizen').get('civilEvents[].date')?.kind).toBe('precisionDate');
    expect(Object.keys(canonicalMapping('citizen').fields).some((f) => f.includes('[]'))).toBe(false);
  });

  it('one source row gives one item', () => {
    const m = new Mapper(
      MappingSchema.parse({
        entity: 'citizen',
        recordId: ['id', 'id_nguoi_mat'],
        fields: {
          fullName: 'ho_ten_nguoi_mat',
          'civilEvents[].kind': { const: 'DEATH' },
          'civilEvents[].date': 'ngay_mat',
          'civilEvents[].registrationNumber': 'so_dang_ky',
        },
      }),
      identity,
      () => 0,
    );
    const r = m.map({
      data: {
        id: 9,
        id_nguoi_mat: 4,
        ho_ten_nguoi_mat: 'Lý Văn A',
        ngay_mat: '02/03/2024',
        so_dang_ky: '5/2024',
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.recordId).toBe('9:4');
    expect(r.value.civilEvents).toEqual([
      {
        kind: 'DEATH',
        date: { year: 2024, month: 3, day: 2, precision: 'DAY' },
        registrationNumber: '5/2024',
      },
    ]);
  });

  it('refuses an unknown item symbol at start', () => {
    const parsed = MappingSchema.safeParse({
      entity: 'citizen',
      recordId: 'id',
      fields: { 'civilEvents[].kind': { from: 'loai', map: { KS: 'BORN' } } },
    });
    expect(parsed.success).toBe(false);
  });
});

describe('personNumber / cmnd9 (one column holding a CCCD or an old CMND)', () => {
  it('splits the number between personalId and legacyIds', () => {
    expect(normalise('personNumber', '008185000123')).toEqual({ ok: true, value: '008185000123' });
    expect(normalise('personNumber', '070123456')).toEqual({ ok: true, value: null });
    expect(normalise('cmnd9', '070123456')).toEqual({
      ok: true,
      value: [{ kind: 'CMND9', value: '070123456' }],
    });
    expect(normalise('cmnd9', '008185000123')).toEqual({ ok: true, value: null });
  });

  it('still refuses what is neither', () => {
    expect(normalise('personNumber', '12345').ok).toBe(false);
    expect(normalise('personNumber', 'abc').ok).toBe(false);
  });
});

describe('formats of department systems', () => {
  it('reads dd/mm/yyyy HH:mm:ss as Vietnam time, and compact yyyymmdd dates', () => {
    expect(normalise('datetime', '25/09/2023 12:06:32')).toEqual({
      ok: true,
      value: Date.parse('2023-09-25T12:06:32+07:00'),
    });
    expect(normalise('datetime', '31/02/2023 12:06:32').ok).toBe(false);
    expect(normalise('date', '25/09/2023 12:06:32')).toEqual({
      ok: true,
      value: { year: 2023, month: 9, day: 25, precision: 'DAY' },
    });
    expect(normalise('date', '19691014')).toEqual({
      ok: true,
      value: { year: 1969, month: 10, day: 14, precision: 'DAY' },
    });
  });

  it('maps any other value with a "*" key, and reads Vietnamese address keys', () => {
    const map = { '*': 'BUSINESS' };
    expect(normalise('enum', '5106469545', { map, symbols: ['CITIZEN', 'BUSINESS'] })).toEqual({
      ok: true,
      value: 'BUSINESS',
    });
    const a = normalise('address', { maTinh: '08', maXa: '02392', chiTiet: 'Thôn Cốc Phát' });
    expect(a).toMatchObject({
      ok: true,
      value: { provinceCode: '08', communeCode: '02392', detail: 'Thôn Cốc Phát' },
    });
  });
});
