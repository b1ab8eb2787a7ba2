import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareAnswers, EMPTY_AGREEMENT, type PairedSummary } from './agreement.js';
import { jensenShannon, valueDivergence } from './divergence.js';
import { parseRolloutSpec } from './rollout-spec.js';
import { decide, evaluateChecks, type Evidence, type Progress } from './verdict.js';
import { VersionWindow, type Sample, type WindowSummary } from './version-window.js';

/** A window summary from `n` requests: `errors` failed, latencies as given (cycled), classes as given (cycled). */
function windowOf(n: number, o: { errors?: number; latencies?: number[]; classes?: number[] } = {}) {
  const w = new VersionWindow();
  for (let i = 0; i < n; i++) {
    const s: Sample = {
      at: 1000 + i,
      ok: i >= (o.errors ?? 0),
      latencyMs: (o.latencies ?? [1])[i % (o.latencies ?? [1]).length],
      prediction: { kind: 'class', values: [(o.classes ?? [i % 10])[i % (o.classes ?? [0]).length]] },
    };
    w.record(s);
  }
  return w.summarise(0);
}

const checks = {
  errorRate: { maxIncrease: 0.01, minSamples: 50 },
  p99Latency: { maxRatio: 1.5, toleranceMs: 5, minSamples: 50 },
  predictionDivergence: { max: 0.1, minSamples: 50 },
};
const digitsClasses = Array.from({ length: 10 }, (_, i) => i);

function evidence(
  candidate: ReturnType<typeof windowOf>,
  stable = windowOf(400, { classes: digitsClasses }),
): Evidence {
  return { stable, candidate };
}

const progress: Progress = { status: 'progressing', steps: [5, 25, 50, 100], stepIndex: 0, reviewAt: 60_000 };

test('a healthy candidate passes every check', () => {
  const results = evaluateChecks(checks, evidence(windowOf(100, { classes: digitsClasses })));
  assert.deepEqual(
    results.map((r) => [r.check, r.status]),
    [
      ['error_rate', 'pass'],
      ['p99_latency', 'pass'],
      ['prediction_divergence', 'pass'],
    ],
  );
});

test('errors on some inputs fail error_rate, naming both rates', () => {
  const [err] = evaluateChecks(checks, evidence(windowOf(100, { errors: 20, classes: digitsClasses })));
  assert.equal(err.status, 'fail');
  assert.match(err.detail, /candidate error rate 20\.0% \(20\/100\) vs stable 0\.0% \(0\/400\)/);
});

test('a slow candidate fails p99_latency against stable p99 × ratio + tolerance', () => {
  const [, latency] = evaluateChecks(checks, evidence(windowOf(100, { latencies: [40], classes: digitsClasses })));
  assert.equal(latency.status, 'fail');
  assert.equal(latency.limit, 1 * 1.5 + 5);
  assert.match(latency.detail, /candidate p99 40\.0 ms vs stable p99 1\.0 ms: above the limit 6\.5 ms/);
});

test('biased predictions fail prediction_divergence', () => {
  const biased = Array.from({ length: 10 }, (_, i) => (i < 5 ? 9 : i));
  const [, , div] = evaluateChecks(checks, evidence(windowOf(100, { classes: biased })));
  assert.equal(div.status, 'fail');
  assert.ok(div.value! > 0.1);
});

test('too few samples is insufficient, not a verdict', () => {
  const results = evaluateChecks(checks, evidence(windowOf(10, { errors: 10 })));
  assert.ok(
    results.every((r) => r.status === 'insufficient'),
    JSON.stringify(results),
  );
  assert.match(results[0].detail, /needs 50 samples per version, has candidate 10, stable 400/);
});

test('a failing check rolls back at once, before the interval ends', () => {
  const results = evaluateChecks(checks, evidence(windowOf(100, { errors: 20, classes: digitsClasses })));
  const d = decide(progress, results, 1_000);
  assert.equal(d.action, 'rollback');
  {
    assert.equal(d.weight, 0);
    assert.deepEqual(d.failed, ['error_rate']);
  }
});

