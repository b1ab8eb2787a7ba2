/**
 * Whether the cheap model's answer is confident enough, per row. Pure: outputs in, a confidence per row out.
 *
 * - max_probability: the highest class score of the row;
 * - margin: the highest minus the second highest score;
 * - interval_width: 1 when upper − lower ≤ max_width (a quantile model's interval), else 0;
 * - expression: the value of a safe expression over the outputs (lib/expression.ts); 1 or more is confident.
 *
 * A row is confident when its confidence is at least the threshold (1 for the last two kinds).
 */
import type { CascadeRule } from '../config/cascade-config.js';
import { compileExpression, type CompiledExpression } from '../lib/expression.js';
import type { Tensor } from '../tensor/index.js';

export interface ConfidenceRule {
  /** The rule's confidence per row. */
  confidence(outputs: readonly Tensor[], rows: number): Float64Array;
  /** Confidence at or above it: the cheap model answers. */
  readonly threshold: number;
}

function numbers(t: Tensor | undefined, name: string): ArrayLike<number> {
  if (!t) throw new Error(`the cheap model answered no output '${name}' that the cascade rule reads`);
  if (Array.isArray(t.data) || t.data instanceof BigInt64Array || t.data instanceof BigUint64Array)
    throw new Error(`output '${name}' is not a float or integer tensor of up to 32 bits`);
  return t.data as ArrayLike<number>;
}

const find = (outputs: readonly Tensor[], name: string) => outputs.find((o) => o.name === name);

/** The highest and second highest score of each row (`classes` per row). */
export function topTwo(scores: ArrayLike<number>, rows: number): Array<[number, number]> {
  const classes = rows > 0 ? scores.length / rows : 0;
  const out: Array<[number, number]> = [];
  for (let r = 0; r < rows; r++) {
    let first = -Infinity;
    let second = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = scores[r * classes + c];
      if (v > first) [first, second] = [v, first];
      else if (v > second) second = v;
    }
    // A single score per row is the positive class's probability of a binary classifier.
    out.push(classes === 1 ? [Math.max(first, 1 - first), Math.min(first, 1 - first)] : [first, second]);
  }
  return out;
}

export function confidenceRule(rule: CascadeRule, threshold?: number): ConfidenceRule {
  switch (rule.kind) {
    case 'max_probability':
    case 'margin':
      return {
        threshold: threshold ?? rule.threshold,
        confidence: (outputs, rows) => {
          const top = topTwo(numbers(find(outputs, rule.output), rule.output), rows);
          return Float64Array.from(top, ([a, b]) => (rule.kind === 'margin' ? a - b : a));
        },
      };
    case 'interval_width':
      return {
        threshold: 1,
        confidence: (outputs, rows) => {
          const lower = numbers(find(outputs, rule.lower), rule.lower);
          const upper = numbers(find(outputs, rule.upper), rule.upper);
          return Float64Array.from({ length: rows }, (_, r) => (upper[r] - lower[r] <= rule.maxWidth ? 1 : 0));
        },
      };
    case 'expression':
      return expressionRule(compileExpression(rule.expression));
  }
}

function expressionRule(expression: CompiledExpression): ConfidenceRule {
  return {
    threshold: 1,
    confidence: (outputs, rows) =>
      Float64Array.from({ length: rows }, (_, r) => {
        const values = expression.refs.map((ref) => {
          const data = numbers(find(outputs, ref.name), ref.name);
          const perRow = rows > 0 ? data.length / rows : 0;
          return data[r * perRow + (ref.index ?? 0)];
        });
        return expression.evaluate(values) ? 1 : 0;
      }),
  };
}
