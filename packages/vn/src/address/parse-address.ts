/**
 * Free-text Vietnamese addresses → unit codes, the detail line, the era the units belong to and a
 * confidence. Segments are read right to left (province, then district, then commune); what is left
 * of the commune is the detail line ("Thôn 5"). A pre-2025 address is also mapped to the current
 * commune(s) through the NSO conversion table.
 */
import { REFORM_DATE } from '../admin-units/default-catalogue.js';
import {
  defaultAdminRegistry,
  mapPre2025Address,
  type AdminRegistry,
  type Pre2025AddressMapping,
} from '../admin-units/registry.js';
import type { AdminUnit } from '../admin-units/types.js';
import { problem, type Problem } from '../problem.js';
import { foldAccents } from '../text/fold.js';
import { matchKey } from '../text/keys.js';
import { addressIndexFor, type AddressIndex } from './address-index.js';
import { readSegment, splitAddress, type Segment } from './segments.js';

export type AddressEra = 'PRE_2025' | 'CURRENT' | 'UNKNOWN';

export interface ParsedAddress {
  input: string;
  /** What precedes the commune: house number, street, hamlet ("Thôn 5"). */
  detail: string;
  era: AddressEra;
  province: AdminUnit | undefined;
  /** Only for pre-2025 addresses: districts were abolished on 1/7/2025. */
  district: AdminUnit | undefined;
  commune: AdminUnit | undefined;
  /** The commune(s) the address lies in today: itself, or the targets of the 2025 mapping. */
  currentCommunes: AdminUnit[];
  /** For pre-2025 addresses: the mapping with its change kinds ("Nhập toàn bộ", "Nhập một phần"). */
  mapping: Pre2025AddressMapping | undefined;
  /** 0–1. About 0.9+ when every level matched with its diacritics; below 0.5 means review. */
  confidence: number;
  warnings: Problem[];
}

export interface ParseAddressOptions {
  registry?: AdminRegistry;
  /** Date the address was recorded (ISO); decides the era when the text fits both. */
  at?: string;
}

const COUNTRY = new Set(['viet nam', 'vietnam', 'vn', 'nuoc chxhcn viet nam']);
const COMMUNE_TYPE: Record<string, string> = {
  xa: 'xã',
  x: 'xã',
  phuong: 'phường',
  p: 'phường',
  'thi tran': 'thị trấn',
  tt: 'thị trấn',
};

interface Scoring {
  score: number;
  warnings: Problem[];
}

function spellingCheck(seg: Segment, unit: AdminUnit, scoring: Scoring): void {
  const typed = seg.nameText.trim();
  if (matchKey(typed) === matchKey(unit.name)) return;
  if (foldAccents(typed) === typed) {
    scoring.score -= 0.03;
    return;
  }
  scoring.score -= 0.1;
  scoring.warnings.push(
    problem(
      'SPELLING_DIFFERS',
      `"${typed}" matched ${unit.level} ${unit.code} "${unit.name}" only without diacritics`,
      { field: unit.level },
    ),
  );
}

function lookup(map: Map<string, AdminUnit[]>, seg: Segment): AdminUnit[] {
  return map.get(seg.name) ?? (seg.typeWord !== undefined ? (map.get(seg.folded) ?? []) : []);
}

function provinceCodesOf(units: readonly AdminUnit[], era: AdminUnit['era']): Set<string> {
  return new Set(units.filter((u) => u.era === era).map((u) => u.code));
}

