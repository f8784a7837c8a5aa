/**
 * Mojibake repair: UTF-8 bytes that a program decoded as CP1252 ("Viá»‡t") or as CP437
 * ("Quß║¡n Ba ─É├¼nh"). The characters are mapped back to bytes and decoded as UTF-8 in strict mode,
 * so a repair only happens when the bytes form valid UTF-8: a strong signal on its own.
 */
export type MojibakeSource = 'CP1252' | 'CP437';

const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function reverseTable(high: string, base: number): Map<string, number> {
  const map = new Map<string, number>();
  [...high].forEach((ch, i) => map.set(ch, base + i));
  return map;
}

const CP1252 = reverseTable(CP1252_HIGH, 0x80);
const CP437 = reverseTable(CP437_HIGH, 0x80);
const DECODER = new TextDecoder('utf-8', { fatal: true });

function toBytes(text: string, source: MojibakeSource): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) bytes.push(code);
    else if (source === 'CP1252') {
      const byte = CP1252.get(ch) ?? (code <= 0xff ? code : undefined);
      if (byte === undefined) return undefined;
      bytes.push(byte);
    } else {
      const byte = CP437.get(ch);
      if (byte === undefined) return undefined;
      bytes.push(byte);
    }
  }
  return Uint8Array.from(bytes);
}

function decodeStrict(text: string, source: MojibakeSource): string | undefined {
  const bytes = toBytes(text, source);
  if (!bytes || !bytes.some((b) => b >= 0x80)) return undefined;
  try {
    return DECODER.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Undoes one round of UTF-8-read-as-`source`. Tries the whole text first, then word by word, so a
 * text that mixes repaired and broken parts is still fixed. Returns undefined when nothing decodes.
 */
export function repairMojibake(
  text: string,
  source: MojibakeSource,
): { text: string; repairedWords: number } | undefined {
  const whole = decodeStrict(text, source);
  if (whole !== undefined) return { text: whole.normalize('NFC'), repairedWords: whole.split(/\s+/).length };
  let repairedWords = 0;
  const out = text.replace(/\S+/g, (word) => {
    const fixed = decodeStrict(word, source);
    if (fixed === undefined) return word;
    repairedWords++;
    return fixed;
  });
  return repairedWords > 0 ? { text: out.normalize('NFC'), repairedWords } : undefined;
}

/** Produces the mojibake that `source` makes of UTF-8 text: for fixtures and round-trip tests. */
export function encodeAsMojibake(text: string, source: MojibakeSource): string {
  const high = source === 'CP1252' ? [...CP1252_HIGH] : [...CP437_HIGH];
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out +=
      byte < 0x80
        ? String.fromCharCode(byte)
        : source === 'CP1252' && byte >= 0xa0
          ? String.fromCharCode(byte)
          : (high[byte - 0x80] ?? '');
  }
  return out;
}
