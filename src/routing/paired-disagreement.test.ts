import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countAbove, disagreementVerdict, standardDeviation, testDisagreement } from './paired-disagreement.js';

/** The smallest k of n rows for which the test says `verdict` ('above': k rises towards it; 'within': k falls). */
function boundary(n: number, tolerance: number, alpha: number, verdict: 'above' | 'within'): number | undefined {
  const says = (k: number) => disagreementVerdict(k, n, tolerance, alpha) === verdict;
  if (verdict === 'above') {
    if (!says(n)) return undefined;
    let lo = 0;
    let hi = n; // says(hi)
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (says(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  if (!says(0)) return undefined;
  let lo = 0; // says(lo)
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (says(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Exact probabilities, by dynamic programming over the number of disagreements, that rows disagreeing
 * independently at rate p lead the test, looking after every row up to `maxRows`, to say 'above' first,
 * 'within' first, or neither. No verdict is taken before `minRows` rows.
 */
function firstVerdict(
  p: number,
  tolerance: number,
  alpha: number,
  maxRows: number,
  minRows = 1,
): { above: number; within: number; neither: number } {
  let mass = [1];
  let above = 0;
  let within = 0;
  for (let n = 1; n <= maxRows; n++) {
    const next = new Array<number>(n + 1).fill(0);
    mass.forEach((m, k) => {
      next[k] += m * (1 - p);
      next[k + 1] += m * p;
    });
    mass = next;
    if (n < minRows) continue; // the check's min_samples: no verdict before
    const a = boundary(n, tolerance, alpha, 'above');
    const w = boundary(n, tolerance, alpha, 'within');
    next.forEach((m, k) => {
      if (a !== undefined && k >= a) above += m;
      else if (w !== undefined && k <= w) within += m;
      else return;
      next[k] = 0;
    });
  }
  return { above, within, neither: mass.reduce((s, m) => s + m, 0) };
}

test('at the tolerance itself, looking after every row, the chance of ever failing (or ever passing) stays below alpha', () => {
  // Ville's inequality bounds it for any number of looks; checked exactly over 2,000 rows at a loose alpha.
  const alpha = 0.05;
  const r = firstVerdict(0.1, 0.1, alpha, 2000);
  assert.ok(r.above <= alpha, `P(above | p = tolerance) = ${r.above}`);
  assert.ok(r.within <= alpha, `P(within | p = tolerance) = ${r.within}`);
  // Inside the tolerance failing is rarer still, and beyond it passing is.
  assert.ok(firstVerdict(0.05, 0.1, alpha, 1000).above <= alpha / 10);
  assert.ok(firstVerdict(0.2, 0.1, alpha, 1000).within <= alpha / 10);
});

test('the defaults (tolerance 10%, confidence 99.9%): identical answers pass after 82 rows, inverted ones fail after 4', () => {
  assert.equal(boundary(81, 0.1, 0.001, 'within'), undefined);
  assert.equal(boundary(82, 0.1, 0.001, 'within'), 0);
  assert.equal(testDisagreement(3, 3, 0.1, 0.001).verdict, 'undecided');
  assert.equal(testDisagreement(4, 4, 0.1, 0.001).verdict, 'above');
  assert.equal(testDisagreement(0, 0, 0.1, 0.001).verdict, 'undecided');
});

test('a candidate disagreeing on 14 of 24 rows fails within 150 rows but for a chance below 1e-18, and is passed with one below 1e-30', () => {
  // The shifted candidate of test/routing/paired-canary.slow.test.ts, with the default min_samples of 30.
  const r = firstVerdict(14 / 24, 0.1, 0.001, 150, 30);
  assert.ok(r.within < 1e-30, `P(passed) = ${r.within}`);
  assert.ok(r.neither < 1e-18, `P(no verdict after 150 rows) = ${r.neither}`);
});

test('a retrain disagreeing on 5% of rows is failed against 10% with a chance below 1e-4 (alpha is 1e-3) and passed within 2,500 rows', () => {
  const r = firstVerdict(0.05, 0.1, 0.001, 2500);
  assert.ok(r.above < 1e-4, `P(failed) = ${r.above}`);
  assert.ok(r.neither < 1e-6, `P(no verdict) = ${r.neither}`);
});

const counts = fc.integer({ min: 1, max: 5000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })));
const tolerances = fc.double({ min: 0.001, max: 0.999, noNaN: true });
const alphas = fc.constantFrom(0.1, 0.01, 0.001, 1e-6);

test('the bounds bracket the observed rate and agree with the verdict', () => {
  fc.assert(
    fc.property(counts, tolerances, alphas, ([n, k], tolerance, alpha) => {
      const t = testDisagreement(k, n, tolerance, alpha);
      assert.ok(t.lower >= 0 && t.lower <= t.rate && t.rate <= t.upper && t.upper <= 1, JSON.stringify(t));
      if (t.verdict === 'above') assert.ok(t.lower >= tolerance - 1e-9, JSON.stringify(t));
      if (t.verdict === 'within') assert.ok(t.upper <= tolerance + 1e-9, JSON.stringify(t));
      if (t.lower > tolerance + 1e-9) assert.equal(t.verdict, 'above');
      if (t.upper < tolerance - 1e-9) assert.equal(t.verdict, 'within');
    }),
    { seed: 15, numRuns: 300 },
  );
});

test('more disagreements never turn a failure into anything else, fewer never turn a pass', () => {
  fc.assert(
    fc.property(counts, tolerances, alphas, ([n, k], tolerance, alpha) => {
      const t = testDisagreement(k, n, tolerance, alpha).verdict;
      if (t === 'above' && k < n) assert.equal(testDisagreement(k + 1, n, tolerance, alpha).verdict, 'above');
      if (t === 'within' && k > 0) assert.equal(testDisagreement(k - 1, n, tolerance, alpha).verdict, 'within');
    }),
    { seed: 15, numRuns: 300 },
  );
});

test('no verdict either way from a rate on the tolerance, however many rows', () => {
  for (const n of [10, 100, 1000, 100_000]) assert.equal(testDisagreement(n / 10, n, 0.1, 0.001).verdict, 'undecided');
});

test('standard deviation and counts above a threshold; a non-finite difference is a disagreement', () => {
  assert.equal(standardDeviation([1]), undefined);
  assert.equal(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])?.toFixed(4), '2.1381');
  assert.equal(countAbove([0, 0, 1, 3], 0), 2);
  assert.equal(countAbove([0.1, 0.5, NaN], 0.2), 2);
});
