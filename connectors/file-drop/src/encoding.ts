import { detectAndRepairText, type TextEncodingGuess } from '@hub/vn';

export type FileEncoding = 'utf8' | 'utf16le' | 'latin1';

/**
 * Bytes of a text file → text. UTF-8 (BOM or not) when the bytes are valid UTF-8; UTF-16LE with a
 * BOM; anything else is a legacy single-byte file (TCVN3, VNI, Windows code pages) read byte for
 * byte as Latin-1, so that every byte survives for the per-field repair.
 */
export function decodeFile(
  bytes: Buffer,
  declared: 'auto' | FileEncoding = 'auto',
): { text: string; encoding: FileEncoding } {
  if (declared === 'utf16le' || (declared === 'auto' && bytes[0] === 0xff && bytes[1] === 0xfe))
    return { text: bytes.toString('utf16le').replace(/^\uFEFF/, ''), encoding: 'utf16le' };
  if (declared === 'latin1') return { text: bytes.toString('latin1'), encoding: 'latin1' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.replace(/^\uFEFF/, ''), encoding: 'utf8' };
  } catch {
    if (declared === 'utf8') throw new Error('the file is not valid UTF-8 (declared csv.encoding: utf8)');
    return { text: bytes.toString('latin1'), encoding: 'latin1' };
  }
}

export interface FieldRepair {
  readonly text: string;
  /** The legacy encoding repaired, or undefined when the text was kept. */
  readonly from?: TextEncodingGuess;
}

/** One field: TCVN3 / VNI / UTF-8-read-as-CP1252 repaired when the detector is confident enough. */
export function repairField(value: string, minConfidence: number): FieldRepair {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return { text: value };
  const r = detectAndRepairText(value);
  if (r.encoding === 'UNICODE' || r.confidence < minConfidence) return { text: value.normalize('NFC') };
  return { text: r.text, from: r.encoding };
}
