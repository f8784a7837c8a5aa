/**
 * Decoders for pre-Unicode Vietnamese text that reached us as Latin-1/CP1252 characters:
 * - TCVN3 (ABC, TCVN 5712:1993 VN3, fonts `.VnTime`/`.VnTimeH`): one byte per letter. Toned capitals do
 *   not exist in the normal font; `.VnTimeH` draws the same bytes as capitals (option `allCaps`).
 * - VNI-Windows (`VNI-Times`): an ASCII base letter followed by one modifier byte for shape and tone.
 */
const TCVN3_PAIRS =
  '¡Ă¢Â£Ê¤Ô¥Ơ¦Ư§Đ¨ă©âªê«ô¬ơ\u00adư®đµàμà¶ả·ã¸á¹ạ»ằ¼ẳ½ẵ¾ắÆặÇầÈẩÉẫÊấËậÌèÎẻÏẽÐéÑẹÒềÓểÔễÕếÖệ×ìØỉÜĩÝíÞịßòáỏâõãóäọåồæổçỗèốéộêờëởìỡíớîợïùñủòũóúôụõừöử÷ữøứùựúỳûỷüỹýýþỵ';

const TCVN3 = new Map<string, string>();
for (let i = 0; i + 1 < TCVN3_PAIRS.length; i += 2) TCVN3.set(TCVN3_PAIRS[i] ?? '', TCVN3_PAIRS[i + 1] ?? '');

/** Characters that only TCVN3 text contains (not letters of Unicode Vietnamese). */
export const TCVN3_SIGNATURE = /[¡¢£¤¥¦§¨©ª«¬\u00ad®µ¶·¸¹»¼½¾Æ×Øßçþ]/;

const TCVN3_ENCODE = new Map<string, string>();
for (const [byte, letter] of TCVN3)
  if (byte !== 'μ' && !TCVN3_ENCODE.has(letter)) TCVN3_ENCODE.set(letter, byte);

/**
 * Encodes NFC text as TCVN3 (as Latin-1 characters), for fixtures and round-trip tests. Toned
 * capitals have no TCVN3 byte in the normal font and are kept as they are.
 */
export function encodeTcvn3(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) out += TCVN3_ENCODE.get(ch) ?? ch;
  return out;
}

export interface DecodeTcvn3Options {
  /** The text was set in an all-caps font (`.VnTimeH`): return capitals. */
  allCaps?: boolean;
}

/** Decodes TCVN3 text read as Latin-1: "Tuyªn Quang" → "Tuyên Quang", "Hµ Néi" → "Hà Nội". */
export function decodeTcvn3(text: string, options: DecodeTcvn3Options = {}): string {
  let out = '';
  for (const ch of text) out += TCVN3.get(ch) ?? ch;
  return options.allCaps ? out.toUpperCase() : out.normalize('NFC');
}

/** VNI single-byte letters. */
const VNI_SINGLE: Record<string, string> = {
  ô: 'ơ',
  ö: 'ư',
  ñ: 'đ',
  í: 'í',
  ì: 'ì',
  æ: 'ỉ',
  ó: 'ĩ',
  ò: 'ị',
  î: 'ỵ',
  Ô: 'Ơ',
  Ö: 'Ư',
  Ñ: 'Đ',
  Í: 'Í',
  Ì: 'Ì',
  Æ: 'Ỉ',
  Ó: 'Ĩ',
  Ò: 'Ị',
  Î: 'Ỵ',
};

const CIRC = '\u0302';
const BREVE = '\u0306';
const ACUTE = '\u0301';
const GRAVE = '\u0300';
const HOOK = '\u0309';
const TILDE = '\u0303';
const DOT = '\u0323';

