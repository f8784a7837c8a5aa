import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles, Mapper } from '@hub/connector-runtime';
import { HttpIngestConfigSchema } from './config.js';

describe('example configuration', () => {
  it('validates', () => {
    const dir = fileURLToPath(new URL('../config/examples', import.meta.url));
    const loaded = loadConfigFiles([dir], HttpIngestConfigSchema);
    expect(loaded[0]?.config.sources.map((s) => s.system)).toEqual([
      'police-residence',
      'social-protection',
      'one-stop',
    ]);
  });

  it('the department configuration validates and maps a police residence event', () => {
    const dir = fileURLToPath(new URL('../../config/departments/http-ingest', import.meta.url));
    const [loaded] = loadConfigFiles([dir], HttpIngestConfigSchema);
    const police = loaded?.config.sources.find((s) => s.system === 'police-residence');
    const mapping = police?.entities.citizen?.mapping;
    if (!mapping) throw new Error('police-residence maps its own shape');
    const m = new Mapper(mapping, { system: 'police-residence', connectorId: 'http-ingest' });
    const r = m.map({
      data: {
        eventId: 'cutru-1',
        loaiSuKien: 'XOA_DANG_KY_THUONG_TRU',
        thoiDiem: '2025-07-01T09:21:54.000Z',
        congDan: {
          soDinhDanh: '008069068200',
          soCmnd: '070835036',
          hoVaTen: 'Hoàng Văn Quyên',
          ngaySinh: '19691014',
          gioiTinh: 1,
          danToc: '15',
          quocTich: 'VN',
          noiThuongTru: { maTinh: '08', maXa: '02392', chiTiet: 'Thôn Cốc Phát' },
          ngayMat: '20250301',
        },
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      personalId: '008069068200',
      sex: 'MALE',
      dateOfBirth: { year: 1969, month: 10, day: 14 },
      permanentAddress: { provinceCode: '08', communeCode: '02392', detail: 'Thôn Cốc Phát' },
      civilEvents: [{ kind: 'DEATH', date: { year: 2025, month: 3, day: 1 } }],
    });
  });
});