export function parseVietnameseAddress(input: string, options: ParseAddressOptions = {}): ParsedAddress {
  const registry = options.registry ?? defaultAdminRegistry();
  const index = addressIndexFor(registry);
  const text = input.normalize('NFC').trim();
  const segments = splitAddress(text).map(readSegment);
  const scoring: Scoring = { score: 0, warnings: [] };
  let i = segments.length - 1;
  while (i >= 0 && COUNTRY.has(segments[i]?.folded.replace(/\./g, '') ?? '')) i--;

  let provinces: AdminUnit[] = [];
  const provinceSeg = segments[i];
  if (provinceSeg && provinceSeg.typeLevel !== 'district' && provinceSeg.typeLevel !== 'commune') {
    const found = lookup(index.provinces, provinceSeg);
    const cityIsDistrict =
      provinceSeg.typeLevel === 'provinceOrDistrict' &&
      index.districts.has(provinceSeg.name) &&
      !found.some((u) => u.era === 'CURRENT' && u.type === 'thành phố');
    if (found.length > 0 && !cityIsDistrict) {
      provinces = found;
      scoring.score += 0.2;
      const shown = found[0];
      if (shown) spellingCheck(provinceSeg, shown, scoring);
      i--;
    }
  }

  const outOfScope = provinces.length > 0 && !provinces.some((p) => index.scope.has(p.code));
  if (outOfScope) {
    scoring.warnings.push(
      problem(
        'OUTSIDE_DATA_SCOPE',
        `${provinces[0]?.name ?? ''}: district and commune tables cover Tuyên Quang and former Hà Giang only; the rest is kept as detail`,
        {
          hint: 'import the province catalogue with importCommuneCatalogue and build a registry with it',
        },
      ),
    );
  }
  let district: AdminUnit | undefined;
  const districtSeg = outOfScope ? undefined : segments[i];
  if (districtSeg && districtSeg.typeLevel !== 'province' && districtSeg.typeLevel !== 'commune') {
    const prePlaces = provinceCodesOf(provinces, 'PRE_2025');
    const found = lookup(index.districts, districtSeg).filter(
      (d) => provinces.length === 0 || prePlaces.has(d.parentCode ?? ''),
    );
    if (found.length === 1 && found[0]) {
      district = found[0];
      scoring.score += 0.1;
      spellingCheck(districtSeg, district, scoring);
      i--;
    } else if (districtSeg.typeLevel === 'district') {
      scoring.warnings.push(
        problem(
          'UNKNOWN_DISTRICT',
          `district "${districtSeg.text}" is not in the tables${provinces.length ? ' for this province' : ''}`,
          { field: 'district' },
        ),
      );
      scoring.score -= 0.15;
      i--;
    }
  }

  const resolved = resolveCommune(
    outOfScope ? undefined : segments[i],
    index,
    provinces,
    district,
    options.at,
    scoring,
  );
  if (resolved.consumed) i--;
  const commune = resolved.commune;
  const era: AddressEra = commune
    ? commune.era
    : district || (provinces.length > 0 && provinces.every((p) => p.era === 'PRE_2025'))
      ? 'PRE_2025'
      : 'UNKNOWN';

  let province = provinces.find((p) => p.era === (era === 'UNKNOWN' ? 'CURRENT' : era)) ?? provinces[0];
  if (commune?.era === 'PRE_2025' && !district)
    district = registry.findUnit('district', commune.parentCode ?? '', '2025-06-30');
  if (!province) {
    const provinceCode = commune?.era === 'CURRENT' ? commune.parentCode : district?.parentCode;
    if (provinceCode !== undefined)
      province = registry.findUnit('province', provinceCode, era === 'CURRENT' ? REFORM_DATE : '2025-06-30');
  }
  let mapping: Pre2025AddressMapping | undefined;
  let currentCommunes: AdminUnit[] = [];
  if (commune?.era === 'CURRENT') currentCommunes = [commune];
  else if (commune && province) {
    const mapped = mapPre2025Address(
      { provinceCode: province.code, districtCode: district?.code, communeCode: commune.code },
      registry,
    );
    if (mapped.ok) {
      mapping = mapped.value;
      currentCommunes = mapped.value.current.map((c) => c.commune);
      if (mapped.value.ambiguous) {
        scoring.warnings.push(
          problem(
            'SPLIT_COMMUNE',
            `${commune.name} (${commune.code}) was split in 2025; the detail line decides between ${currentCommunes.map((c) => `${c.code} ${c.name}`).join(' and ')}`,
            { field: 'commune' },
          ),
        );
      }
    }
  }
  if (!commune && provinces.length === 0 && !district)
    scoring.warnings.push(
      problem('NO_UNIT_FOUND', 'no province, district or commune was recognised', {
        hint: 'check spelling; commune data cover Tuyên Quang and former Hà Giang',
      }),
    );
  const detail = segments
    .slice(0, i + 1)
    .map((s) => s.text)
    .join(', ');
  return {
    input,
    detail,
    era,
    province,
    district,
    commune,
    currentCommunes,
    mapping,
    confidence: Math.round(Math.max(0, Math.min(1, scoring.score)) * 100) / 100,
    warnings: scoring.warnings,
  };
}

