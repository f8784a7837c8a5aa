/**
 * Splits a free-text address into segments and reads the unit-type word at the start of each
 * segment, including abbreviations (TP., TT., P., X., H., Q., TX., T.).
 */
import { foldAccents } from '../text/fold.js';

export type TypeLevel = 'province' | 'provinceOrDistrict' | 'district' | 'commune';

export interface Segment {
  /** Original text (NFC, trimmed). */
  text: string;
  /** Folded, lower-case, single-spaced text. */
  folded: string;
  /** Type word found at the start, folded and without the dot ("tp", "xa", "thi tran"). */
  typeWord: string | undefined;
  typeLevel: TypeLevel | undefined;
  /** Folded name after the type word; the whole folded text when there is none. */
  name: string;
  /** Original-spelling name after the type word. */
  nameText: string;
}

const TYPE_LEVEL: Record<string, TypeLevel> = {
  tinh: 'province',
  t: 'province',
  'thanh pho': 'provinceOrDistrict',
  tp: 'provinceOrDistrict',
  'thi xa': 'district',
  tx: 'district',
  quan: 'district',
  q: 'district',
  huyen: 'district',
  h: 'district',
  'thi tran': 'commune',
  tt: 'commune',
  phuong: 'commune',
  p: 'commune',
  xa: 'commune',
  x: 'commune',
};

/** Full words need a following space; abbreviations need a dot, or a space for the two-letter ones. */
const TYPE_PREFIX =
  /^(thanh pho|thi xa|thi tran|tinh|quan|huyen|phuong|xa|t\.p|tp|tx|tt|t|q|h|p|x)(\.\s*|\s+)/;
/** Type words inside a segment, where a missing comma must be restored ("xã A huyện B"). */
const INNER_TYPE =
  / (?=((?:thanh pho|thi xa|thi tran|tinh|quan|huyen|phuong|xa|tp\.?|tx\.?|tt\.?|h\.|p\.|x\.|q\.) ?)\S)/g;

export function readSegment(text: string): Segment {
  const folded = foldAccents(text).toLowerCase();
  const match = TYPE_PREFIX.exec(folded);
  if (match) {
    const word = (match[1] ?? '').replace('.', '');
    const separator = match[2] ?? '';
    const abbreviation = word.length === 1;
    if (!(abbreviation && !separator.startsWith('.')) && folded.length > match[0].length) {
      const offset = match[0].length;
      return {
        text,
        folded,
        typeWord: word,
        typeLevel: TYPE_LEVEL[word],
        name: folded.slice(offset),
        nameText: text.slice(offset),
      };
    }
  }
  return { text, folded, typeWord: undefined, typeLevel: undefined, name: folded, nameText: text };
}

/** Splits on commas, semicolons and spaced dashes, then before inner type words. */
export function splitAddress(input: string): string[] {
  const parts: string[] = [];
  for (const raw of input.split(/[,;|\n]| - | – /)) {
    const text = raw.replace(/\s+/g, ' ').trim();
    if (text === '') continue;
    const folded = foldAccents(text).toLowerCase();
    if (folded.length !== text.length) {
      parts.push(text);
      continue;
    }
    let start = 0;
    for (const match of folded.matchAll(INNER_TYPE)) {
      const at = match.index;
      // Only before a capitalised name or a number: "xã Yên Xá huyện …" must not split at "Xá".
      const next = text[at + 1 + (match[1]?.length ?? 0)] ?? '';
      if (next === next.toLowerCase() && !/\d/.test(next)) continue;
      // A capitalised full word inside a segment is part of a name ("xã Sán Xả Hồ"), not a type
      // word; inner type words are written in lower case or abbreviated ("huyện", "H.", "TP.").
      const word = text.slice(at + 1, at + 1 + (match[1]?.length ?? 0));
      if (/^\p{Lu}/u.test(word) && !word.endsWith('.') && word !== word.toUpperCase()) continue;
      const piece = text.slice(start, at).trim();
      // A piece that is only a type word ("xã" in "xã Xà Phìn") stays with what follows.
      if (
        piece !== '' &&
        readSegment(piece).typeWord === undefined &&
        TYPE_PREFIX.test(`${foldAccents(piece).toLowerCase()} `)
      )
        continue;
      if (piece !== '') parts.push(piece);
      start = at + 1;
    }
    const rest = text.slice(start).trim();
    if (rest !== '') parts.push(rest);
  }
  return parts;
}
