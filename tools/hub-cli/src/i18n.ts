export type Lang = 'vi' | 'en';

/** Vietnamese first; English with `--lang en`. */
export const tr = (lang: Lang, vi: string, en: string): string => (lang === 'vi' ? vi : en);

/** "3 giờ 5 phút" / "3 h 5 min": the two largest units, as on the console. */
export function formatDuration(seconds: number, lang: Lang): string {
  const units: [number, string, string][] = [
    [86_400, 'ngày', 'd'],
    [3_600, 'giờ', 'h'],
    [60, 'phút', 'min'],
    [1, 'giây', 's'],
  ];
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [size, vi, en] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1)) {
      parts.push(`${n} ${lang === 'vi' ? vi : en}`);
      rest -= n * size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

/** 1234567 → "1.234.567" (vi) / "1,234,567" (en). */
export function formatCount(n: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 }).format(n);
}
