import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors/index.js';
import type { DeclaredModelConfig } from './declared-model-config.js';
import { DEFAULT_MODEL_BREAKER, FALLBACK_TRIGGERS } from './model-config-resilience.js';
import { parseModelConfigYaml } from './model-config-yaml.js';
import { parseTritonConfig } from './model-config-triton.js';
import { DEFAULT_ONNX_OPTIONS, DEFAULT_SCHEDULING, DEFAULT_WARMUP, type ModelConfigSource } from './model-config.js';
import {
  defaultModelConfig,
  normalizeModelConfig,
  readLoadRequestConfig,
  readModelConfigFile,
} from './normalize-model-config.js';

const FULL_YAML = `
runtime: onnx
max_batch_size: 16
inputs: [{ name: input, datatype: FP32, dims: [64] }]
outputs: [{ name: probabilities, datatype: FP32, dims: [2], label_filename: labels.txt }]
version_policy: { latest: 2 }
dynamic_batching: { preferred_batch_size: [4, 8], max_queue_delay_microseconds: 100, max_queue_size: 32, priority_levels: 3 }
instance_group: [{ count: 2 }, { count: 1 }]
onnx: { intra_op_threads: 2 }
parameters: { threshold: 0.7 }
warmup: { iterations: 3 }
traffic: { weights: { 1: 90, 2: 10 } }
slo: { availability: 0.999 }
drift: { sample_rate: 0.5 }
fallback: { constant: { probabilities: [0.5, 0.5] } }
max_concurrency: 8
adaptive_concurrency: { target_latency_ms: 25 }
`;

const PBTXT = `
name: "fraud"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "input" data_type: TYPE_FP32 dims: [ 30 ] } ]
output [ { name: "probabilities" data_type: TYPE_FP32 dims: [ 2 ] } ]
version_policy: { specific: { versions: [ 1, 3 ] } }
dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 200 default_queue_policy { max_queue_size: 64 } }
instance_group [ { count: 2 kind: KIND_CPU } ]
`;

/** The same model as PBTXT, said in config.yaml. */
const SAME_AS_PBTXT_YAML = `
name: fraud
platform: onnxruntime_onnx
max_batch_size: 8
inputs: [{ name: input, datatype: FP32, dims: [30] }]
outputs: [{ name: probabilities, data_type: TYPE_FP32, dims: [2] }]
version_policy: { specific: [1, 3] }
dynamic_batching: { preferred_batch_size: [4], max_queue_delay_microseconds: 200, default_queue_policy: { max_queue_size: 64 } }
instance_group: { count: 2, kind: KIND_CPU }
`;

const sources: ReadonlyArray<[string, ModelConfigSource]> = [
  ['no config', {}],
  ['a full config.yaml', parseModelConfigYaml(FULL_YAML, 'fraud/config.yaml')],
  ['a config.pbtxt', parseTritonConfig(PBTXT, 'fraud/config.pbtxt')],
  [
    'a model that does not batch',
    parseModelConfigYaml(
      'max_batch_size: 0\ndynamic_batching: { priority_levels: 4, default_priority_level: 9 }\n',
      'fraud/config.yaml',
    ),
  ],
];

