import { describe, expect, it } from 'vitest';
import { MappingSchema, canonicalMapping, type MappingInput } from './schema.js';
import { Mapper } from './engine.js';
import { deterministicEventId } from './event-id.js';

const identity = {
  system: 'civil-status',
  connectorId: 'civil-status-citizens',
  agencyCode: '000.00.00.H60',
};

function mapper(input: MappingInput) {
  return new Mapper(MappingSchema.parse(input), identity, () => 1_700_000_000_000);
}

const citizenMapping: MappingInput = {
  entity: 'citizen',
  recordId: 'id',
  updatedAt: 'updated_at',
  fields: {
    personalId: { from: 'so_dinh_danh', normalise: 'personalId' },
    legacyIds: { from: 'cmnd', normalise: 'legacyId' },
    fullName: 'ho_ten',
    dateOfBirth: { from: 'ngay_sinh' },
    sex: { from: 'gioi_tinh', map: { Nam: 'MALE', Nữ: 'FEMALE' }, default: 'UNKNOWN' },
    nationality: { const: 'VN' },
    permanentAddress: { from: 'dia_chi' },
    phone: { from: 'dien_thoai' },
    ethnicity: { template: '{dan_toc}' },
  },
};

const row = {
  id: 17,
  so_dinh_danh: '008185000123',
  cmnd: '070123456',
  ho_ten: '  nguyễn   thị  hoà ',
  ngay_sinh: '05/03/1985',
  gioi_tinh: 'nữ',
  dia_chi: 'Thôn 5, xã Lăng Can, huyện Lâm Bình, tỉnh Tuyên Quang',
  dien_thoai: '+84 912 345 678',
  dan_toc: 'Tày',
  updated_at: new Date('2025-03-05T01:02:03.000Z'),
};

