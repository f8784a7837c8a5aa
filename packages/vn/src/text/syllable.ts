/**
 * A structural check of Vietnamese syllables (initial + vowel nucleus + final + tone rules). It is
 * used to score candidate decodings of legacy text, not to police spelling of names: minority names
 * and loanwords may fail it.
 */
import { splitTone } from './tone.js';

const NUCLEI_OPEN_ONLY = new Set(
  'ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ưa ua iêu yêu oai oao oay oeo uây uôi uya uyu ươi ươu oo'.split(
    ' ',
  ),
);
const NUCLEI_ANY = new Set('a ă â e ê i o ô ơ u ư y oa oă oe uâ uê uơ uy iê yê uô ươ uyê ue'.split(' '));
const SYLLABLE =
  /^(ngh|ng|nh|ch|tr|th|ph|kh|gh|gi|qu|[bcdđghklmnprstvx])?([aăâeêioôơuưy]+)(ng|nh|ch|[cmnpt])?$/;

export function isVietnameseSyllable(word: string): boolean {
  const { base, tone } = splitTone(word.normalize('NFC').toLowerCase());
  if (tone < 0) return false;
  let match = SYLLABLE.exec(base);
  if (!match && base.startsWith('gi')) match = /^(gi)()(ng|nh|ch|[cmnpt])?$/.exec(base);
  if (!match) return false;
  const nucleus = match[2] ?? '';
  const final = match[3];
  if (nucleus === '') return true; // gi + final: gìn, gịt
  if (final === undefined) return NUCLEI_OPEN_ONLY.has(nucleus) || NUCLEI_ANY.has(nucleus);
  // "oo" also closes with -ng and -c in loanwords of everyday speech: xoong, boong, choòng, moóc, soóc.
  if (!NUCLEI_ANY.has(nucleus) && !(nucleus === 'oo' && (final === 'ng' || final === 'c'))) return false;
  // Stopped finals take only sắc (4) or nặng (5), or no mark in loanwords.
  if (
    (final === 'c' || final === 'ch' || final === 'p' || final === 't') &&
    (tone === 1 || tone === 2 || tone === 3)
  )
    return false;
  return true;
}
