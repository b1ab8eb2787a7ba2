import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModelConfigYaml } from './model-config-yaml.js';
import { parseTritonConfig } from './model-config-triton.js';
import { checkFallback } from './model-config-resilience.js';

describe('overload and fallback settings', () => {
  it('config.yaml: max_concurrency and adaptive_concurrency join the scheduling settings', () => {
    const c = parseModelConfigYaml(
      'max_concurrency: 32\nadaptive_concurrency: { target_latency_ms: 25, min_limit: 2, max_limit: 64 }\ndynamic_batching: { max_queue_size: 10 }\n',
    );
    assert.equal(c.scheduling?.maxConcurrency, 32);
    assert.equal(c.scheduling?.maxQueueSize, 10);
    assert.deepEqual(c.scheduling?.adaptiveConcurrency, {
      algorithm: 'aimd',
      targetLatencyMs: 25,
      initialLimit: 20,
      minLimit: 2,
      maxLimit: 64,
      backoffRatio: 0.9,
    });
    assert.throws(
      () => parseModelConfigYaml('adaptive_concurrency: { target_latency_ms: 5, min_limit: 9, max_limit: 3 }\n'),
      /min_limit \(9\) is above max_limit \(3\)/,
    );
  });

  it('config.yaml: one of constant, rule or model, with triggers and a breaker (on by default)', () => {
    const constant = parseModelConfigYaml('fallback: { constant: { label: 0, scores: [0.5, 0.5] } }\n').fallback!;
    assert.deepEqual(constant.predictor, { kind: 'constant', outputs: { label: [0], scores: [0.5, 0.5] } });
    assert.deepEqual(constant.when, ['error', 'timeout', 'shed', 'features']);
    assert.equal(constant.breaker?.failureThreshold, 5);
    const rule = parseModelConfigYaml(
      'fallback: { rule: "amount > 10 ? 1 : 0", when: [error], breaker: false }\n',
    ).fallback!;
    assert.deepEqual(rule, { predictor: { kind: 'rule', rules: { '': ['amount > 10 ? 1 : 0'] } }, when: ['error'] });
    assert.deepEqual(parseModelConfigYaml('fallback: { model: simple }\n').fallback?.predictor, {
      kind: 'model',
      model: 'simple',
    });
  });

  it('config.yaml: mistakes say what is wrong', () => {
    assert.throws(
      () => parseModelConfigYaml('fallback: { model: a, constant: { x: 1 } }\n'),
      /exactly one of constant, rule or model/,
    );
    assert.throws(
      () => parseModelConfigYaml('fallback: { rule: { p: "amount >" } }\n'),
      /fallback\.rule\.p: expected a number, a name or '\(' but found 'end of expression' at character 9/,
    );
    assert.throws(() => parseModelConfigYaml('fallback: { model: a, when: [sometimes] }\n'), /invalid fallback/);
  });

  it('config.pbtxt: the same settings as parameters', () => {
    const c = parseTritonConfig(`
name: "m"
platform: "onnxruntime_onnx"
parameters { key: "max_concurrency" value: { string_value: "16" } }
parameters { key: "adaptive_concurrency_target_latency_ms" value: { string_value: "40" } }
parameters { key: "fallback_constant" value: { string_value: "{\\"label\\": 3}" } }
parameters { key: "fallback_when" value: { string_value: "error, timeout" } }
parameters { key: "breaker_failure_threshold" value: { string_value: "2" } }
`);
    assert.equal(c.scheduling?.maxConcurrency, 16);
    assert.equal(c.scheduling?.adaptiveConcurrency?.targetLatencyMs, 40);
    assert.deepEqual(c.fallback?.predictor, { kind: 'constant', outputs: { label: [3] } });
    assert.deepEqual(c.fallback?.when, ['error', 'timeout']);
    assert.equal(c.fallback?.breaker?.failureThreshold, 2);
    assert.throws(
      () => parseTritonConfig('parameters { key: "fallback_constant" value: { string_value: "{label" } }\n'),
      /fallback_constant must be JSON/,
    );
  });

  it("checks a fallback against the model's outputs", () => {
    const outputs = [
      { name: 'logits', datatype: 'FP32' as const, dims: [3] },
      { name: 'label', datatype: 'INT64' as const, dims: [] },
    ];
    const parse = (yaml: string) => parseModelConfigYaml(yaml).fallback!;
    assert.throws(
      () => checkFallback(parse('fallback: { constant: { prob: 1 } }'), outputs, 'm'),
      /names output 'prob', which the model does not have; its outputs are: logits, label/,
    );
    assert.throws(
      () => checkFallback(parse('fallback: { constant: { logits: [1, 2] } }'), outputs, 'm'),
      /gives 2 value\(s\) per row, but the output has dims \[3\]/,
    );
    assert.throws(
      () => checkFallback(parse('fallback: { rule: "1" }'), outputs, 'm'),
      /give one expression per element/,
    );
    checkFallback(parse('fallback: { rule: { logits: ["1", "2", "x[0]"], label: "0" } }'), outputs, 'm');
  });
});
