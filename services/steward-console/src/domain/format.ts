export type Lang = 'vi' | 'en';

/** Vietnamese first, English beside it: every figure and reason the console shows has both. */
export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

/** "3 giờ 5 phút" / "3 h 5 min": the largest two units, for ages and SLOs. */
export function formatDuration(ms: number, lang: Lang): string {
  const units: [number, string, string][] = [
    [86_400_000, 'ngày', 'd'],
    [3_600_000, 'giờ', 'h'],
    [60_000, 'phút', 'min'],
    [1000, 'giây', 's'],
  ];
  let rest = Math.max(0, Math.round(ms));
  const parts: string[] = [];
  for (const [size, vi, en] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0 || (parts.length === 0 && size === 1000)) {
      parts.push(`${n} ${lang === 'vi' ? vi : en}`);
      rest -= n * size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

export function both(f: (lang: Lang) => string): Bilingual {
  return { vi: f('vi'), en: f('en') };
}

/** 1234567 → "1.234.567" (vi) / "1,234,567" (en). */
export function formatCount(n: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB').format(n);
}
