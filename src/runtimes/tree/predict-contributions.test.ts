import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadXGBoostModel, predictContributions, predictMargin } from './index.js';
import { listFixtures, loadReferenceFixture, maxAbsDiff } from './reference-fixture.js';

for (const name of listFixtures()) {
  test(`${name}: contributions match pred_contribs to 1e-5 and sum to the margin`, () => {
    const fx = loadReferenceFixture(name);
    const model = loadXGBoostModel(fx.modelText);
    const phi = predictContributions(model, fx.features, fx.rows, fx.cols);
    assert.ok(maxAbsDiff(phi, fx.contributions) <= 1e-5, `contribution error ${maxAbsDiff(phi, fx.contributions)}`);
    const margins = predictMargin(model, fx.features, fx.rows, fx.cols);
    const width = fx.cols + 1;
    for (let i = 0; i < margins.length; i++) {
      let sum = 0;
      for (let c = 0; c < width; c++) sum += phi[i * width + c];
      // float32 sums: 1e-5 absolute, relative for margins larger than 1 (e.g. diabetes ~150)
      const tolerance = 1e-5 * Math.max(1, Math.abs(margins[i]));
      assert.ok(Math.abs(sum - margins[i]) <= tolerance, `output ${i}: sum ${sum} vs margin ${margins[i]}`);
    }
  });
}

test('multiclass contributions have shape [rows, classes, features + 1]', () => {
  const fx = loadReferenceFixture('iris_multiclass');
  const model = loadXGBoostModel(fx.modelText);
  assert.equal(predictContributions(model, fx.features, fx.rows, fx.cols).length, fx.rows * 3 * (fx.cols + 1));
});

test('features never used by the model get zero contribution; bias is row-independent', () => {
  const fx = loadReferenceFixture('breast_cancer_binary');
  const model = loadXGBoostModel(fx.modelText);
  const used = new Set(Array.from(model.splitFeature.filter((_, n) => model.left[n] !== -1)));
  const phi = predictContributions(model, fx.features, fx.rows, fx.cols);
  const width = fx.cols + 1;
  for (let r = 0; r < fx.rows; r++) {
    for (let c = 0; c < fx.cols; c++) if (!used.has(c)) assert.equal(phi[r * width + c], 0);
    assert.equal(phi[r * width + fx.cols], phi[fx.cols]);
  }
});