describe('normalizeModelConfig', () => {
  it('is idempotent: a normalised config normalises to itself', () => {
    for (const [what, source] of sources) {
      const once = normalizeModelConfig(source, 'fraud');
      assert.deepStrictEqual(normalizeModelConfig(once, 'fraud'), once, what);
      assert.deepStrictEqual(normalizeModelConfig(normalizeModelConfig(once, 'fraud'), 'fraud'), once, what);
    }
  });

  it('fills every default of a model that declares nothing; only what the artefact knows stays open', () => {
    const expected: DeclaredModelConfig = {
      name: 'fraud',
      where: "model 'fraud'",
      versionPolicy: { kind: 'latest', numVersions: 1 },
      scheduling: DEFAULT_SCHEDULING,
      instanceCount: 1,
      parameters: {},
      onnx: DEFAULT_ONNX_OPTIONS,
      labelFilenames: {},
      warmup: DEFAULT_WARMUP,
      traffic: { stickyParameter: 'routing_key' },
      inline: { enabled: true },
    };
    assert.deepStrictEqual(defaultModelConfig('fraud'), expected);
    const open = [
      'source',
      'runtime',
      'platform',
      'defaultModelFilename',
      'maxBatchSize',
      'inputs',
      'outputs',
      'threshold',
      'features',
      'slo',
      'drift',
      'fallback',
    ];
    assert.deepEqual(
      Object.keys(defaultModelConfig('fraud')).filter((k) => open.includes(k)),
      [],
    );
  });

  it('fills the defaults inside every section a config declares only in part', () => {
    const c = normalizeModelConfig(parseModelConfigYaml(FULL_YAML, 'fraud/config.yaml'), 'fraud');
    assert.equal(c.platform, 'onnxruntime_onnx', 'platform from the declared runtime');
    assert.equal(c.defaultModelFilename, 'model.onnx', 'file name from the declared runtime');
    assert.equal(c.instanceCount, 3, 'instance groups summed');
    assert.deepStrictEqual(c.scheduling, {
      ...DEFAULT_SCHEDULING,
      preferredBatchSizes: [4, 8],
      maxQueueDelayMicroseconds: 100,
      maxQueueSize: 32,
      priorityLevels: 3,
      defaultPriorityLevel: 1,
      maxConcurrency: 8,
      adaptiveConcurrency: {
        algorithm: 'aimd',
        targetLatencyMs: 25,
        initialLimit: 20,
        minLimit: 1,
        maxLimit: 1000,
        backoffRatio: 0.9,
      },
    });
    assert.deepStrictEqual(c.onnx, { ...DEFAULT_ONNX_OPTIONS, intraOpThreads: 2 });
    assert.deepStrictEqual(c.warmup, { ...DEFAULT_WARMUP, iterations: 3 });
    assert.deepStrictEqual(c.traffic, { weights: { 1: 90, 2: 10 }, stickyParameter: 'routing_key' });
    assert.deepStrictEqual(c.labelFilenames, { probabilities: 'labels.txt' });
    assert.deepStrictEqual(c.threshold, { value: 0.7, positiveClass: 1 }, 'the score output is chosen at completion');
    assert.deepStrictEqual(c.slo, { availability: 0.999, windowDays: 30 });
    assert.equal(c.drift?.windowRows, 1000);
    assert.equal(c.drift?.minRows, 1000);
    assert.equal(c.drift?.bufferRows, 10_000);
    assert.deepStrictEqual(c.drift?.thresholds, { psi: 0.2, ks: 0.1, js: 0.1, missingRate: 0.1 });
    assert.deepStrictEqual(c.fallback?.when, [...FALLBACK_TRIGGERS]);
    assert.deepStrictEqual(c.fallback?.breaker, DEFAULT_MODEL_BREAKER);
  });

  it('a model declared not to batch does not join requests; a default priority outside the levels is the middle one', () => {
    const c = normalizeModelConfig(sources[3][1], 'fraud');
    assert.equal(c.maxBatchSize, 0);
    assert.equal(c.scheduling.dynamicBatching, false);
    assert.equal(c.scheduling.defaultPriorityLevel, 2);
  });

  it('a config.pbtxt and a config.yaml that mean the same normalise to equal configs', () => {
    const pbtxt = readModelConfigFile(PBTXT, 'pbtxt', 'fraud', 'fraud/config');
    const yaml = readModelConfigFile(SAME_AS_PBTXT_YAML, 'yaml', 'fraud', 'fraud/config');
    assert.deepStrictEqual(yaml, pbtxt);
    // The sources themselves differ (the pbtxt lists empty parameters and onnx options; the yaml leaves them out).
    assert.notDeepStrictEqual(
      parseModelConfigYaml(SAME_AS_PBTXT_YAML, 'fraud/config'),
      parseTritonConfig(PBTXT, 'fraud/config'),
    );
  });

  it('a load request config is normalised like a file', () => {
    const c = readLoadRequestConfig(JSON.stringify({ max_batch_size: 4, instance_group: [{ count: 2 }] }), 'fraud');
    assert.equal(c.where, "load request for 'fraud'");
    assert.equal(c.instanceCount, 2);
    assert.deepStrictEqual(c.onnx, DEFAULT_ONNX_OPTIONS);
    assert.throws(
      () => readLoadRequestConfig(JSON.stringify({ default_model_filename: '../x.onnx' }), 'fraud'),
      /default_model_filename/,
    );
    assert.throws(
      () => readLoadRequestConfig(JSON.stringify({ name: 'other' }), 'fraud'),
      /is not the model being loaded/,
    );
  });

  it('is frozen, and leaves the shared defaults alone', () => {
    const c = normalizeModelConfig({ scheduling: { maxQueueSize: 3 } }, 'fraud');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.scheduling) && Object.isFrozen(c.scheduling.preferredBatchSizes));
    assert.equal(Object.isFrozen(DEFAULT_SCHEDULING.preferredBatchSizes), false);
  });

  it('refuses what can be refused without the artefact, naming the file and what to do', () => {
    const refuse = (source: ModelConfigSource, message: RegExp) =>
      assert.throws(
        () => normalizeModelConfig({ source: 'fraud/config.yaml', ...source }, 'fraud'),
        (e: unknown) => e instanceof ConfigError && /^fraud\/config\.yaml: /.test(e.message) && message.test(e.message),
      );
    refuse({ instanceCount: 0 }, /instance count must be a whole number from 1 to 64, got 0/);
    refuse({ maxBatchSize: -1 }, /max_batch_size must be a whole number from 0/);
    refuse(
      { maxBatchSize: 4, scheduling: { preferredBatchSizes: [8] } },
      /preferred_batch_size 8 exceeds max_batch_size 4/,
    );
    refuse({ scheduling: { maxQueueSize: -5 } }, /max_queue_size must be a whole number from 0, got -5/);
    refuse({ scheduling: { maxQueueDelayMicroseconds: 1e30 } }, /is above the longest wait inferd can time/);
    refuse(
      { defaultModelFilename: '../../outside.onnx' },
      /default_model_filename .* must be a file name inside the version folder/,
    );
    refuse({ name: 'other' }, /name 'other' is not the model's name 'fraud'/);
    refuse({ parameters: { threshold_class: '1' } }, /'threshold_class' is set but 'threshold' is not/);
    refuse({ parameters: { threshold: '0.5', threshold_class: '3' } }, /'threshold_class' must be 0 or 1/);
    assert.throws(
      () => readModelConfigFile('name: other\n', 'yaml', 'fraud', 'fraud/config.yaml'),
      /does not match the model's folder name 'fraud'/,
    );
  });
});
