/**
 * Tone-mark placement. Vietnamese writes the tone on one vowel of a syllable, and two conventions
 * coexist for open syllables with oa, oe, uy: "classic" hòa, hòe, thủy and "modern" hoà, hoè, thuỷ.
 * Both stay different after NFC, so match keys re-place every tone by one rule. Which convention is
 * official is unverified; the key only needs to be consistent, and the display form is never changed.
 */
export type ToneStyle = 'classic' | 'modern';

/** Tone marks as combining characters, index = tone number (1 = huyền … 5 = nặng). */
const TONE_MARKS = ['', '\u0300', '\u0309', '\u0303', '\u0301', '\u0323'] as const;
const BASE_VOWELS = 'aăâeêioôơuưyAĂÂEÊIOÔƠUƯY';
const SHAPED = new Set('ăâêôơưĂÂÊÔƠƯ');

/** toned char → [base vowel, tone] */
const SPLIT = new Map<string, [string, number]>();
/** base vowel + tone → toned char */
const JOIN = new Map<string, string>();

for (const base of BASE_VOWELS) {
  for (let tone = 0; tone < TONE_MARKS.length; tone++) {
    const toned = (base + (TONE_MARKS[tone] ?? '')).normalize('NFC');
    SPLIT.set(toned, [base, tone]);
    JOIN.set(base + String(tone), toned);
  }
}

export function isVowel(ch: string): boolean {
  return SPLIT.has(ch);
}

/** Splits a (NFC) syllable into its toneless letters and its tone (0 = none, -1 = more than one). */
export function splitTone(syllable: string): { base: string; tone: number } {
  let base = '';
  let tone = 0;
  for (const ch of syllable) {
    const split = SPLIT.get(ch);
    if (split && split[1] !== 0) {
      tone = tone === 0 ? split[1] : -1;
      base += split[0];
    } else {
      base += ch;
    }
  }
  return { base, tone };
}

/** Index in `base` of the vowel that carries the tone, or -1 when the syllable has no vowel. */
export function toneVowelIndex(base: string, style: ToneStyle): number {
  let start = -1;
  let end = -1;
  for (let i = 0; i < base.length; i++) {
    const ch = base[i] ?? '';
    if (SPLIT.has(ch)) {
      if (start < 0) start = i;
      end = i + 1;
    } else if (start >= 0) break;
  }
  if (start < 0) return -1;
  const prev = (base[start - 1] ?? '').toLowerCase();
  const first = (base[start] ?? '').toLowerCase();
  // "qu" and "gi" + vowel: the u / i belongs to the initial consonant.
  if (end - start > 1 && ((prev === 'q' && first === 'u') || (prev === 'g' && first === 'i' && start === 1)))
    start++;
  let lastShaped = -1;
  for (let i = start; i < end; i++) if (SHAPED.has(base[i] ?? '')) lastShaped = i;
  if (lastShaped >= 0) return lastShaped;
  const length = end - start;
  if (length === 1) return start;
  if (end < base.length) return end - 1; // closed syllable: hoàn, toán, khuyết
  if (length >= 3) return start + 1; // ngoài, khuỷu
  if (style === 'modern') {
    const pair = base.slice(start, end).toLowerCase();
    if (pair === 'oa' || pair === 'oe' || pair === 'uy') return start + 1;
  }
  return start;
}

/** Re-places the tone of one syllable by `style`. Syllables with two tones are returned unchanged. */
export function placeToneInSyllable(syllable: string, style: ToneStyle = 'classic'): string {
  const { base, tone } = splitTone(syllable);
  if (tone <= 0) return syllable;
  const index = toneVowelIndex(base, style);
  if (index < 0) return syllable;
  const vowel = base[index] ?? '';
  return base.slice(0, index) + (JOIN.get(vowel + String(tone)) ?? vowel) + base.slice(index + 1);
}

/** Re-places tone marks in every word of an NFC text ("hoà bình" → "hòa bình" in classic style). */
export function placeToneMarks(text: string, style: ToneStyle = 'classic'): string {
  return text.replace(/[\p{L}]+/gu, (word) => placeToneInSyllable(word, style));
}

/** Removes tone marks but keeps vowel shapes: "Nguyễn" → "Nguyên". */
export function stripTones(text: string): string {
  return splitTone(text.normalize('NFC')).base;
}