/** VNI modifier bytes → combining marks (shape first, then tone). Upper and lower case. */
const VNI_MODIFIER: Record<string, string> = {
  â: CIRC,
  á: CIRC + ACUTE,
  à: CIRC + GRAVE,
  å: CIRC + HOOK,
  ã: CIRC + TILDE,
  ä: CIRC + DOT,
  ê: BREVE,
  é: BREVE + ACUTE,
  è: BREVE + GRAVE,
  ú: BREVE + HOOK,
  ü: BREVE + TILDE,
  ë: BREVE + DOT,
  ù: ACUTE,
  ø: GRAVE,
  û: HOOK,
  õ: TILDE,
  ï: DOT,
  Â: CIRC,
  Á: CIRC + ACUTE,
  À: CIRC + GRAVE,
  Å: CIRC + HOOK,
  Ã: CIRC + TILDE,
  Ä: CIRC + DOT,
  Ê: BREVE,
  É: BREVE + ACUTE,
  È: BREVE + GRAVE,
  Ú: BREVE + HOOK,
  Ü: BREVE + TILDE,
  Ë: BREVE + DOT,
  Ù: ACUTE,
  Ø: GRAVE,
  Û: HOOK,
  Õ: TILDE,
  Ï: DOT,
};

const VNI_BASES = new Set('aeiouyAEIOUYơưƠƯ');
const CIRCUMFLEX_BASES = new Set('aeoAEO');

/** Decodes VNI-Windows text read as Latin-1: "Vieät Nam" → "Việt Nam", "Tröôøng" → "Trường". */
export function decodeVni(text: string): string {
  let out = '';
  let last = '';
  for (const ch of text) {
    const single = VNI_SINGLE[ch];
    const modifier = VNI_MODIFIER[ch];
    if (modifier !== undefined && VNI_BASES.has(last)) {
      const needsCircumflex = modifier.startsWith(CIRC) || modifier.startsWith(BREVE);
      if (!needsCircumflex || CIRCUMFLEX_BASES.has(last)) {
        out += modifier;
        last = '';
        continue;
      }
    }
    const letter = single ?? ch;
    out += letter;
    last = letter;
  }
  return out.normalize('NFC');
}

const MARK_TO_VNI: Record<string, string> = {
  [CIRC]: 'â',
  [CIRC + ACUTE]: 'á',
  [CIRC + GRAVE]: 'à',
  [CIRC + HOOK]: 'å',
  [CIRC + TILDE]: 'ã',
  [CIRC + DOT]: 'ä',
  [BREVE]: 'ê',
  [BREVE + ACUTE]: 'é',
  [BREVE + GRAVE]: 'è',
  [BREVE + HOOK]: 'ú',
  [BREVE + TILDE]: 'ü',
  [BREVE + DOT]: 'ë',
  [ACUTE]: 'ù',
  [GRAVE]: 'ø',
  [HOOK]: 'û',
  [TILDE]: 'õ',
  [DOT]: 'ï',
};
const VNI_I: Record<string, string> = { [ACUTE]: 'í', [GRAVE]: 'ì', [HOOK]: 'æ', [TILDE]: 'ó', [DOT]: 'ò' };
const HORN = '\u031b';

/** Encodes NFC text as VNI-Windows (as Latin-1 characters), for fixtures and round-trip tests. */
export function encodeVni(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (ch === 'đ' || ch === 'Đ') {
      out += ch === 'đ' ? 'ñ' : 'Ñ';
      continue;
    }
    const nfd = ch.normalize('NFD');
    const base = nfd[0] ?? '';
    // NFD puts the dot below (class 220) before the circumflex/breve (230); VNI wants shape first.
    let marks = nfd.slice(1);
    if (marks.length > 1 && marks.startsWith(DOT)) marks = marks.slice(1) + DOT;
    if (marks === '' || !/[aeiouyAEIOUY]/.test(base)) {
      out += ch;
      continue;
    }
    const upper = base !== base.toLowerCase();
    let letter = base;
    if (marks.startsWith(HORN)) {
      letter = base.toLowerCase() === 'o' ? (upper ? 'Ô' : 'ô') : upper ? 'Ö' : 'ö';
      marks = marks.slice(1);
    } else if (base.toLowerCase() === 'i' && VNI_I[marks] !== undefined) {
      const mapped = VNI_I[marks] ?? '';
      out += upper ? mapped.toUpperCase() : mapped;
      continue;
    } else if (base.toLowerCase() === 'y' && marks === DOT) {
      out += upper ? 'Î' : 'î';
      continue;
    }
    const modifier = marks === '' ? '' : MARK_TO_VNI[marks];
    if (modifier === undefined) {
      out += ch;
      continue;
    }
    out += letter + (upper ? modifier.toUpperCase() : modifier);
  }
  return out;
}
