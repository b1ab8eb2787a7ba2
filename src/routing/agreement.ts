/**
 * How far a shadow's answer agrees with the answer the caller got. Classification: the share of rows with the
 * same label. Regression: the mean absolute difference. Pure: no I/O, no node:* imports.
 */
import type { Prediction } from './prediction.js';

export interface Agreement {
  readonly kind: 'class' | 'value';
  readonly rows: number;
  /** Rows with the same class (classification). */
  readonly agreeing: number;
  /** Sum over rows of |primary − shadow| (regression). */
  readonly absDiffSum: number;
}

/** Compares two predictions row by row; undefined when they are not comparable (kind or row count differ). */
export function compareAnswers(primary: Prediction, shadow: Prediction): Agreement | undefined {
  if (primary.kind !== shadow.kind || primary.values.length !== shadow.values.length) return undefined;
  let agreeing = 0;
  let absDiffSum = 0;
  primary.values.forEach((p, i) => {
    if (p === shadow.values[i]) agreeing++;
    absDiffSum += Math.abs(p - shadow.values[i]);
  });
  return { kind: primary.kind, rows: primary.values.length, agreeing, absDiffSum };
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

export const EMPTY_AGREEMENT: AgreementSummary = Object.freeze({ compared: 0, rows: 0, agreeing: 0, absDiffSum: 0, errors: 0 });

/** Share of rows that agreed (classification), or undefined with no rows. */
export function agreementRate(s: AgreementSummary): number | undefined {
  return s.rows > 0 ? s.agreeing / s.rows : undefined;
}

/** Mean absolute difference per row (regression), or undefined with no rows. */
export function meanAbsDifference(s: AgreementSummary): number | undefined {
  return s.rows > 0 ? s.absDiffSum / s.rows : undefined;
}
