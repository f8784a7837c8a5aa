/**
 * Fellegi–Sunter scoring: each compared field contributes log2(m/u) when it agrees and
 * log2((1−m)/(1−u)) when it disagrees, where m = P(agree | same entity) and u = P(agree | different
 * entities). Missing values contribute nothing. Partial agreement uses its own m/u pair.
 */
export interface FieldWeights {
  /** P(agree | match), P(agree | non-match) for full agreement. */
  readonly m: number;
  readonly u: number;
  /** Optional partial level (e.g. a date equal only to the year, a name close but not equal). */
  readonly partial?: { readonly m: number; readonly u: number };
}

export type Agreement = 'agree' | 'partial' | 'disagree' | 'missing';

export function agreementWeight(w: FieldWeights, a: Agreement): number {
  switch (a) {
    case 'agree':
      return Math.log2(w.m / w.u);
    case 'partial':
      return w.partial ? Math.log2(w.partial.m / w.partial.u) : 0;
    case 'disagree':
      return Math.log2((1 - w.m) / (1 - w.u));
    case 'missing':
      return 0;
  }
}

export interface Thresholds {
  /** At or above: the same entity (merge). */
  readonly upper: number;
  /** At or above (and below upper): a steward decides. Below: a different entity. */
  readonly lower: number;
}

export type MatchDecision = 'match' | 'review' | 'non-match';

export function decide(score: number, t: Thresholds): MatchDecision {
  if (score >= t.upper) return 'match';
  if (score >= t.lower) return 'review';
  return 'non-match';
}

export interface ScoredComparison {
  readonly score: number;
  readonly fields: Readonly<Record<string, Agreement>>;
  /** Per field: what it contributed to the score, and its full-agreement weight log2(m/u). */
  readonly fieldScores?: readonly FieldScore[];
}

export interface FieldScore {
  readonly field: string;
  readonly agreement: Agreement;
  readonly score: number;
  readonly weight: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The per-field contributions of a comparison (for stewards: why a pair scored as it did). */
export function fieldScoresOf(
  weights: Readonly<Record<string, FieldWeights>>,
  fields: Readonly<Record<string, Agreement>>,
): FieldScore[] {
  const out: FieldScore[] = [];
  for (const [field, agreement] of Object.entries(fields)) {
    const w = weights[field];
    if (!w) continue;
    out.push({
      field,
      agreement,
      score: round3(agreementWeight(w, agreement)),
      weight: round3(agreementWeight(w, 'agree')),
    });
  }
  return out;
}

export function sumWeights(
  weights: Readonly<Record<string, FieldWeights>>,
  fields: Readonly<Record<string, Agreement>>,
): ScoredComparison {
  let score = 0;
  for (const [name, agreement] of Object.entries(fields)) {
    const w = weights[name];
    if (w) score += agreementWeight(w, agreement);
  }
  return { score: round3(score), fields, fieldScores: fieldScoresOf(weights, fields) };
}
