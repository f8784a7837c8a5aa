/**
 * Name indexes over a registry for address parsing: accent-folded, lower-case names of provinces,
 * pre-2025 districts and communes of both eras. Built once per registry.
 */
import { defaultAdminRegistry, type AdminRegistry } from '../admin-units/registry.js';
import type { AdminUnit } from '../admin-units/types.js';
import { foldKey } from '../text/keys.js';

export interface AddressIndex {
  provinces: Map<string, AdminUnit[]>;
  districts: Map<string, AdminUnit[]>;
  communesPre: Map<string, AdminUnit[]>;
  communesCurrent: Map<string, AdminUnit[]>;
  /** Pre-2025 district code → province code. */
  districtProvince: Map<string, string>;
  /** Province codes (either era) for which the registry has districts or communes. */
  scope: Set<string>;
}

/** Extra spellings for a few provinces, folded. The key is the alias, the value the province name. */
export const PROVINCE_ALIASES: Readonly<Record<string, string>> = {
  'tp hcm': 'ho chi minh',
  tphcm: 'ho chi minh',
  hcm: 'ho chi minh',
  'sai gon': 'ho chi minh',
  'thua thien hue': 'hue',
};

const cache = new WeakMap<AdminRegistry, AddressIndex>();

function add(map: Map<string, AdminUnit[]>, key: string, unit: AdminUnit): void {
  const list = map.get(key);
  if (list) list.push(unit);
  else map.set(key, [unit]);
}

export function addressIndexFor(registry: AdminRegistry = defaultAdminRegistry()): AddressIndex {
  const existing = cache.get(registry);
  if (existing) return existing;
  const index: AddressIndex = {
    provinces: new Map(),
    districts: new Map(),
    communesPre: new Map(),
    communesCurrent: new Map(),
    districtProvince: new Map(),
    scope: new Set(),
  };
  for (const unit of registry.catalogue.units) {
    const key = foldKey(unit.name);
    if (unit.level === 'province') {
      add(index.provinces, key, unit);
      if (key.includes(' - ')) add(index.provinces, key.replace(' - ', ' '), unit);
    } else if (unit.level === 'district') {
      add(index.districts, key, unit);
      if (unit.parentCode !== undefined) index.districtProvince.set(unit.code, unit.parentCode);
    } else if (unit.era === 'PRE_2025') add(index.communesPre, key, unit);
    else add(index.communesCurrent, key, unit);
  }
  for (const unit of registry.catalogue.units) {
    if (unit.level === 'district' || (unit.level === 'commune' && unit.era === 'CURRENT'))
      index.scope.add(unit.parentCode ?? '');
  }
  for (const [alias, name] of Object.entries(PROVINCE_ALIASES)) {
    for (const unit of index.provinces.get(name) ?? []) add(index.provinces, alias, unit);
  }
  cache.set(registry, index);
  return index;
}
