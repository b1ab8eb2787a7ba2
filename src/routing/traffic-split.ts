/**
 * Weighted split across versions. Pure: data in, a version out.
 *
 * Versions are laid out on [0, 1) newest first, each taking its share. A caller's point (hashed key, or a random
 * number) picks the version whose span holds it. Because the newest version sits at the low end, raising its
 * weight only moves callers from older versions to it, never back and forth.
 */

export interface VersionWeight {
  readonly version: number;
  readonly weight: number;
}

/**
 * The split among the versions that can answer now: positive weights of ready versions, newest first. Weights
 * need not sum to 100; each version gets weight ÷ total. Empty when no weighted version is ready.
 */
export function servingSplit(weights: ReadonlyMap<number, number>, ready: ReadonlySet<number>): VersionWeight[] {
  return [...weights.entries()]
    .filter(([version, weight]) => weight > 0 && ready.has(version))
    .sort(([a], [b]) => b - a)
    .map(([version, weight]) => ({ version, weight }));
}

/** The version whose span holds `point` (0 ≤ point < 1). The split must not be empty. */
export function pickVersion(split: readonly VersionWeight[], point: number): number {
  const total = split.reduce((sum, v) => sum + v.weight, 0);
  let edge = 0;
  for (const v of split) {
    edge += v.weight / total;
    if (point < edge) return v.version;
  }
  return split[split.length - 1].version;
}

/** Each version's share of traffic in percent (0..100), from a split. */
export function sharesOf(split: readonly VersionWeight[]): Map<number, number> {
  const total = split.reduce((sum, v) => sum + v.weight, 0);
  return new Map(split.map((v) => [v.version, total > 0 ? (100 * v.weight) / total : 0]));
}
