/**
 * How different two prediction distributions are: the Jensen–Shannon divergence (base 2), 0 for identical
 * distributions and 1 for disjoint ones. Classes are compared by their frequencies; values by a histogram over
 * equal-width bins spanning both samples. Pure: no I/O, no node:* imports.
 */

function klTerm(p: number, m: number): number {
  return p > 0 ? p * Math.log2(p / m) : 0;
}

/** Jensen–Shannon divergence of two count tables (keys are categories). 0 when either is empty. */
export function jensenShannon(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number {
  const totalA = [...a.values()].reduce((s, x) => s + x, 0);
  const totalB = [...b.values()].reduce((s, x) => s + x, 0);
  if (totalA === 0 || totalB === 0) return 0;
  let js = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const p = (a.get(key) ?? 0) / totalA;
    const q = (b.get(key) ?? 0) / totalB;
    const m = (p + q) / 2;
    js += (klTerm(p, m) + klTerm(q, m)) / 2;
  }
  return Math.min(1, Math.max(0, js));
}

/** Counts of each distinct value. */
export function countClasses(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Bins both samples into `bins` equal-width bins over their joint range. */
function histograms(
  a: readonly number[],
  b: readonly number[],
  bins: number,
): [Map<number, number>, Map<number, number>] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...a, ...b]) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const bin = (v: number) => Math.min(bins - 1, Math.floor((v - lo) / width));
  return [countClasses(a.map(bin)), countClasses(b.map(bin))];
}

/** Jensen–Shannon divergence of two samples of continuous values (regression outputs). */
export function valueDivergence(a: readonly number[], b: readonly number[], bins = 10): number {
  if (a.length === 0 || b.length === 0) return 0;
  const [ha, hb] = histograms(a.filter(Number.isFinite), b.filter(Number.isFinite), bins);
  return jensenShannon(ha, hb);
}
