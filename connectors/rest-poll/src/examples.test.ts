import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles, Mapper } from '@hub/connector-runtime';
import { RestPollConfigSchema } from './config.js';

const dirs = ['../config/examples', '../../config/departments/rest-poll'].map((d) =>
  fileURLToPath(new URL(d, import.meta.url)),
);

describe('configurations', () => {
  it('the examples and the department configurations validate', () => {
    const ids = loadConfigFiles(dirs, RestPollConfigSchema).map((l) => l.config.id);
    expect(ids).toContain('one-stop-dossiers');
  });

  it('the one-stop mapping carries how the result was returned (hinhThucTraKQ), null until it was', () => {
    const config = loadConfigFiles(dirs, RestPollConfigSchema).find(
      (l) => l.config.id === 'one-stop-dossiers',
    )!.config;
    const mapper = new Mapper(config.mapping, { system: 'one-stop', connectorId: config.id });
    const dossier = (over: Record<string, unknown>) => ({
      id: 7,
      maHoSo: '000.00.01.H60-250903-0007',
      maThuTuc: '1.001234',
      maDonVi: '000.00.01.H60',
      kenhNop: 2,
      nguoiNop: { hoTen: 'Nguyễn Văn An', soGiayTo: '008090001234' },
      toChuc: null,
      ngayTiepNhan: '03/09/2025 08:00:00',
      ngayHenTra: '10/09/2025 17:00:00',
      trangThai: '6',
      ngayCapNhat: '2025-09-08T10:00:00.000+07:00',
      daXoa: false,
      ...over,
    });
    const channels = [
      { hinhThucTraKQ: 2, ngayKetThuc: '08/09/2025 10:00:00' },
      { hinhThucTraKQ: 1, ngayKetThuc: '08/09/2025 10:00:00' },
      { hinhThucTraKQ: 3, ngayKetThuc: '08/09/2025 10:00:00' },
      { hinhThucTraKQ: null, trangThai: '2' },
    ].map((over) => {
      const r = mapper.map({ data: dossier(over) });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.value.resultChannel ?? null;
    });
    expect(channels).toEqual(['ELECTRONIC', 'DIRECT', 'POSTAL', null]);
  });
});
