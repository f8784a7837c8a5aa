/**
 * Accent folding: Vietnamese letters to their ASCII base (đ → d), combining marks dropped, so that
 * NFC and NFD input fold to the same string. The table is built once from Unicode decompositions.
 */
const FOLD = new Map<number, string>();

function buildFoldTable(): void {
  const ranges: Array<[number, number]> = [
    [0x00c0, 0x024f],
    [0x1e00, 0x1eff],
  ];
  for (const [from, to] of ranges) {
    for (let cp = from; cp <= to; cp++) {
      const base = String.fromCodePoint(cp)
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '');
      if (/^[A-Za-z]$/.test(base)) FOLD.set(cp, base);
    }
  }
  FOLD.set(0x0111, 'd');
  FOLD.set(0x0110, 'D');
}
buildFoldTable();

/** True for U+0300–U+036F (the combining diacritical marks that NFD produces). */
export function isCombiningMark(code: number): boolean {
  return code >= 0x0300 && code <= 0x036f;
}

/** Strips tone and shape marks: "Đặng Thị Thủy" → "Dang Thi Thuy". Case is kept. */
export function foldAccents(text: string): string {
  let out = '';
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      out += text[i];
      continue;
    }
    if (isCombiningMark(code)) {
      changed = true;
      continue;
    }
    const base = FOLD.get(code);
    if (base === undefined) out += text[i];
    else {
      out += base;
      changed = true;
    }
  }
  return changed ? out : text;
}