test('passing checks wait for the interval to end, then advance to the next step', () => {
  const results = evaluateChecks(checks, evidence(windowOf(100, { classes: digitsClasses })));
  assert.equal(decide(progress, results, 59_999).action, 'wait');
  const d = decide(progress, results, 60_000);
  assert.equal(d.action, 'advance');
  assert.equal(d.weight, 25);
});

test('after the last step below 100 the candidate is promoted', () => {
  const results = evaluateChecks(checks, evidence(windowOf(100, { classes: digitsClasses })));
  const d = decide({ ...progress, stepIndex: 2 }, results, 60_000);
  assert.equal(d.action, 'promote');
  const noHundred = decide({ ...progress, steps: [10, 50], stepIndex: 1 }, results, 60_000);
  assert.equal(noHundred.action, 'promote');
});

test('short of samples at the end of an interval holds the step', () => {
  const d = decide(progress, evaluateChecks(checks, evidence(windowOf(10))), 60_000);
  assert.equal(d.action, 'hold');
  assert.match(d.reason, /holding at 5%/);
});

test('a paused rollout decides nothing', () => {
  const results = evaluateChecks(checks, evidence(windowOf(100, { errors: 50 })));
  assert.equal(decide({ ...progress, status: 'paused' }, results, 90_000).action, 'wait');
});

test('shadow agreement: classification by same label, regression by mean absolute difference', () => {
  const shadowChecks = { shadowAgreement: { minAgreement: 0.9, maxMeanAbsDiff: 0.5, minSamples: 4 } };
  const agree = compareAnswers({ kind: 'class', values: [1, 2, 3, 4] }, { kind: 'class', values: [1, 2, 3, 9] })!;
  assert.deepEqual([agree.rows, agree.agreeing], [4, 3]);
  const low = evaluateChecks(shadowChecks, {
    ...evidence(windowOf(1)),
    shadow: { ...EMPTY_AGREEMENT, kind: 'class', compared: 1, rows: 4, agreeing: 3 },
  });
  assert.equal(low[0].status, 'fail');
  assert.match(low[0].detail, /shadow agreement 75\.0% of 4 rows < 90\.0%/);
  const mad = compareAnswers({ kind: 'value', values: [1, 2] }, { kind: 'value', values: [1.5, 1] })!;
  const reg = evaluateChecks(shadowChecks, {
    ...evidence(windowOf(1)),
    shadow: { ...EMPTY_AGREEMENT, kind: 'value', compared: 1, rows: 4, absDiffSum: mad.absDiffSum * 2 },
  });
  assert.equal(reg[0].status, 'fail');
  assert.equal(reg[0].value, 0.75);
});

test('Jensen–Shannon divergence: 0 for equal distributions, 1 for disjoint ones', () => {
  assert.equal(
    jensenShannon(
      new Map([
        [1, 10],
        [2, 10],
      ]),
      new Map([
        [1, 5],
        [2, 5],
      ]),
    ),
    0,
  );
  assert.equal(jensenShannon(new Map([[1, 10]]), new Map([[2, 3]])), 1);
  assert.ok(valueDivergence([1, 2, 3, 4], [1, 2, 3, 4]) < 1e-12);
  assert.ok(valueDivergence([0, 0.1, 0.2], [10, 10.1, 10.2]) > 0.99);
});

const paired = { maxDisagreement: 0.1, valueTolerance: 0.1, confidence: 0.999, sampleRate: 0.1, minSamples: 30 };
/** Paired label rows: `disagreeing` of `rows` differ. */
const labelPairs = (rows: number, disagreeing: number): PairedSummary => ({
  kind: 'class',
  absDiffs: Array.from({ length: rows }, (_, i) => (i < disagreeing ? 1 : 0)),
  errors: 0,
});

