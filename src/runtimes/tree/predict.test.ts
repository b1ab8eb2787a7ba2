import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadXGBoostModel, predict, predictMargin } from './index.js';
import { listFixtures, loadReferenceFixture, maxAbsDiff } from './reference-fixture.js';

const REQUIRED = [
  'breast_cancer_binary',
  'breast_cancer_logistic_reg',
  'categorical_binary',
  'dart_binary',
  'diabetes_multi_target',
  'diabetes_regression',
  'iris_multiclass',
  'iris_softmax',
  'poisson',
];

test('all required XGBoost fixtures are present', () => {
  const names = listFixtures();
  for (const name of REQUIRED) assert.ok(names.includes(name), `missing fixture ${name}`);
});

for (const name of listFixtures()) {
  test(`${name}: predictions and margins match XGBoost to 1e-6`, () => {
    const fx = loadReferenceFixture(name);
    const model = loadXGBoostModel(fx.modelText);
    assert.equal(model.objective.name, fx.objective);
    const margins = predictMargin(model, fx.features, fx.rows, fx.cols);
    const predictions = predict(model, fx.features, fx.rows, fx.cols);
    assert.ok(maxAbsDiff(margins, fx.margins) <= 1e-6, `margin error ${maxAbsDiff(margins, fx.margins)}`);
    assert.ok(
      maxAbsDiff(predictions, fx.predictions) <= 1e-6,
      `prediction error ${maxAbsDiff(predictions, fx.predictions)}`,
    );
  });
}

test('rows with missing values are covered and follow default directions', () => {
  const fx = loadReferenceFixture('breast_cancer_binary');
  const model = loadXGBoostModel(fx.modelText);
  const allMissing = new Float32Array(fx.cols).fill(NaN);
  const [p] = predict(model, allMissing, 1, fx.cols);
  assert.ok(Math.abs(p - fx.predictions[fx.rows - 1]) <= 1e-6, 'the all-NaN reference row');
  assert.ok(fx.features.some((v) => Number.isNaN(v)));
});

test('predict output shapes: softprob [rows, classes], softmax [rows]', () => {
  const prob = loadReferenceFixture('iris_multiclass');
  const probModel = loadXGBoostModel(prob.modelText);
  assert.equal(predict(probModel, prob.features, prob.rows, prob.cols).length, prob.rows * 3);
  const cls = loadReferenceFixture('iris_softmax');
  const clsModel = loadXGBoostModel(cls.modelText);
  assert.equal(predict(clsModel, cls.features, cls.rows, cls.cols).length, cls.rows);
});

test('batch results equal row-by-row results', () => {
  const fx = loadReferenceFixture('iris_multiclass');
  const model = loadXGBoostModel(fx.modelText);
  const batch = predict(model, fx.features, fx.rows, fx.cols);
  for (let r = 0; r < fx.rows; r++) {
    const one = predict(model, fx.features.subarray(r * fx.cols, (r + 1) * fx.cols), 1, fx.cols);
    assert.deepEqual(Array.from(one), Array.from(batch.subarray(r * 3, r * 3 + 3)));
  }
});

test('input shape mismatches are rejected', () => {
  const fx = loadReferenceFixture('breast_cancer_binary');
  const model = loadXGBoostModel(fx.modelText);
  assert.throws(() => predict(model, new Float32Array(29), 1, 29), /expects 30 feature columns, got 29/);
  assert.throws(() => predict(model, new Float32Array(31), 1, 30), /31 values, expected rows \* cols = 30/);
  assert.throws(() => predict(model, new Float32Array(0), -1, 30), /non-negative integer/);
  assert.equal(predict(model, new Float32Array(0), 0, 30).length, 0);
});
