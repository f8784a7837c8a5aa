/**
 * Guesses how a Vietnamese text was damaged and repairs it. Each candidate decoding (as is, TCVN3,
 * VNI, UTF-8 read as CP1252, UTF-8 read as CP437) is scored by the share of its words that are
 * well-formed Vietnamese syllables; a mojibake repair also needs strictly valid UTF-8 bytes.
 */
import { decodeTcvn3, decodeVni } from './legacy-encodings.js';
import { repairMojibake } from './mojibake.js';
import { isVietnameseSyllable } from './syllable.js';

export type TextEncodingGuess = 'UNICODE' | 'TCVN3' | 'VNI' | 'UTF8_AS_CP1252' | 'UTF8_AS_CP437';

export interface TextRepair {
  encoding: TextEncodingGuess;
  /** 0–1: how sure the guess is. Repairs under ~0.5 should be reviewed by a person. */
  confidence: number;
  /** The repaired text (NFC); the input itself when `encoding` is `UNICODE`. */
  text: string;
  /** Share of words that are well-formed syllables, before and after. */
  syllableScore: { before: number; after: number };
}

const WORD = /[\p{L}\u00ad]+/gu;

/** Share of the words with a letter outside ASCII or a symbol that are well-formed syllables. */
export function syllableScore(text: string): number {
  const words = text.normalize('NFC').match(WORD) ?? [];
  if (words.length === 0) return 1;
  let valid = 0;
  for (const word of words) if (isVietnameseSyllable(word)) valid++;
  return valid / words.length;
}

/** Symbols that never occur in clean Vietnamese text (Latin-1 punctuation, box drawing, Greek). */
const JUNK = /[\u0080-\u00bf\u00d7\u00f7\u2500-\u259f\u0370-\u03ff\u2018-\u201e\u2020-\u2122]/g;

function junkShare(text: string): number {
  const junk = text.match(JUNK)?.length ?? 0;
  return text.length === 0 ? 0 : junk / text.length;
}

/** Detects legacy encodings and mojibake and returns the most plausible text with a confidence. */
export function detectAndRepairText(input: string): TextRepair {
  const original = input.normalize('NFC');
  const before = syllableScore(original);
  const originalJunk = junkShare(original);
  const candidates: Array<{ encoding: TextEncodingGuess; text: string; bonus: number }> = [];
  if (/[\u0080-\u00ff]/.test(original)) {
    candidates.push({ encoding: 'TCVN3', text: decodeTcvn3(original), bonus: 0 });
    candidates.push({ encoding: 'VNI', text: decodeVni(original), bonus: 0 });
  }
  for (const [source, encoding] of [
    ['CP1252', 'UTF8_AS_CP1252'],
    ['CP437', 'UTF8_AS_CP437'],
  ] as const) {
    const repaired = repairMojibake(original, source);
    if (repaired) candidates.push({ encoding, text: repaired.text, bonus: 0.25 });
  }
  let best: TextRepair = {
    encoding: 'UNICODE',
    confidence: 0,
    text: original,
    syllableScore: { before, after: before },
  };
  let bestScore = before - originalJunk;
  for (const candidate of candidates) {
    if (candidate.text === original) continue;
    const after = syllableScore(candidate.text);
    const score = after - junkShare(candidate.text) + candidate.bonus;
    if (score > bestScore + 0.05) {
      bestScore = score;
      const gain = after - before + (originalJunk - junkShare(candidate.text)) + candidate.bonus;
      best = {
        encoding: candidate.encoding,
        confidence: round2(Math.max(0, Math.min(0.99, after * (0.5 + gain)))),
        text: candidate.text,
        syllableScore: { before, after },
      };
    }
  }
  if (best.encoding === 'UNICODE') best.confidence = round2(Math.max(0, Math.min(1, before - originalJunk)));
  return best;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
