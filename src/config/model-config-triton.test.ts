import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTextProto } from './pbtxt.js';
import { parseTritonConfig } from './model-config-triton.js';

const TRITON = `
# A Triton ONNX model config, as found in Triton's own examples.
name: "densenet_onnx"
platform: "onnxruntime_onnx"
max_batch_size : 8
input [
  {
    name: "data_0"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 224, 224 ]
  }
]
output [
  { name: "fc6_1", data_type: TYPE_FP32, dims: [ 1000 ] },
  { name: "names" data_type: TYPE_STRING dims: [ -1 ] }
]
version_policy: { specific { versions: [1, 3] } }
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 100
  default_queue_policy { max_queue_size: 16 default_timeout_microseconds: 5000 }
}
instance_group [ { count: 2 kind: KIND_CPU }, { count: 1 kind: KIND_CPU } ]
parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
parameters { key: "custom" value: { string_value: "x y" } }
optimization { execution_accelerators { cpu_execution_accelerator : [ { name : "openvino" } ] } }
`;

test('parses a Triton config.pbtxt into the fields inferd serves with', () => {
  const c = parseTritonConfig(TRITON, 'densenet_onnx/config.pbtxt');
  assert.equal(c.name, 'densenet_onnx');
  assert.equal(c.runtime, 'onnx');
  assert.equal(c.maxBatchSize, 8);
  assert.deepEqual(c.inputs, [{ name: 'data_0', datatype: 'FP32', dims: [3, 224, 224] }]);
  assert.deepEqual(c.outputs, [
    { name: 'fc6_1', datatype: 'FP32', dims: [1000] },
    { name: 'names', datatype: 'BYTES', dims: [-1] },
  ]);
  assert.deepEqual(c.versionPolicy, { kind: 'specific', versions: [1, 3] });
  assert.deepEqual(c.scheduling, {
    dynamicBatching: true,
    preferredBatchSizes: [4, 8],
    maxQueueDelayMicroseconds: 100,
    maxQueueSize: 16,
    defaultTimeoutMicroseconds: 5000,
  });
  assert.equal(c.instanceCount, 3);
  assert.deepEqual(c.parameters, { intra_op_thread_count: '2', custom: 'x y' });
  assert.deepEqual(c.onnx, { intraOpThreads: 2 });
});

test('a Triton config without dynamic_batching does not join requests', () => {
  const c = parseTritonConfig(
    'platform: "onnxruntime_onnx"\nmax_batch_size: 4\nversion_policy: { latest { num_versions: 2 } }',
  );
  assert.deepEqual(c.scheduling, { dynamicBatching: false });
  assert.deepEqual(c.versionPolicy, { kind: 'latest', numVersions: 2 });
});

test('version_policy all, and the backend field', () => {
  const c = parseTritonConfig('backend: "onnxruntime"\nversion_policy: { all { } }');
  assert.equal(c.runtime, 'onnx');
  assert.deepEqual(c.versionPolicy, { kind: 'all' });
});

test('errors name the file and line', () => {
  assert.throws(
    () => parseTritonConfig('name: "x"\ninput [ { name: "a" data_type: TYPE_NOPE dims: [1] } ]', 'm/config.pbtxt'),
    /m\/config.pbtxt: input 'a' has an unknown data_type 'TYPE_NOPE'/,
  );
  assert.throws(() => parseTextProto('name: "x"\ninput {\n', 'm/config.pbtxt'), /m\/config.pbtxt:end: expected '}'/);
  assert.throws(() => parseTextProto('name "x"', 'f'), /f:1: expected ':' or '\{' after field name/);
  assert.throws(
    () => parseTritonConfig('platform: "tensorflow_savedmodel"', 'f'),
    /platform\/backend 'tensorflow_savedmodel' is not supported/,
  );
});

test('text format: strings with escapes, comments, angle brackets, repeated scalars', () => {
  const m = parseTextProto(`a: "x\\"y" # comment\nb < c: 1 >\nd: 1\nd: 2\ne: [ ]\nf: -1.5e2\ng: true`);
  assert.deepEqual(m, { a: 'x"y', b: { c: 1 }, d: [1, 2], e: [], f: -150, g: true });
});
