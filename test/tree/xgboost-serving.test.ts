import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Reference {
  inputs: Array<Array<number | null>>;
  predictions: Array<number | number[]>;
  margins: Array<number | number[]>;
  contributions: Array<number[] | number[][]>;
}

function reference(name: string): Reference {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/xgboost', name, 'reference.json'), 'utf8')) as Reference;
}

const FIL_CONFIG = `
backend: "fil"
max_batch_size: 64
input [ { name: "input__0" data_type: TYPE_FP32 dims: [ 10 ] } ]
output [
  { name: "output__0" data_type: TYPE_FP32 dims: [ 1 ] },
  { name: "treeshap_output" data_type: TYPE_FP32 dims: [ 11 ] }
]
instance_group [ { kind: KIND_CPU } ]
parameters [
  { key: "model_type" value: { string_value: "xgboost_json" } },
  { key: "output_class" value: { string_value: "false" } }
]
dynamic_batching { }
`;

let server: RunningServer;
let repo: string;

before(async () => {
  repo = mkdtempSync(join(tmpdir(), 'inferd-tree-'));
  const put = (model: string, fixture: string, file: string, config?: [string, string]) => {
    mkdirSync(join(repo, model, '1'), { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/xgboost', fixture, 'model.json'), join(repo, model, '1', file));
    if (config) writeFileSync(join(repo, model, config[0]), config[1]);
  };
  put('cancer', 'breast_cancer_binary', 'model.json'); // no config: detected as XGBoost
  put('iris', 'iris_multiclass', 'model.json', ['config.yaml', 'runtime: xgboost\nmax_batch_size: 64\n']);
  put('diabetes_fil', 'diabetes_regression', 'xgboost.json', ['config.pbtxt', FIL_CONFIG]);
  server = await startTestServer({ repository: repo });
});

after(async () => {
  await server.close();
  rmSync(repo, { recursive: true, force: true });
});

interface Output {
  name: string;
  shape: number[];
  data: number[];
}

async function infer(
  model: string,
  body: unknown,
): Promise<{ status: number; outputs: Output[]; error?: string | undefined }> {
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as { outputs: Output[]; error?: string };
  return { status: res.status, outputs: json.outputs, error: json.error };
}

function matrix(rows: Array<Array<number | null>>, name = 'input') {
  return { name, datatype: 'FP32', shape: [rows.length, rows[0].length], data: rows };
}

function assertClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `${what}[${i}]: ${a} vs ${expected[i]}`));
}

test('a config-less XGBoost binary model: probabilities and TreeSHAP equal XGBoost, missing values included', async () => {
  const ref = reference('breast_cancer_binary');
  const res = await infer('cancer', { inputs: [matrix(ref.inputs)], parameters: { explain: true } });
  assert.equal(res.status, 200, res.error);
  const [label, probabilities, shap] = res.outputs;
  assert.deepEqual([label.name, probabilities.name, shap.name], ['label', 'probabilities', 'treeshap_output']);
  const p1 = probabilities.data.filter((_, i) => i % 2 === 1);
  assertClose(p1, ref.predictions as number[], 1e-6, 'probability');
  assert.deepEqual(
    label.data,
    p1.map((p) => (p > 0.5 ? 1 : 0)),
  );
  assert.deepEqual(shap.shape, [40, 31]);
  assertClose(shap.data, (ref.contributions as number[][]).flat(), 1e-5, 'contribution');
  for (let r = 0; r < 40; r++) {
    const sum = shap.data.slice(r * 31, r * 31 + 31).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (ref.margins[r] as number)) < 1e-5, `row ${r} contributions sum to the margin`);
  }
});

test('explanations are computed only when asked for', async () => {
  const ref = reference('breast_cancer_binary');
  const plain = await infer('cancer', { inputs: [matrix(ref.inputs.slice(0, 2))] });
  assert.deepEqual(
    plain.outputs.map((o) => o.name),
    ['label', 'probabilities'],
  );
  const named = await infer('cancer', {
    inputs: [matrix(ref.inputs.slice(0, 2))],
    outputs: [{ name: 'treeshap_output' }],
  });
  assert.deepEqual(
    named.outputs.map((o) => o.name),
    ['treeshap_output'],
  );
});

test('model metadata carries the feature names from the model file', async () => {
  const meta = (await (await fetch(`${server.url}/v2/models/cancer`)).json()) as {
    inputs: unknown;
    parameters: Record<string, string>;
  };
  assert.deepEqual(meta.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }]);
  const names = meta.parameters.feature_names.split(',');
  assert.equal(names.length, 30);
  assert.equal(names[0], 'mean_radius');
});

test('features may be sent one tensor per name; absent ones are missing values', async () => {
  const ref = reference('breast_cancer_binary');
  const meta = (await (await fetch(`${server.url}/v2/models/cancer`)).json()) as { parameters: Record<string, string> };
  const names = meta.parameters.feature_names.split(',');
  const rows = ref.inputs.slice(0, 3);
  const inputs = names
    .map((name, f) => ({ name, datatype: 'FP64', shape: [3, 1], data: rows.map((r) => r[f]) }))
    .filter((_, f) => f % 7 !== 0); // drop some features entirely
  const byName = await infer('cancer', { inputs });
  const asMatrix = await infer('cancer', {
    inputs: [matrix(rows.map((r) => r.map((v, f) => (f % 7 === 0 ? null : v))))],
  });
  assert.equal(byName.status, 200, byName.error);
  assert.deepEqual(byName.outputs, asMatrix.outputs);
});

test('multiclass: softmax probabilities and [N, classes, features + 1] contributions', async () => {
  const ref = reference('iris_multiclass');
  const res = await infer('iris', { inputs: [matrix(ref.inputs)], parameters: { explain: true } });
  assert.equal(res.status, 200, res.error);
  const [label, probabilities, shap] = res.outputs;
  assertClose(probabilities.data, (ref.predictions as number[][]).flat(), 1e-6, 'probability');
  assert.deepEqual(
    label.data,
    (ref.predictions as number[][]).map((p) => p.indexOf(Math.max(...p))),
  );
  assert.deepEqual(shap.shape, [40, 3, 5]);
  assertClose(shap.data, (ref.contributions as number[][][]).flat(2), 1e-5, 'contribution');
});

test('a Triton FIL config serves unchanged, with its own tensor names', async () => {
  const ref = reference('diabetes_regression');
  const res = await infer('diabetes_fil', {
    inputs: [matrix(ref.inputs, 'input__0')],
    outputs: [{ name: 'output__0' }, { name: 'treeshap_output' }],
  });
  assert.equal(res.status, 200, res.error);
  const [out, shap] = res.outputs;
  assert.deepEqual(out.shape, [40, 1]);
  ref.predictions.forEach((p, i) =>
    assert.ok(Math.abs(out.data[i] - (p as number)) <= 1e-6 * Math.max(1, Math.abs(p as number)), `row ${i}`),
  );
  assertClose(shap.data, (ref.contributions as number[][]).flat(), 1e-5, 'contribution');
});

test('a malformed explain parameter is a 400', async () => {
  const res = await infer('diabetes_fil', {
    inputs: [matrix([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], 'input__0')],
    parameters: { explain: 'yes' },
  });
  assert.equal(res.status, 400);
  assert.match(res.error ?? '', /parameter 'explain' must be true or false/);
});
