/**
 * Personal-name parsing. Vietnamese order is family name, middle name(s), given name. Compound family
 * names and equivalent family names are data (`COMPOUND_FAMILY_NAMES`, `FAMILY_NAME_EQUIVALENTS`) and
 * can be extended per call; the parser never changes the spelling it was given.
 */
import { type Problem } from '../problem.js';
import { matchKey, normalizeText } from './keys.js';

/** Two-syllable family names (Hoàng Phủ, Tôn Thất, Âu Dương, …). Extend with options.compoundFamilyNames. */
export const COMPOUND_FAMILY_NAMES: readonly string[] = [
  'Hoàng Phủ',
  'Tôn Thất',
  'Tôn Nữ',
  'Âu Dương',
  'Tư Mã',
  'Gia Cát',
  'Thượng Quan',
  'Công Tôn',
  'Tôn Thất Nữ',
  'Công Tằng Tôn Nữ',
];

/**
 * Family names written differently for the same lineage or by region: Dao Bàn/Phàn, northern
 * Hoàng / southern Huỳnh, Vũ/Võ. The first spelling of each group is the group key.
 */
export const FAMILY_NAME_EQUIVALENTS: ReadonlyArray<readonly string[]> = [
  ['Bàn', 'Phàn'],
  ['Hoàng', 'Huỳnh'],
  ['Vũ', 'Võ'],
];

export type MiddleNameMarker = 'HMONG_A' | 'THI' | 'VAN';

export interface ParsedName {
  /** NFC, single-spaced, as written. */
  display: string;
  family: string;
  middle: string[];
  given: string;
  compoundFamily: boolean;
  /** Match key of the family name, with equivalent spellings folded to one (Phàn → bàn). */
  familyKey: string;
  /**
   * A traditional middle-name marker: "A" for Hmong men (Hầu A Lềnh), "Thị" (female), "Văn" (male).
   * A hint, not a fact about sex.
   */
  marker: MiddleNameMarker | undefined;
  warnings: Problem[];
}

export interface ParseNameOptions {
  compoundFamilyNames?: readonly string[];
  familyNameEquivalents?: ReadonlyArray<readonly string[]>;
}

interface Tables {
  compounds: Set<string>;
  maxCompound: number;
  equivalents: Map<string, string>;
}

let defaultTables: Tables | undefined;

function tablesFor(options: ParseNameOptions): Tables {
  if (!options.compoundFamilyNames && !options.familyNameEquivalents && defaultTables) return defaultTables;
  const compounds = new Set([...COMPOUND_FAMILY_NAMES, ...(options.compoundFamilyNames ?? [])].map(matchKey));
  const equivalents = new Map<string, string>();
  for (const group of [...FAMILY_NAME_EQUIVALENTS, ...(options.familyNameEquivalents ?? [])]) {
    const head = matchKey(group[0] ?? '');
    for (const name of group) equivalents.set(matchKey(name), head);
  }
  const maxCompound = Math.max(...[...compounds].map((c) => c.split(' ').length));
  const tables = { compounds, maxCompound, equivalents };
  if (!options.compoundFamilyNames && !options.familyNameEquivalents) defaultTables = tables;
  return tables;
}

const MARKERS: Record<string, MiddleNameMarker> = { a: 'HMONG_A', thị: 'THI', văn: 'VAN' };

/** Splits a full name into family, middle and given names. */
export function parseVietnameseName(input: string, options: ParseNameOptions = {}): ParsedName {
  const display = normalizeText(input);
  const words = display === '' ? [] : display.split(' ');
  const keys = words.map((w) => matchKey(w));
  const tables = tablesFor(options);
  const warnings: Problem[] = [];
  if (words.length < 2) {
    warnings.push({
      code: words.length === 0 ? 'EMPTY_NAME' : 'SINGLE_WORD_NAME',
      message:
        words.length === 0 ? 'the name is empty' : `"${display}" has one word; it is taken as the given name`,
      field: 'name',
      hint: 'check whether the family name was entered in another field',
    });
  }
  let familyLength = words.length >= 2 ? 1 : 0;
  // Longest compound first, but always leave one word for the given name.
  for (let n = Math.min(tables.maxCompound, words.length - 1); n >= 2; n--) {
    if (tables.compounds.has(keys.slice(0, n).join(' '))) {
      familyLength = n;
      break;
    }
  }
  const family = words.slice(0, familyLength).join(' ');
  const given = words.length > 0 ? (words[words.length - 1] ?? '') : '';
  const middle = words.slice(familyLength, Math.max(familyLength, words.length - 1));
  const familyMatch = keys.slice(0, familyLength).join(' ');
  let marker: MiddleNameMarker | undefined;
  const firstMiddle = keys[familyLength];
  if (middle.length > 0 && firstMiddle !== undefined) marker = MARKERS[firstMiddle];
  return {
    display,
    family,
    middle,
    given,
    compoundFamily: familyLength > 1,
    familyKey: tables.equivalents.get(familyMatch) ?? familyMatch,
    marker,
    warnings,
  };
}
