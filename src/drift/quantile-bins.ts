/**
 * Quantile bins for numeric features: cut points at the deciles (numpy's default linear interpolation), equal
 * cut points merged, and the bin a value falls in. Pure: no I/O.
 *
 * Bins are right-closed: with cut points c0 < c1 < … < ck-1, bin 0 is (-∞, c0], bin i is (ci-1, ci], bin k is
 * (ck-1, +∞). A feature with many equal values (zeros) gets fewer, wider bins.
 */

/** The q-quantile (0 ≤ q ≤ 1) of ascending-sorted values, interpolated linearly like numpy.quantile. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Distinct cut points at the 1/bins, 2/bins, … quantiles of the values (NaNs ignored). */
export function quantileCutPoints(values: ArrayLike<number>, bins = 10): number[] {
  const sorted = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  if (sorted.length === 0) return [];
  const cuts: number[] = [];
  for (let i = 1; i < bins; i++) {
    const c = quantileSorted(sorted, i / bins);
    if (cuts.length === 0 || c > cuts[cuts.length - 1]) cuts.push(c);
  }
  return cuts;
}

/** The bin of `value` among right-closed bins cut at `cuts` (ascending): 0 … cuts.length. */
export function binOf(cuts: readonly number[], value: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= cuts[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts of the values per bin (NaNs skipped). */
export function binCounts(cuts: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(cuts.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i])) counts[binOf(cuts, values[i])]++;
  }
  return counts;
}

/** Counts as fractions of their sum; all zeros when the sum is 0. */
export function toFractions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}
