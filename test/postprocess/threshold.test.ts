/**
 * A binary classifier's decision threshold from the model config (`parameters: { threshold, threshold_output,
 * threshold_class }`): the INT64 `label` output, over real HTTP, for an ONNX model and an XGBoost model.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  ROOT,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';

interface BreastCancerReference {
  inputs: number[][];
  probabilities: number[][];
}

const cancer = readJsonFixture<BreastCancerReference>('test/fixtures/reference/breast_cancer.json');
/** The reference row least sure of its class, and thresholds just below and above its positive score. */
const NEAR = cancer.probabilities.reduce(
  (best, p, i) => (Math.abs(p[1] - 0.5) < Math.abs(cancer.probabilities[best][1] - 0.5) ? i : best),
  0,
);
const SCORE = cancer.probabilities[NEAR][1];
const LOW = SCORE - 0.005;
const HIGH = SCORE + 0.005;

function yaml(parameters: Record<string, string | number>, extra = ''): { file: 'config.yaml'; text: string } {
  return { file: 'config.yaml', text: `${extra}parameters: ${JSON.stringify(parameters)}\n` };
}

function request(rows: number[][], outputs?: string[]) {
  return {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 30], data: rows }],
    ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
  };
}

describe('decision threshold', () => {
  let server: RunningServer;
  let repo: TempRepository;

  before(async () => {
    const onnx = 'models/breast_cancer/1/model.onnx';
    repo = await tempRepository({
      low: { onnx, config: yaml({ threshold: LOW }) },
      high: { onnx, config: yaml({ threshold: HIGH, threshold_output: 'probabilities' }) },
      negative: { onnx, config: yaml({ threshold: 0.5, threshold_class: 0 }) },
      misconfigured: { onnx, config: yaml({ threshold: 0.5, threshold_output: 'scores' }) },
    });
    mkdirSync(join(repo.dir, 'xgb', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/breast_cancer_xgb/1/model.json'), join(repo.dir, 'xgb', '1', 'model.json'));
    writeFileSync(join(repo.dir, 'xgb', 'config.yaml'), 'runtime: xgboost\nparameters: { threshold: 0.99 }\n');
    server = await startTestServer({ repository: repo.dir, strictReadiness: false });
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  const infer = async (model: string, rows: number[][], outputs?: string[]) =>
    inferBody(await postJson(`${server.url}/v2/models/${model}/infer`, request(rows, outputs)));

  it(`two thresholds around a row's score (${SCORE.toFixed(4)}) give different labels`, async () => {
    const low = await infer('low', [cancer.inputs[NEAR]]);
    const high = await infer('high', [cancer.inputs[NEAR]]);
    assert.deepEqual(outputNamed(low, 'label').data, [1]);
    assert.deepEqual(outputNamed(high, 'label').data, [0]);
    assert.deepEqual(outputNamed(low, 'probabilities').data, outputNamed(high, 'probabilities').data);
  });

  it('every row: label = 1 exactly when its positive score is at or above the threshold; appended after the model outputs', async () => {
    for (const [model, threshold] of [
      ['low', LOW],
      ['high', HIGH],
    ] as const) {
      const r = await infer(model, cancer.inputs);
      assert.deepEqual(
        r.outputs.map((o) => o.name),
        ['probabilities', 'label'],
      );
      const label = outputNamed(r, 'label');
      assert.equal(label.datatype, 'INT64');
      assert.deepEqual(label.shape, [cancer.inputs.length]);
      const p = outputNamed(r, 'probabilities').data as number[];
      assert.deepEqual(
        label.data,
        cancer.inputs.map((_, i) => (p[i * 2 + 1] >= threshold ? 1 : 0)),
      );
    }
  });

  it('threshold_class 0 reads the first column and answers 0 at or above the threshold', async () => {
    const r = await infer('negative', cancer.inputs);
    const p = outputNamed(r, 'probabilities').data as number[];
    assert.deepEqual(
      outputNamed(r, 'label').data,
      cancer.inputs.map((_, i) => (p[i * 2] >= 0.5 ? 0 : 1)),
    );
  });

  it('the label can be asked for alone (its scores are computed but not returned)', async () => {
    const r = await infer('low', cancer.inputs.slice(0, 3), ['label']);
    assert.deepEqual(
      r.outputs.map((o) => o.name),
      ['label'],
    );
    assert.deepEqual(outputNamed(r, 'label').shape, [3]);
  });

  it("a tree model's own label is replaced by the thresholded decision", async () => {
    const r = await infer('xgb', cancer.inputs);
    assert.deepEqual(
      r.outputs.map((o) => o.name),
      ['label', 'probabilities'],
    );
    const p = outputNamed(r, 'probabilities').data as number[];
    const expected = cancer.inputs.map((_, i) => (p[i * 2 + 1] >= 0.99 ? 1 : 0));
    assert.deepEqual(outputNamed(r, 'label').data, expected);
    assert.ok(
      expected.some((l, i) => l === 0 && p[i * 2 + 1] >= 0.5),
      'some row is positive at 0.5 but not at 0.99',
    );
    const alone = await infer('xgb', cancer.inputs, ['label']);
    assert.deepEqual(outputNamed(alone, 'label').data, expected);
  });

  it('a threshold naming an unknown output keeps the model from loading, with the reason', async () => {
    const r = await postJson(`${server.url}/v2/models/misconfigured/infer`, request(cancer.inputs.slice(0, 1)));
    assert.equal(r.status, 503);
    const status = await get(`${server.url}/v1/models/misconfigured`);
    assert.match(status.text, /threshold_output 'scores' is not an output of the model/);
  });
});