describe('Mapper', () => {
  it('maps a source row onto CitizenObservedInput with the @hub/vn normalisers, keeping the raw record', () => {
    const r = mapper(citizenMapping).map({ data: row });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value;
    expect(r.key).toBe('civil-status:17');
    expect(v.personalId).toBe('008185000123');
    expect(v.legacyIds).toEqual([{ kind: 'CMND9', value: '070123456' }]);
    expect(v.fullName).toBe('nguyễn thị hoà'.normalize('NFC'));
    expect(v.dateOfBirth).toEqual({ year: 1985, month: 3, day: 5, precision: 'DAY' });
    expect(v.sex).toBe('FEMALE');
    expect(v.nationality).toBe('VN');
    expect(v.phone).toBe('0912345678');
    expect(v.ethnicity).toBe('Tày');
    expect((v.permanentAddress as { text: string }).text).toContain('Lăng Can');
    expect(v.operation).toBe('UPSERT');
    expect(v.occurredAt).toBe(row.updated_at.getTime());
    const source = v.source as Record<string, unknown>;
    expect(source).toMatchObject({
      system: 'civil-status',
      recordId: '17',
      connectorId: 'civil-status-citizens',
      agencyCode: '000.00.00.H60',
      updatedAt: row.updated_at.getTime(),
    });
    expect(JSON.parse(source.raw as string)).toMatchObject({
      id: 17,
      ho_ten: row.ho_ten,
      updated_at: '2025-03-05T01:02:03.000Z',
    });
  });

  it('keeps the date precision of a year or month of birth', () => {
    const m = mapper(citizenMapping);
    const y = m.map({ data: { ...row, ngay_sinh: 'năm 1950' } });
    const mo = m.map({ data: { ...row, ngay_sinh: '3/1950' } });
    expect(y.ok && y.value.dateOfBirth).toEqual({ year: 1950, month: null, day: null, precision: 'YEAR' });
    expect(mo.ok && mo.value.dateOfBirth).toEqual({ year: 1950, month: 3, day: null, precision: 'MONTH' });
  });

  it('repairs TCVN3 text in names', () => {
    const r = mapper(citizenMapping).map({ data: { ...row, ho_ten: 'NguyÔn V¨n An' } });
    expect(r.ok && r.value.fullName).toBe('Nguyễn Văn An');
  });

  it('reports every bad field of a record with the source field, the problem and a hint', () => {
    const r = mapper(citizenMapping).map({
      data: { ...row, so_dinh_danh: '12345', ngay_sinh: '31/02/1985', gioi_tinh: 'khác' },
      location: 'line 4',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.recordId).toBe('17');
    expect(r.location).toBe('line 4');
    const fields = r.errors.map((e) => e.field).sort();
    expect(fields).toEqual(['dateOfBirth', 'personalId', 'sex']);
    const sex = r.errors.find((e) => e.field === 'sex');
    expect(sex).toMatchObject({ source: 'gioi_tinh', code: 'ENUM_UNKNOWN' });
    expect(sex?.hint).toContain('Nam');
    for (const e of r.errors) expect(e.problem.length).toBeGreaterThan(3);
  });

  it('refuses a 9-digit CMND as a personal id and says where it belongs', () => {
    const r = mapper(citizenMapping).map({ data: { ...row, so_dinh_danh: '070123456' } });
    expect(!r.ok && r.errors[0]).toMatchObject({ field: 'personalId', code: 'CMND9_NOT_PERSONAL_ID' });
    expect(!r.ok && r.errors[0]?.hint).toContain('legacyIds');
  });

  it('reports a blank record id and a blank required field', () => {
    const m = mapper({
      ...citizenMapping,
      fields: { ...citizenMapping.fields, fullName: { from: 'ho_ten', required: true } },
    });
    const r = m.map({ data: { ...row, id: null, ho_ten: ' ' } });
    expect(!r.ok && r.errors.map((e) => e.code).sort()).toEqual(['RECORD_ID_MISSING', 'REQUIRED']);
  });

  it('gives the same record the same eventId every time, and a new version a new one', () => {
    const m = mapper(citizenMapping);
    const a = m.map({ data: row });
    const b = m.map({ data: { ...row } });
    const c = m.map({ data: { ...row, updated_at: new Date('2025-03-06T00:00:00Z') } });
    const d = m.map({ data: row, operation: 'DELETE' });
    expect(a.ok && b.ok && a.value.eventId === b.value.eventId).toBe(true);
    expect(a.ok && c.ok && a.value.eventId !== c.value.eventId).toBe(true);
    expect(a.ok && d.ok && a.value.eventId !== d.value.eventId).toBe(true);
    expect(a.ok && a.value.eventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('uses the content for the eventId when the source has no version or update time', () => {
    const p = { system: 's', recordId: '1', operation: 'UPSERT', version: null, updatedAt: null };
    expect(deterministicEventId({ ...p, raw: '{"a":1}' })).toBe(
      deterministicEventId({ ...p, raw: '{"a":1}' }),
    );
    expect(deterministicEventId({ ...p, raw: '{"a":1}' })).not.toBe(
      deterministicEventId({ ...p, raw: '{"a":2}' }),
    );
  });

  it('maps dossiers with nested applicant fields, enum maps and timestamps in Vietnamese local time', () => {
    const m = mapper({
      entity: 'dossier',
      recordId: 'ma_ho_so',
      fields: {
        dossierCode: 'ma_ho_so',
        'applicant.kind': { const: 'CITIZEN' },
        'applicant.personalId': 'cccd_nguoi_nop',
        channel: {
          from: 'kenh',
          map: { 'Trực tuyến': 'ONLINE', 'Trực tiếp': 'DIRECT', 'Bưu chính': 'POSTAL' },
        },
        receivedAt: 'ngay_nhan',
        status: {
          from: 'trang_thai',
          map: { 'Đã trả kết quả': 'RESULT_RETURNED', 'Đang xử lý': 'PROCESSING' },
        },
      },
    });
    const r = m.map({
      data: {
        ma_ho_so: '000.00.01.H60-250312-0001',
        cccd_nguoi_nop: '008185000123',
        kenh: 'truc tuyen',
        ngay_nhan: '2025-03-12 08:30:00',
        trang_thai: 'Đang xử lý',
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      dossierCode: '000.00.01.H60-250312-0001',
      applicant: { kind: 'CITIZEN', personalId: '008185000123' },
      channel: 'ONLINE',
      status: 'PROCESSING',
      receivedAt: Date.parse('2025-03-12T08:30:00+07:00'),
    });
  });

  it('fills a required enum with UNKNOWN and builds deletion tombstones with the identity fields', () => {
    const m = mapper({ entity: 'dossier', recordId: 'id', fields: { dossierCode: 'code' } });
    const r = m.map({ data: { id: 'a', code: '000.00.01.H60-250312-0002' } });
    expect(r.ok && r.value.applicant).toEqual({ kind: 'UNKNOWN' });
    if (!r.ok) return;
    const identity = m.identityOf(r.value);
    expect(identity).toEqual({ dossierCode: '000.00.01.H60-250312-0002', applicant: { kind: 'UNKNOWN' } });
    const t1 = m.tombstone('a', identity, r.value.eventId);
    const t2 = m.tombstone('a', identity, r.value.eventId);
    expect(t1.value).toMatchObject({
      operation: 'DELETE',
      dossierCode: '000.00.01.H60-250312-0002',
      source: { recordId: 'a' },
    });
    expect(t1.value.eventId).toBe(t2.value.eventId);
  });

  it('maps canonical pushes with the implied normalisers (tax codes, registration day)', () => {
    const m = new Mapper(canonicalMapping('business'), identity);
    const ok = m.map({
      data: {
        recordId: 'b1',
        enterpriseCode: '0100233488',
        registeredOn: '2020-01-02',
        industryCodes: ['4711', '5610'],
        kind: 'enterprise',
      },
    });
    expect(ok.ok && ok.value).toMatchObject({
      enterpriseCode: '0100233488',
      registeredOn: 18263,
      industryCodes: ['4711', '5610'],
      kind: 'ENTERPRISE',
    });
    const bad = m.map({ data: { recordId: 'b2', enterpriseCode: '0100233480' } });
    expect(!bad.ok && bad.errors[0]?.field).toBe('enterpriseCode');
  });
});

describe('text PostgreSQL cannot store', () => {
  it('refuses a NUL character in any field, nested ones included, naming the field', () => {
    const m = new Mapper(canonicalMapping('citizen'), { system: 'police-residence', connectorId: 'test' });
    const r = m.map({
      data: {
        recordId: 'NUL-1',
        personalId: '008185000999',
        fullName: 'Nguyễn\u0000Văn',
        permanentAddress: { text: 'xã Minh\u0000 Quang' },
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const nul = r.errors.filter((e) => e.code === 'CONTROL_CHARACTER').map((e) => e.field);
    expect(nul).toContain('fullName');
    expect(r.errors.find((e) => e.field === 'fullName')?.problem).toContain('U+0000');
  });
});
