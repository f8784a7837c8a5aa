import { both, formatCount, type Bilingual } from './format.js';
import type { Overview } from './health.js';

export type AlertRule = 'CONNECTOR_DOWN' | 'FRESHNESS_SLO_BREACH' | 'DEAD_LETTER_RATE' | 'LAG_GROWTH';

/** An alert that should be firing now. `rule` + `subject` identify it across evaluations. */
export interface DesiredAlert extends Bilingual {
  readonly rule: AlertRule;
  readonly subject: string;
  readonly severity: 'critical' | 'warning';
}

export interface AlertInputs {
  readonly overview: Overview;
  /** Dead letters that arrived in the window, per dead-letter topic. */
  readonly deadLettersInWindow: ReadonlyMap<string, number>;
  /** Lag at the start of the window and now, per `group|topic`. */
  readonly lagGrowth: readonly { readonly groupId: string; readonly topic: string; readonly from: number; readonly to: number }[];
}

export interface AlertThresholds {
  readonly windowMinutes: number;
  readonly deadLetterRatePerMinute: number;
  readonly lagGrowthMessages: number;
}

/** The four rules of the issue, evaluated on real state; pure so they are unit-tested. */
export function desiredAlerts(input: AlertInputs, t: AlertThresholds): DesiredAlert[] {
  const out: DesiredAlert[] = [];
  for (const s of input.overview.sources) {
    for (const r of s.reasons) {
      if (r.code === 'CONNECTOR_DOWN') out.push({ rule: 'CONNECTOR_DOWN', subject: r.subject, severity: 'critical', vi: r.vi, en: r.en });
      if (r.code === 'FRESHNESS_SLO_BREACHED') out.push({ rule: 'FRESHNESS_SLO_BREACH', subject: r.subject, severity: 'critical', vi: r.vi, en: r.en });
    }
  }
  for (const [topic, n] of input.deadLettersInWindow) {
    const rate = n / t.windowMinutes;
    if (rate > t.deadLetterRatePerMinute) {
      out.push({
        rule: 'DEAD_LETTER_RATE',
        subject: topic,
        severity: 'warning',
        ...both((l) =>
          l === 'vi'
            ? `${formatCount(n, l)} bản ghi lỗi vào ${topic} trong ${t.windowMinutes} phút (ngưỡng ${t.deadLetterRatePerMinute}/phút)`
            : `${formatCount(n, l)} dead letters into ${topic} in ${t.windowMinutes} min (threshold ${t.deadLetterRatePerMinute}/min)`,
        ),
      });
    }
  }
  for (const g of input.lagGrowth) {
    const growth = g.to - g.from;
    if (growth > t.lagGrowthMessages) {
      out.push({
        rule: 'LAG_GROWTH',
        subject: `${g.groupId} ${g.topic}`,
        severity: 'warning',
        ...both((l) =>
          l === 'vi'
            ? `Độ trễ của ${g.groupId} trên ${g.topic} tăng ${formatCount(growth, l)} trong ${t.windowMinutes} phút (${formatCount(g.from, l)} → ${formatCount(g.to, l)})`
            : `Lag of ${g.groupId} on ${g.topic} grew by ${formatCount(growth, l)} in ${t.windowMinutes} min (${formatCount(g.from, l)} → ${formatCount(g.to, l)})`,
        ),
      });
    }
  }
  return out;
}

export const alertKey = (a: { rule: string; subject: string }): string => `${a.rule}|${a.subject}`;
