import type { TreeEnsemble } from './tree-ensemble.js';

const f = Math.fround;

/** XGBoost's float Softmax over `n` margins at `o`, in place (double-precision sum). */
function softmaxRow(m: Float32Array, o: number, n: number): void {
  let max = m[o];
  for (let k = 1; k < n; k++) if (m[o + k] > max) max = m[o + k];
  let sum = 0;
  for (let k = 0; k < n; k++) {
    m[o + k] = Math.exp(f(m[o + k] - max));
    sum += m[o + k];
  }
  const denom = f(sum);
  for (let k = 0; k < n; k++) m[o + k] = m[o + k] / denom;
}

/** Index of the first largest of `n` margins at `o`. */
function argmaxRow(m: Float32Array, o: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (m[o + k] > m[o + best]) best = k;
  return best;
}

/** Applies an element-wise transform in place. */
function mapInPlace(m: Float32Array, fn: (x: number) => number): Float32Array {
  for (let i = 0; i < m.length; i++) m[i] = fn(m[i]);
  return m;
}

/**
 * Turns margins (`[rows, numGroups]`, from {@link predictMargin}) into predictions with the
 * model objective's transform, in float32 like XGBoost: sigmoid, exp, hinge (0/1), softmax
 * probabilities `[rows, classes]`, or for multi:softmax the class index `[rows]`.
 * Transforms in place and returns `margins`, except multi:softmax which returns a new array.
 */
export function applyObjective(e: TreeEnsemble, margins: Float32Array, rows: number): Float32Array {
  const g = e.numGroups;
  switch (e.objective.transform) {
    case 'identity':
      return margins;
    case 'sigmoid':
      return mapInPlace(margins, (x) => 1 / f(1 + f(Math.exp(-x))));
    case 'exp':
      return mapInPlace(margins, (x) => Math.exp(x));
    case 'hinge':
      return mapInPlace(margins, (x) => (x > 0 ? 1 : 0));
    case 'softmax':
      for (let r = 0; r < rows; r++) softmaxRow(margins, r * g, g);
      return margins;
    case 'argmax':
      return Float32Array.from({ length: rows }, (_, r) => argmaxRow(margins, r * g, g));
  }
}
