/**
 * Prometheus's histogram_quantile over one histogram's cumulative bucket counts: the bucket the rank falls in,
 * interpolated linearly inside it (the lowest bucket from 0; a rank in +Inf answers the highest finite bound).
 * Pure; the dashboard's page runs the same arithmetic (ui/app/figures.js) over the counts it is sent.
 */

/** `bounds[i]` is bucket i's upper bound; `cumulative[i]` counts observations ≤ it; `cumulative[bounds.length]` all. */
export function histogramQuantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number | null {
  const total = cumulative[bounds.length] ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1];
    const below = i === 0 ? 0 : cumulative[i - 1];
    const inBucket = cumulative[i] - below;
    return inBucket > 0 ? lower + ((bounds[i] - lower) * (rank - below)) / inBucket : bounds[i];
  }
  return bounds[bounds.length - 1];
}
