/**
 * Drift statistics between a reference distribution (a profile's bin or category fractions) and a live window's
 * counts over the same bins. Pure: no I/O.
 *
 * - PSI: Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), with both fractions floored at PSI_FLOOR so empty bins stay finite.
 * - KS: the largest difference between the two cumulative distributions, read at the bins' cut points: the
 *   exact two-sample statistic evaluated at (up to) nine points, so never above it (it may peak between cut
 *   points); it needs no raw rows, only the window's bin counts.
 * - Jensen–Shannon divergence, base 2 (0 = equal, 1 = disjoint), for categorical features.
 */

/** Fractions below this are raised to it in PSI (a common choice: an empty bin counts as 0.01%). */
export const PSI_FLOOR = 1e-4;

function check(reference: readonly number[], live: readonly number[]): void {
  if (reference.length !== live.length)
    throw new RangeError(
      `distributions differ in length: ${reference.length} reference bins, ${live.length} live bins`,
    );
}

/** Population stability index of `live` against `reference` (both fractions summing to 1). */
export function psi(reference: readonly number[], live: readonly number[]): number {
  check(reference, live);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = Math.max(reference[i], PSI_FLOOR);
    const a = Math.max(live[i], PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Kolmogorov–Smirnov statistic: max |CDF_ref − CDF_live| over the bin boundaries. */
export function ksFromBins(reference: readonly number[], live: readonly number[]): number {
  check(reference, live);
  let cumRef = 0;
  let cumLive = 0;
  let max = 0;
  for (let i = 0; i < reference.length; i++) {
    cumRef += reference[i];
    cumLive += live[i];
    max = Math.max(max, Math.abs(cumRef - cumLive));
  }
  return max;
}

function klBase2(p: readonly number[], m: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) sum += p[i] * Math.log2(p[i] / m[i]);
  return sum;
}

/** Jensen–Shannon divergence (base 2) between two distributions of fractions. */
export function jensenShannon(reference: readonly number[], live: readonly number[]): number {
  check(reference, live);
  const m = reference.map((r, i) => (r + live[i]) / 2);
  return Math.max(0, (klBase2(reference, m) + klBase2(live, m)) / 2);
}
