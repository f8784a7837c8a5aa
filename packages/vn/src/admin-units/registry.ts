/**
 * Lookups over a catalogue: which unit a code names on a given day, and where a pre-2025 commune
 * went. `defaultAdminRegistry()` uses the shipped data; `createAdminRegistry` takes any catalogue,
 * e.g. one extended with `importCommuneCatalogue`.
 */
import { isRealDate } from '../identifiers/dossier-code.js';
import { fail, ok, problem, type ParseResult, type Problem } from '../problem.js';
import { loadDefaultCatalogue } from './default-catalogue.js';
import type { AdminCatalogue, AdminUnit, ChangeKind, CommuneMapping, UnitLevel } from './types.js';

export interface AdminRegistry {
  readonly catalogue: AdminCatalogue;
  /** Every unit (any era) with this level and code. */
  unitsWithCode(level: UnitLevel, code: string): readonly AdminUnit[];
  /** The unit with this code valid on `at` (ISO date), if any. */
  findUnit(level: UnitLevel, code: string, at: string): AdminUnit | undefined;
  /** Mapping rows from an old commune code. */
  mappingsFrom(oldCommuneCode: string): readonly CommuneMapping[];
  /** Mapping rows into a new commune code. */
  mappingsInto(newCommuneCode: string): readonly CommuneMapping[];
  /** Units of one level and era. */
  unitsOf(level: UnitLevel, era: AdminUnit['era']): readonly AdminUnit[];
}

export function isValidOn(unit: AdminUnit, at: string): boolean {
  return (
    (unit.validFrom === undefined || unit.validFrom <= at) &&
    (unit.validTo === undefined || at <= unit.validTo)
  );
}

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function createAdminRegistry(catalogue: AdminCatalogue): AdminRegistry {
  const byCode = group(catalogue.units, (u) => `${u.level}:${u.code}`);
  const byLevelEra = group(catalogue.units, (u) => `${u.level}:${u.era}`);
  const from = group(catalogue.mappings, (m) => m.oldCode);
  const into = group(catalogue.mappings, (m) => m.newCode);
  return {
    catalogue,
    unitsWithCode: (level, code) => byCode.get(`${level}:${code}`) ?? [],
    findUnit: (level, code, at) => (byCode.get(`${level}:${code}`) ?? []).find((u) => isValidOn(u, at)),
    mappingsFrom: (code) => from.get(code) ?? [],
    mappingsInto: (code) => into.get(code) ?? [],
    unitsOf: (level, era) => byLevelEra.get(`${level}:${era}`) ?? [],
  };
}

let defaultRegistry: AdminRegistry | undefined;

export function defaultAdminRegistry(): AdminRegistry {
  defaultRegistry ??= createAdminRegistry(loadDefaultCatalogue());
  return defaultRegistry;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CODE_WIDTH: Record<UnitLevel, number> = { province: 2, district: 3, commune: 5 };

/**
 * The unit a code names on a date. Problems say whether the code is unknown, malformed, closed
 * (with its successors when the mapping knows them) or not yet valid.
 */
export function resolveUnitCode(
  level: UnitLevel,
  code: string,
  at: string,
  registry: AdminRegistry = defaultAdminRegistry(),
): ParseResult<AdminUnit> {
  if (
    !ISO_DATE.test(at) ||
    !isRealDate(Number(at.slice(0, 4)), Number(at.slice(5, 7)), Number(at.slice(8, 10)))
  ) {
    return fail([problem('INVALID_DATE', `date "${at}" is not a real YYYY-MM-DD date`, { field: 'at' })]);
  }
  const trimmed = code.trim();
  const width = CODE_WIDTH[level];
  if (!/^\d+$/.test(trimmed) || trimmed.length !== width) {
    return fail([
      problem('MALFORMED_CODE', `a ${level} code is ${width} digits; got "${code}"`, {
        field: 'code',
        hint:
          /^\d+$/.test(trimmed) && trimmed.length < width
            ? `pad with leading zeros: ${trimmed.padStart(width, '0')}`
            : undefined,
      }),
    ]);
  }
  const found = registry.findUnit(level, trimmed, at);
  if (found) return ok(found);
  const all = registry.unitsWithCode(level, trimmed);
  if (all.length === 0) {
    return fail([
      problem('UNKNOWN_CODE', `no ${level} with code ${trimmed} in the catalogue`, {
        field: 'code',
        hint:
          level === 'province'
            ? undefined
            : 'commune and district data cover Tuyên Quang and Hà Giang only; import other provinces with importCommuneCatalogue',
      }),
    ]);
  }
  const problems: Problem[] = [];
  const latest = [...all].sort((a, b) => (b.validTo ?? '9999').localeCompare(a.validTo ?? '9999'))[0];
  if (latest?.validTo !== undefined && latest.validTo < at) {
    problems.push(
      problem('CLOSED_CODE', `${level} code ${trimmed} (${latest.name}) was closed after ${latest.validTo}`, {
        field: 'code',
        hint: successorHint(level, trimmed, registry) ?? `use the ${level} code valid on ${at}`,
      }),
    );
  } else {
    const earliest = [...all].sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? ''))[0];
    problems.push(
      problem(
        'NOT_YET_VALID',
        `${level} code ${trimmed} (${earliest?.name ?? ''}) is valid only from ${earliest?.validFrom ?? '?'}`,
        {
          field: 'code',
          hint: 'for an earlier date use the pre-2025 code and mapPre2025Address',
        },
      ),
    );
  }
  return fail(problems);
}

