/**
 * Completion: the artefact (an ONNX session's metadata, a tree model) adds to a normalised config only what the
 * config leaves open, once, and never overrides what it declares. Real artefacts from models/ give the signatures.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  normalizeModelConfig,
  readModelConfigFile,
  type DeclaredModelConfig,
  type ModelConfig,
  type RuntimeKind,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { completeConfig } from '../../src/registry/complete-config.js';
import { treeNamesFromConfig } from '../../src/registry/tree-names.js';
import { createRuntime } from '../../src/runtimes/create-runtime.js';
import type { RuntimeSignature } from '../../src/runtimes/runtime.js';

const MODELS = join(import.meta.dirname, '..', '..', '..', 'models');

async function signatureOf(
  runtime: RuntimeKind,
  file: string,
  declared: DeclaredModelConfig,
): Promise<RuntimeSignature> {
  const names = runtime === 'xgboost' ? treeNamesFromConfig(declared) : undefined;
  const r = await createRuntime({
    runtime,
    modelPath: join(MODELS, file),
    ...declared.onnx,
    ...(names ? { names } : {}),
  });
  try {
    return r.signature;
  } finally {
    await r.close();
  }
}

/** Keys both configs have: what completion may not change when the declared config sets them. */
const SHARED: ReadonlyArray<keyof DeclaredModelConfig & keyof ModelConfig> = [
  'name',
  'platform',
  'defaultModelFilename',
  'maxBatchSize',
  'inputs',
  'outputs',
  'versionPolicy',
  'instanceCount',
  'onnx',
  'features',
  'slo',
  'drift',
  'fallback',
];

function assertDeclaredKept(declared: DeclaredModelConfig, completed: ModelConfig): void {
  for (const key of SHARED) {
    if (declared[key] !== undefined) assert.deepStrictEqual(completed[key], declared[key], `declared ${key} is kept`);
  }
  for (const [k, v] of Object.entries(declared.parameters))
    assert.equal(completed.parameters[k], v, `declared parameter ${k} is kept`);
}

