/**
 * The catalogue shipped in `data/admin-units/` (provenance in its README): provinces before and after
 * 1/7/2025, the districts and communes of old Tuyên Quang (08) and Hà Giang (02), the 124 communes of
 * new Tuyên Quang and the NSO old→new commune mapping. Loaded once, at first use.
 */
import { column, readDataCsv } from '../data-files.js';
import { changeKindOf, type AdminCatalogue, type AdminUnit } from './types.js';

export const REFORM_DATE = '2025-07-01';
export const LAST_PRE_2025_DAY = '2025-06-30';
export const PRE_2025_SNAPSHOT_DATE = '2025-03-01';
/** Province of the 2025 commune file (its rows carry no parent column). */
const CURRENT_COMMUNES_PROVINCE = '08';

let cached: AdminCatalogue | undefined;

export function loadDefaultCatalogue(): AdminCatalogue {
  if (cached) return cached;
  const units: AdminUnit[] = [];
  const pre = { era: 'PRE_2025', validFrom: undefined, validTo: LAST_PRE_2025_DAY } as const;
  const cur = { era: 'CURRENT', validFrom: REFORM_DATE, validTo: undefined } as const;

  let file = 'admin-units/provinces-pre2025.csv';
  for (const row of readDataCsv(file)) {
    units.push({
      level: 'province',
      code: column(row, 'code', file),
      name: column(row, 'name', file),
      type: undefined,
      parentCode: undefined,
      ...pre,
    });
  }
  file = 'admin-units/provinces-2025.csv';
  for (const row of readDataCsv(file)) {
    units.push({
      level: 'province',
      code: column(row, 'code', file),
      name: column(row, 'name', file),
      type: column(row, 'type', file),
      parentCode: undefined,
      ...cur,
    });
  }
  file = 'admin-units/tuyen-quang-units-pre2025.csv';
  for (const row of readDataCsv(file)) {
    const level = column(row, 'level', file) === 'district' ? 'district' : 'commune';
    units.push({
      level,
      code: column(row, 'code', file),
      name: column(row, 'name', file),
      type: column(row, 'type', file),
      parentCode: column(row, 'parent_code', file),
      ...pre,
    });
  }
  file = 'admin-units/tuyen-quang-communes-2025.csv';
  for (const row of readDataCsv(file)) {
    units.push({
      level: 'commune',
      code: column(row, 'code', file),
      name: column(row, 'name', file),
      type: column(row, 'type', file),
      parentCode: CURRENT_COMMUNES_PROVINCE,
      ...cur,
    });
  }
  file = 'admin-units/tuyen-quang-commune-mapping-2025.csv';
  const mappings = readDataCsv(file).map((row) => {
    const change = column(row, 'change', file);
    return {
      oldCode: column(row, 'old_commune_code', file),
      oldName: column(row, 'old_name', file),
      newCode: column(row, 'new_commune_code', file),
      newName: column(row, 'new_name', file),
      oldDistrictCode: column(row, 'old_district_code', file),
      oldProvinceCode: column(row, 'old_province_code', file),
      change,
      changeKind: changeKindOf(change),
      remark: column(row, 'remark', file),
    };
  });
  cached = { units, mappings, reformDate: REFORM_DATE, pre2025SnapshotDate: PRE_2025_SNAPSHOT_DATE };
  return cached;
}
