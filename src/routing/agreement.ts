/**
 * How far a shadow's answer agrees with the answer the caller got. Classification: the share of rows with the
 * same label. Regression: the mean absolute difference. Pure: no I/O, no node:* imports.
 */
import type { RowPrediction } from '../prediction/predicted-rows.js';

export interface Agreement {
  readonly kind: 'class' | 'value';
  readonly rows: number;
  /** Rows with the same class (classification). */
  readonly agreeing: number;
  /** Sum over rows of |primary − shadow| (regression). */
  readonly absDiffSum: number;
  /** |primary − shadow| per row: for classes, 0 exactly when the labels agree. */
  readonly absDiffs: readonly number[];
}

/** Compares two predictions row by row; undefined when they are not comparable (kind or row count differ). */
export function compareAnswers(primary: RowPrediction, shadow: RowPrediction): Agreement | undefined {
  if (primary.kind !== shadow.kind || primary.values.length !== shadow.values.length) return undefined;
  let agreeing = 0;
  let absDiffSum = 0;
  const absDiffs = primary.values.map((p, i) => {
    if (p === shadow.values[i]) agreeing++;
    const d = Math.abs(p - shadow.values[i]);
    absDiffSum += d;
    return d;
  });
  return { kind: primary.kind, rows: primary.values.length, agreeing, absDiffSum, absDiffs };
}

/** Several comparisons summed. */
export interface AgreementSummary {
  readonly kind?: 'class' | 'value';
  readonly compared: number;
  readonly rows: number;
  readonly agreeing: number;
  readonly absDiffSum: number;
  /** Shadow requests that failed (they never reach the caller). */
  readonly errors: number;
}

export const EMPTY_AGREEMENT: AgreementSummary = Object.freeze({
  compared: 0,
  rows: 0,
  agreeing: 0,
  absDiffSum: 0,
  errors: 0,
});

/** Share of rows that agreed (classification), or undefined with no rows. */
export function agreementRate(s: AgreementSummary): number | undefined {
  return s.rows > 0 ? s.agreeing / s.rows : undefined;
}

/** Mean absolute difference per row (regression), or undefined with no rows. */
export function meanAbsDifference(s: AgreementSummary): number | undefined {
  return s.rows > 0 ? s.absDiffSum / s.rows : undefined;
}

/** Paired rows between two versions, both ways: what the paired-disagreement check tests. */
export interface PairedSummary {
  readonly kind?: 'class' | 'value' | undefined;
  /** |a − b| per paired row (labels: 0 when they agree). */
  readonly absDiffs: readonly number[];
  /** Mirrored requests that failed on the other version (not pairs). */
  readonly errors: number;
}

export const EMPTY_PAIRS: PairedSummary = Object.freeze({ absDiffs: [], errors: 0 });
