/**
 * Whether two versions answer the same requests differently more often than a tolerance allows: a sequential
 * test over paired rows whose error rates hold however often, and after however many pairs, it is looked at.
 * Pure: no I/O, no node:* imports.
 *
 * Each paired row is a Bernoulli trial: the versions disagree or not, at an unknown rate p. Against the
 * tolerance p0, two one-sided mixture sequential probability ratio tests run side by side over the n rows with
 * k disagreements:
 *
 * - above, H0: p ≤ p0. M⁺ = Σ w_j (q_j/p0)^k ((1−q_j)/(1−p0))^(n−k) over the grid points q_j > p0.
 * - within, H0: p ≥ p0. M⁻, the same sum over the grid points q_j < p0.
 *
 * Under its H0 each term is a nonnegative supermartingale starting at w_j (a likelihood ratio of q_j against p0,
 * taken under a p on p0's side), and the weights sum to 1, so by Ville's inequality
 * P(M⁺ ever reaches 1/α | p ≤ p0) ≤ α, and likewise for M⁻. The check fails the candidate when M⁺ ≥ 1/α
 * ("above") and passes it when M⁻ ≥ 1/α ("within"); otherwise it waits for more pairs ("undecided"). So a
 * candidate within tolerance is failed with probability at most α, and one beyond it passed with probability at
 * most α, however many times the check runs. Rates between lead to more pairs, never to a guess.
 *
 * The grid is 65 points evenly spaced in log-odds from −8 to 8 (p from 0.0003 to 0.9997), each weighted 1/65:
 * what the mixture costs against knowing p exactly is ln 65 ≈ 4.2 nats of evidence, about 40 extra pairs
 * when p is twice the tolerance of 10%.
 *
 * The same statistics invert into anytime-valid confidence bounds (the tolerances the data would reject),
 * reported as evidence.
 */

const GRID_SIZE = 65;
const LOG_ODDS_SPAN = 8;
const GRID: readonly number[] = Array.from(
  { length: GRID_SIZE },
  (_, j) => 1 / (1 + Math.exp(LOG_ODDS_SPAN - (2 * LOG_ODDS_SPAN * j) / (GRID_SIZE - 1))),
);
const LOG_WEIGHT = -Math.log(GRID_SIZE);

export type DisagreementVerdict = 'above' | 'within' | 'undecided';

export interface DisagreementTest {
  readonly verdict: DisagreementVerdict;
  /** k / n. */
  readonly rate: number;
  /** Anytime-valid lower and upper confidence bounds on the disagreement rate at level 1 − α each. */
  readonly lower: number;
  readonly upper: number;
}

function logSumExp(xs: readonly number[]): number {
  if (xs.length === 0) return -Infinity;
  const max = Math.max(...xs);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
}

/** k·ln(a) without the 0·ln(0) = NaN trap. */
function times(k: number, logOf: number): number {
  return k === 0 ? 0 : k * logOf;
}

/** ln M: the log of the mixture likelihood ratio of the grid points on `side` of p0 against p0. */
export function logEvidence(disagreeing: number, rows: number, p0: number, side: 'above' | 'below'): number {
  const agreeing = rows - disagreeing;
  const terms: number[] = [];
  for (const q of GRID) {
    if (side === 'above' ? q <= p0 : q >= p0) continue;
    terms.push(LOG_WEIGHT + times(disagreeing, Math.log(q / p0)) + times(agreeing, Math.log((1 - q) / (1 - p0))));
  }
  return logSumExp(terms);
}

/**
 * The largest p0 the data rejects from below (M⁺(p0) ≥ 1/α), by bisection: M⁺ falls as p0 rises towards k/n,
 * so the rejected tolerances form an interval [0, bound). 0 when none is rejected.
 */
function lowerBound(k: number, n: number, logThreshold: number): number {
  let lo = 0;
  let hi = k / n;
  if (k === 0 || logEvidence(k, n, hi, 'above') >= logThreshold) return k === 0 ? 0 : hi;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (mid > 0 && logEvidence(k, n, mid, 'above') >= logThreshold) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The smallest p0 the data rejects from above (M⁻(p0) ≥ 1/α); 1 when none is. */
function upperBound(k: number, n: number, logThreshold: number): number {
  let lo = k / n;
  let hi = 1;
  if (k === n || logEvidence(k, n, lo, 'below') >= logThreshold) return k === n ? 1 : lo;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (mid < 1 && logEvidence(k, n, mid, 'below') >= logThreshold) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** testDisagreement's verdict alone (no bounds). */
export function disagreementVerdict(
  disagreeing: number,
  rows: number,
  tolerance: number,
  alpha: number,
): DisagreementVerdict {
  if (rows <= 0) return 'undecided';
  const logThreshold = Math.log(1 / alpha);
  if (logEvidence(disagreeing, rows, tolerance, 'above') >= logThreshold) return 'above';
  return logEvidence(disagreeing, rows, tolerance, 'below') >= logThreshold ? 'within' : 'undecided';
}

/**
 * Tests `disagreeing` of `rows` paired rows against `tolerance` (0 < tolerance < 1) at error rate `alpha`
 * (0 < alpha < 1) on each side.
 *
 * @example testDisagreement(40, 100, 0.1, 0.001).verdict // 'above': 40% is beyond 10%, with 99.9% confidence
 */
export function testDisagreement(
  disagreeing: number,
  rows: number,
  tolerance: number,
  alpha: number,
): DisagreementTest {
  if (rows <= 0) return { verdict: 'undecided', rate: 0, lower: 0, upper: 1 };
  const logThreshold = Math.log(1 / alpha);
  return {
    verdict: disagreementVerdict(disagreeing, rows, tolerance, alpha),
    rate: disagreeing / rows,
    lower: lowerBound(disagreeing, rows, logThreshold),
    upper: upperBound(disagreeing, rows, logThreshold),
  };
}

/** The sample standard deviation, or undefined with fewer than two values. */
export function standardDeviation(values: readonly number[]): number | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return undefined;
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  return Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (finite.length - 1));
}

/** How many absolute differences exceed `threshold` (labels: any difference at all, with threshold 0). */
export function countAbove(diffs: readonly number[], threshold: number): number {
  let k = 0;
  for (const d of diffs) if (!(d <= threshold)) k++; // NaN (a non-finite answer) counts as a disagreement
  return k;
}