function resolveCommune(
  seg: Segment | undefined,
  index: AddressIndex,
  provinces: readonly AdminUnit[],
  district: AdminUnit | undefined,
  at: string | undefined,
  scoring: Scoring,
): { commune: AdminUnit | undefined; consumed: boolean } {
  if (!seg || (seg.typeLevel !== undefined && seg.typeLevel !== 'commune'))
    return { commune: undefined, consumed: false };
  const prePlaces = provinceCodesOf(provinces, 'PRE_2025');
  const curPlaces = provinceCodesOf(provinces, 'CURRENT');
  const preAll = lookup(index.communesPre, seg);
  const curAll = lookup(index.communesCurrent, seg);
  let pre = preAll.filter((c) =>
    district
      ? c.parentCode === district.code
      : provinces.length === 0 || prePlaces.has(index.districtProvince.get(c.parentCode ?? '') ?? ''),
  );
  let cur = district ? [] : curAll.filter((c) => provinces.length === 0 || curPlaces.has(c.parentCode ?? ''));
  if (pre.length === 0 && cur.length === 0 && preAll.length + curAll.length > 0) {
    pre = district ? [] : preAll;
    cur = curAll;
    scoring.score -= 0.15;
    scoring.warnings.push(
      problem(
        'HIERARCHY_MISMATCH',
        `"${seg.text}" is not in the ${district ? 'district' : 'province'} given; matched by name alone (mixed old and new units?)`,
        { field: 'commune' },
      ),
    );
  }
  const wantedType = seg.typeWord === undefined ? undefined : COMMUNE_TYPE[seg.typeWord];
  if (wantedType) {
    const preTyped = pre.filter((c) => c.type === wantedType);
    const curTyped = cur.filter((c) => c.type === wantedType);
    if (preTyped.length + curTyped.length > 0) {
      pre = preTyped;
      cur = curTyped;
    }
  }
  let era: AdminUnit['era'] | undefined;
  if (district || (pre.length > 0 && cur.length === 0)) era = 'PRE_2025';
  else if (cur.length > 0 && pre.length === 0) era = 'CURRENT';
  else if (cur.length > 0 && pre.length > 0) {
    era =
      at !== undefined
        ? at < REFORM_DATE
          ? 'PRE_2025'
          : 'CURRENT'
        : provinces.length > 0 && provinces.every((p) => p.era === 'PRE_2025')
          ? 'PRE_2025'
          : 'CURRENT';
    if (at === undefined) {
      scoring.score -= 0.05;
      scoring.warnings.push(
        problem(
          'ERA_AMBIGUOUS',
          `"${seg.text}" names a unit both before and after 1/7/2025; read as ${era === 'CURRENT' ? 'current' : 'pre-2025'}`,
          { hint: 'pass options.at, the date the address was recorded' },
        ),
      );
    }
  }
  const candidates = era === 'PRE_2025' ? pre : era === 'CURRENT' ? cur : [];
  if (candidates.length === 1 && candidates[0]) {
    const commune = candidates[0];
    scoring.score += district ? 0.7 : provinces.length > 0 ? 0.8 : 0.6;
    spellingCheck(seg, commune, scoring);
    return { commune, consumed: true };
  }
  if (candidates.length > 1) {
    scoring.score -= 0.1;
    scoring.warnings.push(
      problem(
        'AMBIGUOUS_COMMUNE',
        `"${seg.text}" matches ${candidates.map((c) => `${c.code} ${c.name}`).join(', ')}`,
        { hint: 'add the district or province to the address' },
      ),
    );
    return { commune: undefined, consumed: true };
  }
  if (seg.typeLevel === 'commune') {
    scoring.score -= 0.1;
    scoring.warnings.push(
      problem('UNKNOWN_COMMUNE', `commune "${seg.text}" is not in the tables`, {
        field: 'commune',
        hint: 'commune data cover Tuyên Quang and former Hà Giang; import others with importCommuneCatalogue',
      }),
    );
    return { commune: undefined, consumed: true };
  }
  return { commune: undefined, consumed: false };
}
