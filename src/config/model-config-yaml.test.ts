import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseModelConfigYaml } from './model-config-yaml.js';

test('parses our config.yaml with Triton-style names', () => {
  const c = parseModelConfigYaml(`
max_batch_size: 32
inputs: [{ name: input, datatype: FP32, dims: [64] }]
outputs: [{ name: label, data_type: TYPE_INT64, dims: [] }]
version_policy: { latest: 2 }
dynamic_batching: { preferred_batch_size: [8, 16], max_queue_delay_microseconds: 200, max_queue_size: 100, priority_levels: 2 }
instance_group: { count: 2 }
onnx: { intra_op_threads: 2, graph_optimization_level: basic }
parameters: { threshold: 0.5 }
`);
  assert.equal(c.maxBatchSize, 32);
  assert.deepEqual(c.inputs, [{ name: 'input', datatype: 'FP32', dims: [64] }]);
  assert.deepEqual(c.outputs, [{ name: 'label', datatype: 'INT64', dims: [] }]);
  assert.deepEqual(c.versionPolicy, { kind: 'latest', numVersions: 2 });
  assert.equal(c.scheduling?.maxQueueSize, 100);
  assert.deepEqual(c.scheduling?.preferredBatchSizes, [8, 16]);
  assert.equal(c.scheduling?.priorityLevels, 2);
  assert.equal(c.instanceCount, 2);
  assert.equal(c.onnx?.intraOpThreads, 2);
  assert.equal(c.onnx?.graphOptimizationLevel, 'basic');
  assert.deepEqual(c.parameters, { threshold: '0.5' });
});

test('version policies: all, specific', () => {
  assert.deepEqual(parseModelConfigYaml('version_policy: all').versionPolicy, { kind: 'all' });
  assert.deepEqual(parseModelConfigYaml('version_policy: { specific: [1, 3] }').versionPolicy, {
    kind: 'specific',
    versions: [1, 3],
  });
  assert.deepEqual(parseModelConfigYaml('version_policy: { specific: { versions: [2] } }').versionPolicy, {
    kind: 'specific',
    versions: [2],
  });
});

test('an empty file is a valid config', () => {
  assert.deepEqual(parseModelConfigYaml('').maxBatchSize, undefined);
});

test('invalid configs say which field and file', () => {
  assert.throws(
    () => parseModelConfigYaml('max_batch_size: -1', 'm/config.yaml'),
    /m\/config.yaml: invalid model config[\s\S]*max_batch_size/,
  );
  assert.throws(() => parseModelConfigYaml('max_batchsize: 4', 'm/config.yaml'), /m\/config.yaml[\s\S]*max_batchsize/);
  assert.throws(
    () => parseModelConfigYaml('inputs: [{ name: x, datatype: FLOAT, dims: [1] }]', 'm/config.yaml'),
    /inputs\[0\] \('x'\) needs a datatype such as FP32/,
  );
  assert.throws(() => parseModelConfigYaml('a: [', 'm/config.yaml'), /m\/config.yaml: not valid YAML/);
  assert.throws(
    () => parseModelConfigYaml('platform: pytorch_libtorch', 'm/config.yaml'),
    /platform\/backend 'pytorch_libtorch' is not supported/,
  );
});

test('traffic weights must sum to 100', () => {
  assert.deepEqual(parseModelConfigYaml('traffic: { weights: { 1: 90, 2: 10 } }').traffic?.weights, { 1: 90, 2: 10 });
  assert.throws(
    () => parseModelConfigYaml('traffic: { weights: { 1: 90, 2: 20 } }', 'm/config.yaml'),
    /m\/config.yaml: invalid model config[\s\S]*must sum to 100, got 90 \(version 1\) \+ 20 \(version 2\) = 110[\s\S]*traffic.weights/,
  );
});