describe('completeConfig', () => {
  let digitsSignature: RuntimeSignature;
  let treeSignature: RuntimeSignature;
  const bare = normalizeModelConfig({}, 'm');
  before(async () => {
    digitsSignature = await signatureOf('onnx', 'digits/1/model.onnx', bare);
    treeSignature = await signatureOf('xgboost', 'breast_cancer_xgb/1/model.json', bare);
  });

  it('an ONNX model without a config: the session gives the tensors and the batch size, nothing else changes', () => {
    const c = completeConfig({ declared: bare, runtime: 'onnx', signature: digitsSignature });
    assert.deepStrictEqual(c.inputs, [{ name: 'input', datatype: 'FP32', dims: [64] }]);
    assert.deepStrictEqual(c.outputs, [
      { name: 'logits', datatype: 'FP32', dims: [10] },
      { name: 'label', datatype: 'INT64', dims: [] },
    ]);
    assert.equal(c.maxBatchSize, 64, 'a variable batch dimension: the default batch size');
    assert.equal(c.platform, 'onnxruntime_onnx');
    assert.equal(c.defaultModelFilename, 'model.onnx');
    assert.deepStrictEqual(c.parameters, {}, 'the ONNX session adds no parameters');
    assert.deepStrictEqual(
      { versionPolicy: c.versionPolicy, scheduling: c.scheduling, instanceCount: c.instanceCount, onnx: c.onnx },
      {
        versionPolicy: bare.versionPolicy,
        scheduling: bare.scheduling,
        instanceCount: bare.instanceCount,
        onnx: bare.onnx,
      },
    );
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.inputs[0].dims));
  });

  it('the shipped digits config: completion keeps every declared value and fills the tensors', async () => {
    const declared = readModelConfigFile(
      await readFile(join(MODELS, 'digits', 'config.yaml'), 'utf8'),
      'yaml',
      'digits',
      'digits/config.yaml',
    );
    assert.equal(declared.inputs, undefined);
    const c = completeConfig({ declared, runtime: 'onnx', signature: digitsSignature });
    assertDeclaredKept(declared, c);
    assert.deepStrictEqual(c.scheduling, declared.scheduling);
    assert.equal(c.inputs[0].name, 'input');
  });

  it('declared tensors, batch size, platform, file name and parameters are never replaced by the artefact', () => {
    const declared = normalizeModelConfig(
      {
        source: 'm/config.yaml',
        runtime: 'onnx',
        platform: 'onnxruntime',
        maxBatchSize: 8,
        defaultModelFilename: 'digits.onnx',
        inputs: [{ name: 'input', datatype: 'FP32', dims: [-1] }],
        outputs: [{ name: 'label', datatype: 'INT64', dims: [] }],
        instanceCount: 2,
        onnx: { intraOpThreads: 3 },
        parameters: { note: 'kept' },
      },
      'm',
    );
    const c = completeConfig({ declared, runtime: 'onnx', signature: digitsSignature });
    assertDeclaredKept(declared, c);
    assert.deepStrictEqual(
      c.inputs,
      [{ name: 'input', datatype: 'FP32', dims: [-1] }],
      'a declared variable dim stays variable',
    );
    assert.deepStrictEqual(
      c.outputs.map((o) => o.name),
      ['label'],
      'only the declared outputs are served',
    );
  });

  it('a tree model adds its own metadata parameters, but a declared parameter of the same name wins', () => {
    const declared = normalizeModelConfig({ parameters: { objective: 'declared', predict_proba: 'true' } }, 'm');
    const c = completeConfig({ declared, runtime: 'xgboost', signature: treeSignature });
    assert.equal(c.parameters.objective, 'declared');
    assert.equal(c.parameters.num_trees, '50', 'the artefact fills what the config does not say');
    assert.equal(c.platform, 'xgboost_json');
    assert.equal(c.defaultModelFilename, 'model.json');
    assertDeclaredKept(declared, c);
  });

  it('completion runs once per load: the declared config is not changed by it, and the same inputs give the same config', () => {
    const declared = normalizeModelConfig({ parameters: { threshold: '0.6' } }, 'm');
    const before = JSON.stringify(declared);
    const a = completeConfig({ declared, runtime: 'xgboost', signature: treeSignature });
    const b = completeConfig({ declared, runtime: 'xgboost', signature: treeSignature });
    assert.equal(JSON.stringify(declared), before);
    assert.deepStrictEqual(a, b);
    assert.deepStrictEqual(
      a.threshold,
      { output: 'probabilities', value: 0.6, positiveClass: 1, labelOutput: 'label' },
      'the score output chosen from the artefact',
    );
  });

  it('a model whose signature cannot batch: batch size 0 and no joining; a declared batch size is refused', () => {
    const single: RuntimeSignature = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }],
    };
    const c = completeConfig({ declared: bare, runtime: 'onnx', signature: single });
    assert.equal(c.maxBatchSize, 0);
    assert.equal(c.scheduling.dynamicBatching, false);
    assert.equal(bare.scheduling.dynamicBatching, true, 'the declared config is untouched');
    assert.throws(
      () =>
        completeConfig({
          declared: normalizeModelConfig({ maxBatchSize: 4 }, 'm'),
          runtime: 'onnx',
          signature: single,
        }),
      /set max_batch_size: 0/,
    );
  });

  it('a declared value the artefact contradicts is a ConfigError naming the file', () => {
    const refuse = (declared: DeclaredModelConfig, message: RegExp) =>
      assert.throws(
        () => completeConfig({ declared, runtime: 'onnx', signature: digitsSignature }),
        (e: unknown) => e instanceof ConfigError && /^m\/config\.yaml: /.test(e.message) && message.test(e.message),
      );
    const src = { source: 'm/config.yaml' };
    refuse(
      normalizeModelConfig({ ...src, inputs: [{ name: 'input', datatype: 'INT64', dims: [64] }] }, 'm'),
      /declared INT64 but the model has FP32/,
    );
    refuse(
      normalizeModelConfig({ ...src, inputs: [{ name: 'input', datatype: 'FP32', dims: [32] }] }, 'm'),
      /declared with dims \[32\] but the model has \[64\]/,
    );
    refuse(
      normalizeModelConfig({ ...src, outputs: [{ name: 'scores', datatype: 'FP32', dims: [10] }] }, 'm'),
      /output 'scores' is not in the model/,
    );
    refuse(
      normalizeModelConfig({ ...src, scheduling: { preferredBatchSizes: [128] } }, 'm'),
      /preferred_batch_size 128 exceeds max_batch_size 64/,
    );
    refuse(
      normalizeModelConfig({ ...src, parameters: { threshold: '0.5', threshold_output: 'logits' } }, 'm'),
      /10 values per row/,
    );
  });
});