test('an inverted binary classifier keeps its class mix, passes prediction_divergence and fails paired_disagreement', () => {
  // 52% / 48% answered by the stable; the candidate swaps every label: 48% / 52%.
  const stable = windowOf(500, { classes: Array.from({ length: 25 }, (_, i) => (i < 13 ? 0 : 1)) });
  const candidate = windowOf(500, { classes: Array.from({ length: 25 }, (_, i) => (i < 13 ? 1 : 0)) });
  const results = evaluateChecks(
    { predictionDivergence: { max: 0.1, minSamples: 50 }, pairedDisagreement: paired },
    { stable, candidate, paired: labelPairs(60, 60) },
  );
  assert.deepEqual(
    results.map((r) => [r.check, r.status]),
    [
      ['prediction_divergence', 'pass'],
      ['paired_disagreement', 'fail'],
    ],
  );
  assert.ok(results[0].value! < 0.01, `Jensen–Shannon ${results[0].value}`);
  assert.match(
    results[1].detail,
    /^labels differ on 100\.0% of 60 paired rows \(60\); 99\.9% bounds \d+\.\d%–100\.0%: above the tolerance 10\.0%$/,
  );
  const d = decide(progress, results, 1_000);
  assert.equal(d.action, 'rollback');
  assert.deepEqual(d.action === 'rollback' && d.failed, ['paired_disagreement']);
});

test('paired rows short of min_samples, or too few to tell, hold the step: never a pass', () => {
  const check = (p: PairedSummary) =>
    evaluateChecks({ pairedDisagreement: paired }, { ...evidence(windowOf(100)), paired: p })[0];
  const few = check(labelPairs(29, 0));
  assert.deepEqual([few.status, few.detail], ['insufficient', 'paired_disagreement needs 30 paired rows, has 29']);
  const close = check(labelPairs(200, 22)); // 11% against 10%: more rows needed either way
  assert.equal(close.status, 'insufficient');
  assert.match(
    close.detail,
    /^paired_disagreement needs more paired rows to tell 10\.0% apart: labels differ on 11\.0% of 200 paired rows/,
  );
  const d = decide(progress, [close], 60_000);
  assert.equal(d.action, 'hold');
  assert.equal(check(labelPairs(82, 0)).status, 'pass');
  assert.equal(check(labelPairs(1000, 30)).status, 'pass');
  assert.equal(check(labelPairs(30, 30)).status, 'fail');
});

test('regression: a pair disagrees when the answers are further apart than value_tolerance × the stable spread', () => {
  const values = Array.from({ length: 200 }, (_, i) => i % 11); // standard deviation about 3.19
  const stable: WindowSummary = {
    requests: 200,
    errors: 0,
    latenciesMs: [],
    classes: new Map(),
    values,
    predictionKind: 'value',
  };
  const check = (absDiffs: number[], s = stable) =>
    evaluateChecks(
      { pairedDisagreement: paired },
      { stable: s, candidate: stable, paired: { kind: 'value', absDiffs, errors: 0 } },
    )[0];
  const close = check(Array.from({ length: 100 }, () => 0.3));
  assert.equal(close.status, 'pass');
  assert.match(
    close.detail,
    /answers differ by more than 0\.319 \(0\.1 × the stable's standard deviation 3\.19\) on 0\.0% of 100 paired rows/,
  );
  assert.equal(check(Array.from({ length: 100 }, (_, i) => (i % 2 ? 0.3 : 2))).status, 'fail');
  const noSpread = check([0.3, 0.3], { ...stable, values: [1] });
  assert.match(noSpread.detail, /needs 30 paired rows and the stable's answers to measure their spread, has 2/);
});

test('the default checks include paired_disagreement with its defaults; named checks leave it out unless named', () => {
  assert.deepEqual(parseRolloutSpec({ candidate: 2 }).checks.pairedDisagreement, paired);
  assert.equal(parseRolloutSpec({ candidate: 2, checks: { error_rate: {} } }).checks.pairedDisagreement, undefined);
  assert.deepEqual(
    parseRolloutSpec({ candidate: 2, checks: { paired_disagreement: { max_disagreement: 0.02, sample_rate: 0.5 } } })
      .checks.pairedDisagreement,
    { ...paired, maxDisagreement: 0.02, sampleRate: 0.5 },
  );
  assert.throws(
    () => parseRolloutSpec({ candidate: 2, checks: { paired_disagreement: { max_disagreement: 0 } } }),
    /invalid rollout: .*max_disagreement/,
  );
  assert.throws(
    () => parseRolloutSpec({ candidate: 2, checks: { paired_disagreement: { confidence: 1 } } }),
    /invalid rollout: .*confidence/,
  );
});
