/**
 * Normalisation and match keys for names and short texts.
 *
 * - `normalizeText`: NFC, trimmed, single spaces. The display form: never changes spelling.
 * - `matchKey`: lower case, one tone placement (classic: hòa, thủy). Keeps diacritics.
 * - `foldKey`: `matchKey` without any mark (đ → d), for input typed without diacritics.
 * - `phoneticKey`: tones stripped and common confusions merged (see `phoneticSyllable`).
 *
 * Keys are computed per syllable and cached, because the vocabulary of names and place names is
 * small (a few thousand syllables) and the same syllables repeat in every record.
 */
import { foldAccents } from './fold.js';
import { placeToneInSyllable, splitTone } from './tone.js';

const WHITESPACE = /[\s\u00a0\u200b\ufeff]+/g;

/** NFC, trimmed, internal whitespace collapsed to one space. Idempotent. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(WHITESPACE, ' ').trim();
}

interface SyllableKeys {
  match: string;
  fold: string;
  phonetic: string;
}

const CACHE_LIMIT = 50_000;
const cache = new Map<string, SyllableKeys>();

function keysOf(token: string): SyllableKeys {
  let keys = cache.get(token);
  if (keys === undefined) {
    const match = placeToneInSyllable(token, 'classic');
    keys = { match, fold: foldAccents(match), phonetic: phoneticSyllable(match) };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(token, keys);
  }
  return keys;
}

function tokens(text: string): string[] {
  const normalized = normalizeText(text).toLowerCase();
  return normalized === '' ? [] : normalized.split(' ');
}

/** Lower-case key with one canonical tone placement: "Thuỷ  HOÀ" and "thủy hòa" give "thủy hòa". */
export function matchKey(text: string): string {
  return tokens(text)
    .map((t) => keysOf(t).match)
    .join(' ');
}

/** Accent-free lower-case key: "Đặng Thị Thủy" → "dang thi thuy". */
export function foldKey(text: string): string {
  return tokens(text)
    .map((t) => keysOf(t).fold)
    .join(' ');
}

/** All three keys in one pass (what a matcher usually needs). */
export function nameKeys(text: string): { display: string; match: string; fold: string; phonetic: string } {
  const display = normalizeText(text);
  const parts = display === '' ? [] : display.toLowerCase().split(' ').map(keysOf);
  return {
    display,
    match: parts.map((k) => k.match).join(' '),
    fold: parts.map((k) => k.fold).join(' '),
    phonetic: parts.map((k) => k.phonetic).join(' '),
  };
}

/** Phonetic key of a text: syllable keys joined by spaces. */
export function phoneticKey(text: string): string {
  return tokens(text)
    .map((t) => keysOf(t).phonetic)
    .join(' ');
}

const INITIALS: ReadonlyArray<[string, string]> = [
  ['ngh', 'ng'],
  ['ng', 'ng'],
  ['nh', 'nh'],
  ['ch', 'c'],
  ['tr', 'c'],
  ['th', 'th'],
  ['ph', 'f'],
  ['kh', 'kh'],
  ['gh', 'g'],
  ['gi', 'z'],
  ['qu', 'kw'],
  ['d', 'z'],
  ['r', 'z'],
  ['đ', 'd'],
  ['s', 's'],
  ['x', 's'],
  ['n', 'n'],
  ['l', 'n'],
  ['c', 'k'],
  ['k', 'k'],
  ['q', 'k'],
  ['g', 'g'],
  ['f', 'f'],
];
const FINALS: ReadonlyArray<[string, string]> = [
  ['ng', 'n'],
  ['nh', 'nh'],
  ['ch', 'ch'],
  ['n', 'n'],
  ['c', 't'],
  ['t', 't'],
  ['m', 'm'],
  ['p', 'p'],
];
const SHAPE_ASCII: Record<string, string> = { ă: 'aw', â: 'aa', ê: 'ee', ô: 'oo', ơ: 'ow', ư: 'uw', đ: 'd' };

/**
 * Phonetic key of one lower-case syllable, for northern and southern spelling confusions:
 * tones stripped; initials d/gi/r → z, ch/tr → c, s/x → s, n/l → n, c/k/q → k, g/gh → g, ng/ngh → ng;
 * finals n/ng → n, c/t → t; a bare nucleus y → i (Quý/Quí); vowel shapes kept in Telex form.
 */
export function phoneticSyllable(syllable: string): string {
  const base = splitTone(syllable).base;
  if (base === 'gi') return 'zi';
  let initial = '';
  let rest = base;
  for (const [spelling, key] of INITIALS) {
    if (base.startsWith(spelling) && base.length > spelling.length) {
      initial = key;
      rest = base.slice(spelling.length);
      break;
    }
  }
  if (initial === 'z' && base.startsWith('gi') && !/^[aăâeêioôơuưy]/.test(rest)) rest = `i${rest}`; // gìn → z + in
  let final = '';
  for (const [spelling, key] of FINALS) {
    if (rest.endsWith(spelling) && rest.length > spelling.length) {
      final = key;
      rest = rest.slice(0, rest.length - spelling.length);
      break;
    }
  }
  if (rest === 'y') rest = 'i';
  let nucleus = '';
  for (const ch of rest) nucleus += SHAPE_ASCII[ch] ?? foldAccents(ch);
  return initial + nucleus + final;
}
