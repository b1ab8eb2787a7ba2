import type { ShapWorkspace } from './shap-workspace.js';

// Float32 ports of XGBoost's ExtendPath / UnwindPath / UnwoundPathSum (tree_model.cc).
// The path of the current recursion level is the `depth + 1` entries starting at `at`.
// Every float operation is rounded with Math.fround (or by a Float32Array store) in the
// C++ evaluation order, which reproduces XGBoost's float arithmetic bit for bit.
const f = Math.fround;

/** Extends the path with a split on `feature` taking the given zero/one fractions. */
export function extendPath(
  p: ShapWorkspace,
  at: number,
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  const w = p.weight;
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  w[at + depth] = depth === 0 ? 1 : 0;
  const d1 = depth + 1;
  for (let i = depth - 1; i >= 0; i--) {
    w[at + i + 1] += f(f(f(one * w[at + i]) * (i + 1)) / d1);
    w[at + i] = f(f(zero * w[at + i]) * (depth - i)) / d1;
  }
}

/** Removes entry `index` from the path (undoing its extension). */
export function unwindPath(p: ShapWorkspace, at: number, depth: number, index: number): void {
  const w = p.weight;
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  const d1 = depth + 1;
  let next = w[at + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[at + i];
      w[at + i] = f(next * d1) / f((i + 1) * one);
      next = f(tmp - f(f(f(w[at + i] * zero) * (depth - i)) / d1));
    } else {
      w[at + i] = f(w[at + i] * d1) / f(zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1];
    p.zero[at + i] = p.zero[at + i + 1];
    p.one[at + i] = p.one[at + i + 1];
  }
}

/** Total permutation weight the path would have if entry `index` were unwound. */
export function unwoundPathSum(p: ShapWorkspace, at: number, depth: number, index: number): number {
  const w = p.weight;
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  const d1 = depth + 1;
  let next = w[at + depth];
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = f(f(next * d1) / f((i + 1) * one));
      total = f(total + tmp);
      next = f(w[at + i] - f(f(tmp * zero) * f((depth - i) / d1)));
    } else if (zero !== 0) {
      total = f(total + f(f(w[at + i] / zero) / f((depth - i) / d1)));
    }
  }
  return total;
}
