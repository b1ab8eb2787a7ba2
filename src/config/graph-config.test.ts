import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelConfigYaml } from './model-config-yaml.js';
import { parseTritonConfig } from './model-config-triton.js';
import { normalizeModelConfig } from './normalize-model-config.js';

const ENSEMBLE = `
name: "pipeline"
platform: "ensemble"
max_batch_size: 8
input [ { name: "RAW" data_type: TYPE_FP32 dims: [ 30 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 2 ] } ]
ensemble_scheduling {
  step [
    { model_name: "pre" model_version: -1
      input_map { key: "x" value: "RAW" } output_map { key: "y" value: "mid" } },
    { model_name: "clf" model_version: 2
      input_map { key: "features" value: "mid" } output_map { key: "probabilities" value: "OUT" } }
  ]
}
`;

test('a Triton ensemble reads as a graph of steps, its maps as they are', () => {
  const c = normalizeModelConfig(parseTritonConfig(ENSEMBLE, 'pipeline/config.pbtxt'), 'pipeline');
  assert.equal(c.runtime, 'graph');
  assert.equal(c.platform, 'ensemble');
  assert.deepEqual(c.graph?.outputs, ['OUT']);
  assert.deepEqual(c.graph?.nodes, [
    { kind: 'step', name: 'pre#0', model: 'pre', inputs: { x: 'RAW' }, outputs: { y: 'mid' } },
    {
      kind: 'step',
      name: 'clf#1',
      model: 'clf',
      version: 2,
      inputs: { features: 'mid' },
      outputs: { probabilities: 'OUT' },
    },
  ]);
});

test('ensemble_scheduling without platform "ensemble", or a step without a model, is refused with what to do', () => {
  assert.throws(
    () => parseTritonConfig(ENSEMBLE.replace('platform: "ensemble"', 'platform: "onnxruntime_onnx"'), 'p'),
    /ensemble_scheduling without platform: "ensemble".*set platform: "ensemble"/,
  );
  assert.throws(
    () => parseTritonConfig(ENSEMBLE.replace('model_name: "pre"', ''), 'p'),
    /step\[0\] needs a model_name/,
  );
  assert.throws(
    () => parseTritonConfig('platform: "ensemble"\noutput [ { name: "o" data_type: TYPE_FP32 dims: [1] } ]', 'p'),
    /without ensemble_scheduling/,
  );
});

test('config.yaml graph: steps, switches and combines, each with its kind', () => {
  const c = parseModelConfigYaml(
    `graph:
  nodes:
    - step: a
      model: m1
      inputs: { x: in }
      outputs: { y: t }
    - switch: s
      cases:
        - when: in[0] > 1
          model: m2
          inputs: { x: t }
          outputs: { y: u }
        - model: m3
          inputs: { x: t }
          outputs: { y: u }
    - combine: c
      method: weighted_vote
      inputs: [t, u]
      weights: [1, 2]
      output: v
  outputs: [v]
`,
    'g/config.yaml',
  );
  assert.equal(c.runtime, 'graph');
  assert.deepEqual(
    c.graph?.nodes.map((n) => [n.kind, n.name]),
    [
      ['step', 'a'],
      ['switch', 's'],
      ['combine', 'c'],
    ],
  );
});

test('an unknown node kind or combine method is refused, naming the file', () => {
  assert.throws(
    () => parseModelConfigYaml('graph:\n  nodes: [{ loop: x }]\n  outputs: [x]\n', 'g/config.yaml'),
    /g\/config.yaml: invalid graph/,
  );
  assert.throws(
    () =>
      parseModelConfigYaml(
        'graph:\n  nodes: [{ combine: c, method: median, inputs: [a], output: b }]\n  outputs: [b]\n',
        'g/config.yaml',
      ),
    /invalid graph/,
  );
  assert.throws(
    () => parseModelConfigYaml('runtime: onnx\ngraph:\n  nodes: []\n  outputs: []\n', 'g/config.yaml'),
    /cannot declare a graph/,
  );
});
