import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadXGBoostModel, ModelFormatError, parseXGBoostJson, parseXGBoostModel, predictMargin } from './index.js';
import { loadReferenceFixture } from './reference-fixture.js';

type JsonContainer = Record<string, unknown> | unknown[];

/** A valid one-split binary:logistic model. */
function baseModel(): JsonContainer {
  return {
    version: [1, 7, 4],
    learner: {
      feature_names: ['a', 'b'],
      feature_types: ['float', 'float'],
      learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: '2', num_target: '1' },
      objective: { name: 'binary:logistic' },
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_trees: '1' },
          tree_info: [0],
          trees: [
            {
              tree_param: { num_nodes: '3', size_leaf_vector: '0' },
              left_children: [1, -1, -1],
              right_children: [2, -1, -1],
              split_indices: [1, 0, 0],
              split_conditions: [0.5, -1, 1],
              default_left: [1, 0, 0],
              split_type: [0, 0, 0],
              sum_hessian: [4, 3, 1],
              categories: [],
              categories_nodes: [],
              categories_segments: [],
              categories_sizes: [],
            },
          ],
        },
      },
    },
  };
}

const TREE = 'learner.gradient_booster.model.trees.0';

/** The tiny model with values replaced at dotted paths (numeric segments index arrays). */
function tinyModel(edits: Record<string, unknown> = {}): unknown {
  const model = baseModel();
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = model;
    for (const key of keys) node = (node as Record<string, unknown>)[key] as JsonContainer;
    (node as Record<string, unknown>)[last] = value;
  }
  return model;
}

/** Asserts that parsing fails with a ModelFormatError whose message matches `pattern`. */
function assertInvalid(json: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseXGBoostModel(json),
    (err: unknown) => {
      assert.ok(err instanceof ModelFormatError, `expected ModelFormatError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('metadata summary of the breast cancer classifier', () => {
  const model = loadXGBoostModel(loadReferenceFixture('breast_cancer_binary').modelText);
  const m = model.metadata;
  assert.equal(m.numFeatures, 30);
  assert.equal(m.featureNames?.[0], 'mean_radius');
  assert.equal(m.featureNames?.length, 30);
  assert.equal(m.featureTypes, null);
  assert.equal(m.objective, 'binary:logistic');
  assert.equal(m.isClassifier, true);
  assert.equal(m.numClasses, 2);
  assert.equal(m.numOutputs, 1);
  assert.equal(m.numTrees, 50);
  assert.deepEqual(m.baseScore, [0.5]);
  assert.deepEqual(m.xgboostVersion, [1, 7, 4]);
});

test('metadata of multiclass, regression and categorical models', () => {
  const iris = loadXGBoostModel(loadReferenceFixture('iris_multiclass').modelText).metadata;
  assert.equal(iris.numClasses, 3);
  assert.equal(iris.numOutputs, 3);
  const diabetes = loadXGBoostModel(loadReferenceFixture('diabetes_regression').modelText).metadata;
  assert.equal(diabetes.isClassifier, false);
  assert.equal(diabetes.numClasses, 0);
  assert.ok(Math.abs(diabetes.baseScore[0] - 151.42288) < 1e-4);
  const cat = loadXGBoostModel(loadReferenceFixture('categorical_binary').modelText);
  assert.deepEqual(cat.metadata.featureTypes?.slice(0, 3), ['c', 'c', 'q']);
  assert.ok(
    cat.catStart.some((s) => s >= 0),
    'has categorical splits',
  );
});

test('base_score is stored in prediction space and linked to a margin', () => {
  const logistic = loadXGBoostModel(loadReferenceFixture('breast_cancer_logistic_reg').modelText);
  assert.ok(Math.abs(logistic.baseMargin[0] - Math.log(0.3 / 0.7)) < 1e-6);
  const poisson = loadXGBoostModel(loadReferenceFixture('poisson').modelText);
  assert.ok(Math.abs(poisson.baseMargin[0] - Math.log(poisson.metadata.baseScore[0])) < 1e-6);
  const v3 = parseXGBoostModel(tinyModel({ 'learner.learner_model_param.base_score': '[2.5E-1]' }));
  assert.ok(Math.abs(v3.baseMargin[0] - Math.log(0.25 / 0.75)) < 1e-6);
});

test('XGBoost bare NaN tokens are accepted, strings are left alone', () => {
  assert.deepEqual(parseXGBoostJson('{"a":[1,NaN,-Infinity],"s":"NaN"}'), { a: [1, null, -Infinity], s: 'NaN' });
});

test('a tiny hand-written model evaluates as expected (x < threshold left, NaN default)', () => {
  const model = parseXGBoostModel(tinyModel());
  const x = Float32Array.from([0, 0.25, 0, 0.75, 0, NaN, 0, 0.5]);
  assert.deepEqual(Array.from(predictMargin(model, x, 4, 2)), [-1, 1, -1, 1]);
});

test('malformed models give clear errors naming the problem and its location', () => {
  assert.throws(() => loadXGBoostModel('{"learner": '), /Invalid XGBoost model at <root>: not valid JSON/);
  assertInvalid([], /at <root>: expected an object, got an array/);
  assertInvalid({}, /at learner: expected an object, got nothing \(the field is missing\)/);
  assertInvalid(
    tinyModel({ 'learner.objective.name': 'rank:foo' }),
    /learner\.objective\.name: unsupported objective "rank:foo"/,
  );
  assertInvalid(tinyModel({ 'learner.gradient_booster.name': 'gblinear' }), /unsupported booster "gblinear"/);
  assertInvalid(
    tinyModel({ 'learner.learner_model_param.num_feature': 'x' }),
    /learner_model_param\.num_feature: expected a number/,
  );
  assertInvalid(
    tinyModel({ [`${TREE}.left_children`]: [1, -1] }),
    /trees\[0\]\.left_children: expected an array of length 3, got length 2/,
  );
  assertInvalid(
    tinyModel({ [`${TREE}.right_children`]: [7, -1, -1] }),
    /trees\[0\]\.left_children\[0\]: node 0 has invalid children \(1, 7\)/,
  );
  assertInvalid(
    tinyModel({ [`${TREE}.split_indices`]: [5, 0, 0] }),
    /split_indices\[0\]: split feature 5 is out of range for 2 features/,
  );
  assertInvalid(
    tinyModel({ [`${TREE}.split_conditions.1`]: 'big' }),
    /split_conditions\[1\]: expected a number, got "big"/,
  );
  assertInvalid(
    tinyModel({ 'learner.gradient_booster.model.tree_info': [3] }),
    /tree_info\[0\]: group 3 is out of range/,
  );
  assertInvalid(
    tinyModel({ 'learner.gradient_booster.model.gbtree_model_param.num_trees': '2' }),
    /num_trees is 2 but 1 trees/,
  );
  assertInvalid(tinyModel({ 'learner.feature_names': ['a'] }), /feature_names: expected 2 entries/);
  assertInvalid(tinyModel({ 'learner.learner_model_param.base_score': '1.5' }), /base_score 1.5 must be in \(0, 1\)/);
});

test('cycles and shared children are rejected', () => {
  assertInvalid(
    tinyModel({ [`${TREE}.left_children`]: [1, 2, -1], [`${TREE}.right_children`]: [2, 0, -1] }),
    /node \d is reachable twice/,
  );
});
