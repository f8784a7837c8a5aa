/** Service-quality indicators (DOMAIN.md §6, Decision 766/QĐ-TTg "Tiến độ, kết quả giải quyết" and "Dịch vụ công trực tuyến"). */
export interface QualityRow {
  readonly agencyCode: string;
  readonly procedureCode: string;
  /** Calendar month `YYYY-MM` (Asia/Ho_Chi_Minh). */
  readonly month: string;
  readonly received: number;
  readonly receivedOnline: number;
  /** Share received online among those received in the month; null when none was received. */
  readonly onlineShare: number | null;
  readonly completed: number;
  readonly completedOnTime: number;
  /** Share completed early or on time among those completed in the month. */
  readonly onTimeShare: number | null;
  /** Mean of completedAt − receivedAt in calendar days, for those completed in the month. */
  readonly averageHandlingDays: number | null;
  /** Results returned in the month (by month completed) whose source recorded how. */
  readonly resultsReturned: number;
  readonly resultsReturnedElectronically: number;
  /** Share of those results returned electronically; null when none had a recorded channel. */
  readonly electronicResultShare: number | null;
}

export interface OverdueRow {
  readonly agencyCode: string;
  readonly procedureCode: string;
  /** Open dossiers whose due date has passed, now. */
  readonly overdueNow: number;
  readonly open: number;
}

export interface QualityFilter {
  readonly fromMonth?: string;
  readonly toMonth?: string;
  readonly agencyCode?: string;
  readonly procedureCode?: string;
}

export const QUALITY_COLUMNS: readonly (keyof QualityRow)[] = [
  'agencyCode',
  'procedureCode',
  'month',
  'received',
  'receivedOnline',
  'onlineShare',
  'completed',
  'completedOnTime',
  'onTimeShare',
  'averageHandlingDays',
  'resultsReturned',
  'resultsReturnedElectronically',
  'electronicResultShare',
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(Math.round(v * 10_000) / 10_000) : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row; UTF-8 BOM so spreadsheet software shows Vietnamese correctly. */
export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T)[]): string {
  const lines = [columns.map((c) => csvCell(c)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export const share = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
