/**
 * The drift statistics against values computed offline with numpy 1.x and scipy (via /usr/bin/python3):
 * numpy.quantile, the PSI formula over numpy arrays, scipy.stats.ks_2samp and
 * scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { parseDriftConfig } from '../../src/config/drift-config.js';
import { jensenShannon, ksFromBins, psi } from '../../src/drift/drift-statistics.js';
import { DriftWindow } from '../../src/drift/drift-window.js';
import { RollingWindow } from '../../src/drift/drift-rolling-window.js';
import { FeatureAccumulator } from '../../src/drift/profile-accumulator.js';
import { mapColumns } from '../../src/drift/profile-columns.js';
import { binCounts, binOf, quantileCutPoints, toFractions } from '../../src/drift/quantile-bins.js';
import type { Profile } from '../../src/drift/profile.js';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} within ${tol}`);

test('decile cut points equal numpy.quantile (linear), with equal ones merged', () => {
  const values = [3.5, 0, 0, 1.25, 7, 2, 2, 9.5, 4, 0, 6, 5.5, 8, 2, 1];
  // numpy: [0.0, 0.8000000000000003, 1.4000000000000001, 2.0, 2.0, 3.7, 5.199999999999998, 6.200000000000001, 7.6]
  const expected = [0, 0.8, 1.4, 2, 3.7, 5.2, 6.2, 7.6];
  const cuts = quantileCutPoints(values);
  assert.equal(cuts.length, expected.length);
  cuts.forEach((c, i) => close(c, expected[i], 1e-12, `cut ${i}`));
  assert.deepEqual(quantileCutPoints([NaN, 5, NaN]), [5]);
});

test('bins are right-closed: a value equal to a cut point falls in the lower bin', () => {
  const cuts = [0, 2, 5];
  assert.deepEqual(
    [-1, 0, 0.5, 2, 2.01, 5, 9].map((v) => binOf(cuts, v)),
    [0, 0, 1, 1, 2, 2, 3],
  );
  assert.deepEqual(binCounts(cuts, [0, 0, 1, NaN, 7]), [2, 1, 0, 1]);
  assert.deepEqual(toFractions([1, 3]), [0.25, 0.75]);
});

test('PSI equals numpy, and an empty reference bin is floored at 1e-4', () => {
  close(psi([0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]), 0.22821740957339182, 1e-12, 'psi');
  close(psi([0.5, 0.5, 0], [0.4, 0.4, 0.2]), 1.5640491119253044, 1e-12, 'psi with an empty bin');
  assert.equal(psi([0.3, 0.7], [0.3, 0.7]), 0);
  assert.throws(() => psi([1], [0.5, 0.5]), /1 reference bins, 2 live bins/);
});

test('KS from binned CDFs equals scipy ks_2samp when the samples sit on the cut points', () => {
  // ref: 10×1, 20×2, 30×3, 40×4; live: 30×1, 30×2, 20×3, 20×4 → ks_2samp statistic 0.3
  const cuts = [1, 2, 3];
  const ref = toFractions(
    binCounts(cuts, [...Array(10).fill(1), ...Array(20).fill(2), ...Array(30).fill(3), ...Array(40).fill(4)]),
  );
  const live = toFractions(
    binCounts(cuts, [...Array(30).fill(1), ...Array(30).fill(2), ...Array(20).fill(3), ...Array(20).fill(4)]),
  );
  close(ksFromBins(ref, live), 0.3, 1e-12, 'ks');
});

test('Jensen–Shannon (base 2) equals scipy jensenshannon squared', () => {
  close(jensenShannon([0.1, 0.4, 0.5, 0], [0.3, 0.3, 0.2, 0.2]), 0.19082232849786462, 1e-12, 'js');
  assert.equal(jensenShannon([0.2, 0.8], [0.2, 0.8]), 0);
  close(jensenShannon([1, 0], [0, 1]), 1, 1e-12, 'disjoint');
});

test('a feature with few distinct integers is profiled as categorical, others as numeric', () => {
  const few = new FeatureAccumulator('few');
  const many = new FeatureAccumulator('many');
  for (let i = 0; i < 100; i++) {
    few.add(i % 3);
    many.add(i % 3 === 0 ? NaN : i / 7);
  }
  const f = few.finish();
  assert.equal(f.kind, 'categorical');
  assert.deepEqual(f.categories, ['0', '1', '2']);
  assert.deepEqual(f.fractions, [34 / 100, 33 / 100, 33 / 100]);
  const m = many.finish();
  assert.equal(m.kind, 'numeric');
  close(m.missingRate, 34 / 100, 1e-12, 'missing rate');
  assert.equal(m.fractions.length, m.cuts!.length + 1);
});

test('a window counts rows into the profile bins and flags only what crossed its threshold', () => {
  const profile: Profile = {
    model: 'm',
    version: '1',
    input: 'input',
    columns: 2,
    rows: 100,
    createdAt: '',
    source: '',
    features: [
      {
        name: 'x',
        kind: 'numeric',
        cuts: [1, 2, 3],
        fractions: [0.1, 0.2, 0.3, 0.4],
        missingRate: 0,
        count: 100,
        column: 0,
      },
      {
        name: 'c',
        kind: 'categorical',
        categories: ['0', '1'],
        fractions: [0.5, 0.5],
        missingRate: 0,
        count: 100,
        column: 1,
      },
    ],
    predictions: [],
  };
  const config = parseDriftConfig({ window: { rows: 100 } }, 'config.yaml');
  const w = new DriftWindow(profile, 0);
  // x: 10 missing, then 1, 2, 3, 4 cycling; c: 50 zeros, 50 ones (JS 0)
  const data: number[] = [];
  for (let i = 0; i < 100; i++) data.push(i < 10 ? NaN : [1, 2, 3, 4][i % 4], i % 2);
  for (let r = 0; r < 100; r++) w.addRow(Float32Array.from(data), [], 100, r);
  const report = w.evaluate(config, 5);
  const [x, c] = report.features;
  assert.equal(x.count, 90);
  const stat = (f: typeof x, s: string) => f.statistics.find((v) => v.statistic === s)!;
  // 90 values from i = 10: 22×1, 22×2, 23×3, 23×4; numpy on [22, 22, 23, 23] / 90 against [.1, .2, .3, .4]:
  close(stat(x, 'psi').value, 0.20986674625874507, 1e-12, 'window psi');
  close(stat(x, 'ks').value, 0.18888888888888883, 1e-12, 'window ks');
  assert.equal(stat(x, 'psi').drifted, true);
  close(stat(x, 'missing_rate').value, 0.1, 1e-12, 'missing rate change');
  assert.equal(stat(x, 'missing_rate').drifted, false);
  assert.equal(stat(c, 'js').value, 0);
  assert.equal(c.drifted, false);
  assert.equal(report.drifted, true);
});

test('drift config: defaults, per-feature overrides, and errors that name the field', () => {
  const c = parseDriftConfig(
    { thresholds: { psi: 0.3 }, features: { x: { ks: 0.5 } }, webhook: { url: 'http://127.0.0.1:9/hook' } },
    'm/config.yaml',
  );
  assert.deepEqual(c.thresholds, { psi: 0.3, ks: 0.1, js: 0.1, missingRate: 0.1 });
  assert.deepEqual(c.features.x, { ks: 0.5 });
  assert.equal(c.webhook?.cooldownSeconds, 3600);
  assert.equal(c.windowRows, 1000);
  assert.throws(
    () => parseDriftConfig({ sample_rate: 2 }, 'm/config.yaml'),
    /m\/config\.yaml: invalid drift:[\s\S]*sample_rate/,
  );
  assert.throws(
    () => parseDriftConfig({ webhook: { url: 'ftp://x' } }, 'm/config.yaml'),
    /webhook\.url must be an http/,
  );
  assert.throws(
    () => parseDriftConfig({ window: { rows: 50 }, min_rows: 60 }, 'm/config.yaml'),
    /min_rows \(60\) is larger than drift\.window\.rows \(50\)/,
  );
});

test("columns map to the input by the model's feature names, else in order minus the excluded ones", () => {
  const named = mapColumns({ input: 'input', columns: 2, modelNames: ['b', 'a'] }, ['label', 'a', 'b'], [], 'f.csv:1');
  assert.deepEqual([named.names, named.positions, named.ignored], [['b', 'a'], [2, 1], ['label']]);
  const ordered = mapColumns({ input: 'input', columns: 2 }, ['x', 'label', 'y'], ['label'], 'f.csv:1');
  assert.deepEqual(
    [ordered.names, ordered.positions],
    [
      ['x', 'y'],
      [0, 2],
    ],
  );
  assert.throws(
    () => mapColumns({ input: 'input', columns: 2, modelNames: ['a', 'c'] }, ['a', 'b'], [], 'f.csv:1'),
    /f\.csv:1: the model's features c are not columns of the file/,
  );
  assert.throws(
    () => mapColumns({ input: 'input', columns: 2 }, ['a', 'b'], ['z'], 'f.csv:1'),
    /--exclude names column\(s\) the file does not have: z/,
  );
});

test('the rolling window covers the last slices only, is evaluated as each slice ends, and ends slices by time', () => {
  const profile: Profile = {
    model: 'm',
    version: '1',
    input: 'input',
    columns: 1,
    rows: 10,
    createdAt: '',
    source: '',
    features: [
      {
        name: 'c',
        kind: 'categorical',
        categories: ['0', '1'],
        fractions: [1, 0],
        missingRate: 0,
        count: 10,
        column: 0,
      },
    ],
    predictions: [],
  };
  // Smaller than config.yaml allows (rows ≥ 10), to follow every row by hand.
  const config = {
    ...parseDriftConfig({ window: { rows: 10, slices: 2, seconds: 10 } }, 'config.yaml'),
    windowRows: 4,
    minRows: 4,
  };
  const w = new RollingWindow(profile, config, 0);
  const add = (v: number, now = 0) => w.addRow(Float32Array.of(v), [], 1, 0, now);
  assert.equal(add(0), undefined);
  assert.equal(add(0), undefined, 'a slice ended, but 2 rows are under min_rows');
  assert.equal(add(1), undefined);
  const first = add(1)!; // slices [0, 0] [1, 1]: half the rows are category 1
  assert.equal(first.rows, 4);
  const js = (r: typeof first) => r.features[0].statistics.find((s) => s.statistic === 'js')!.value;
  close(js(first), 0.3112781244591328, 1e-12, 'js of [1, 0, 0] vs [0.5, 0.5, 0]'); // scipy jensenshannon(...)**2
  add(1);
  const second = add(1)!; // the [0, 0] slice rolled off: all four rows are category 1
  assert.equal(second.rows, 4);
  close(js(second), 1, 1e-12, 'disjoint');
  assert.equal(w.rows, 4);
  assert.equal(w.tick(4_999), undefined, 'a slice lasts window.seconds / slices');
  // The open (empty) slice ends by time and the oldest slice rolls off: 2 rows left, under min_rows, no evaluation.
  assert.equal(w.tick(5_000), undefined);
  assert.equal(w.rows, 2);
});