function successorHint(level: UnitLevel, code: string, registry: AdminRegistry): string | undefined {
  let targets: string[] = [];
  if (level === 'commune') targets = registry.mappingsFrom(code).map((m) => `${m.newCode} ${m.newName}`);
  if (level === 'province') {
    const provinces = new Set(
      registry.catalogue.mappings.filter((m) => m.oldProvinceCode === code).map((m) => m.newCode),
    );
    const parents = new Set(
      [...provinces].map(
        (c) => registry.unitsWithCode('commune', c).find((u) => u.era === 'CURRENT')?.parentCode,
      ),
    );
    targets = [...parents]
      .filter((p): p is string => p !== undefined)
      .map((p) =>
        `${p} ${registry.unitsWithCode('province', p).find((u) => u.era === 'CURRENT')?.name ?? ''}`.trim(),
      );
  }
  return targets.length > 0 ? `now part of ${[...new Set(targets)].join(', ')}` : undefined;
}

export function resolveProvinceCode(
  code: string,
  at: string,
  registry?: AdminRegistry,
): ParseResult<AdminUnit> {
  return resolveUnitCode('province', code, at, registry);
}

export function resolveCommuneCode(
  code: string,
  at: string,
  registry?: AdminRegistry,
): ParseResult<AdminUnit> {
  return resolveUnitCode('commune', code, at, registry);
}

export interface Pre2025Address {
  provinceCode: string;
  districtCode?: string;
  communeCode: string;
}

export interface CurrentCommuneCandidate {
  commune: AdminUnit;
  province: AdminUnit | undefined;
  change: string;
  changeKind: ChangeKind;
  remark: string;
}

export interface Pre2025AddressMapping {
  /** The codes as entered, kept unchanged. */
  entered: Pre2025Address;
  province: AdminUnit | undefined;
  district: AdminUnit | undefined;
  commune: AdminUnit;
  /** One candidate when merged whole or unchanged; several when the old commune was split. */
  current: CurrentCommuneCandidate[];
  /** True when more than one current commune is possible: the street detail decides. */
  ambiguous: boolean;
  warnings: Problem[];
}

/** Maps a pre-2025 address (province, district, commune codes) to the current commune(s). */
export function mapPre2025Address(
  entered: Pre2025Address,
  registry: AdminRegistry = defaultAdminRegistry(),
): ParseResult<Pre2025AddressMapping> {
  const at = '2025-06-30';
  const commune = registry.findUnit('commune', entered.communeCode.trim(), at);
  if (!commune) {
    const known = registry.unitsWithCode('province', entered.provinceCode.trim()).length > 0;
    return fail([
      problem('UNKNOWN_PRE_2025_COMMUNE', `no pre-2025 commune with code "${entered.communeCode}"`, {
        field: 'communeCode',
        hint: known
          ? 'commune data cover old Tuyên Quang (08) and Hà Giang (02); import other provinces with importCommuneCatalogue'
          : 'check the province code too',
      }),
    ]);
  }
  const warnings: Problem[] = [];
  const district =
    commune.parentCode === undefined ? undefined : registry.findUnit('district', commune.parentCode, at);
  if (entered.districtCode !== undefined && entered.districtCode.trim() !== commune.parentCode) {
    warnings.push(
      problem(
        'DISTRICT_MISMATCH',
        `commune ${commune.code} ${commune.name} belonged to district ${commune.parentCode ?? '?'}, not ${entered.districtCode}`,
        { field: 'districtCode' },
      ),
    );
  }
  const province =
    district?.parentCode === undefined ? undefined : registry.findUnit('province', district.parentCode, at);
  if (province && entered.provinceCode.trim() !== province.code) {
    warnings.push(
      problem(
        'PROVINCE_MISMATCH',
        `commune ${commune.code} belonged to province ${province.code} ${province.name}, not ${entered.provinceCode}`,
        { field: 'provinceCode' },
      ),
    );
  }
  const current: CurrentCommuneCandidate[] = [];
  for (const m of registry.mappingsFrom(commune.code)) {
    const newCommune = registry.findUnit('commune', m.newCode, registry.catalogue.reformDate);
    if (!newCommune) continue;
    const newProvince =
      newCommune.parentCode === undefined
        ? undefined
        : registry.findUnit('province', newCommune.parentCode, registry.catalogue.reformDate);
    current.push({
      commune: newCommune,
      province: newProvince,
      change: m.change,
      changeKind: m.changeKind,
      remark: m.remark,
    });
  }
  if (current.length === 0) {
    warnings.push(
      problem('NO_MAPPING', `the mapping table has no row for commune ${commune.code}`, {
        field: 'communeCode',
      }),
    );
  }
  return ok({
    entered: { ...entered },
    province,
    district,
    commune,
    current,
    ambiguous: current.length > 1,
    warnings,
  });
}
