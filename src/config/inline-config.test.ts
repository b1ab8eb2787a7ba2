import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readModelConfigFile } from './normalize-model-config.js';
import { resolveServerConfig } from './server-config.js';
import { DEFAULT_INLINE_EXECUTION, inlineThresholdMicroseconds } from './inline-config.js';

const model = (yaml: string) => readModelConfigFile(yaml, 'yaml', 'digits', 'digits/config.yaml');

describe('inline_execution', () => {
  it('is on with the server threshold when a model says nothing', () => {
    assert.deepEqual(model('max_batch_size: 8\n').inline, { enabled: true });
    assert.equal(inlineThresholdMicroseconds({ enabled: true }, DEFAULT_INLINE_EXECUTION), 100);
  });

  it('reads false and a threshold of its own', () => {
    assert.deepEqual(model('inline_execution: false\n').inline, { enabled: false });
    const own = model('inline_execution: { max_compute_microseconds: 30 }\n').inline;
    assert.deepEqual(own, { enabled: true, maxComputeMicroseconds: 30 });
    assert.equal(inlineThresholdMicroseconds(own, DEFAULT_INLINE_EXECUTION), 30);
    assert.equal(inlineThresholdMicroseconds({ enabled: false }, DEFAULT_INLINE_EXECUTION), undefined);
  });

  it('refuses a threshold that would hold the event loop for milliseconds, naming the field', () => {
    assert.throws(
      () => model('inline_execution: { max_compute_microseconds: 5000 }\n'),
      /digits\/config\.yaml: invalid model config[\s\S]*inline_execution/,
    );
  });

  it('takes the server default and its switch from the server config', () => {
    assert.deepEqual(resolveServerConfig({}).inlineExecution, { enabled: true, maxComputeMicroseconds: 100 });
    const off = resolveServerConfig({ inline_execution: { enabled: false } }).inlineExecution;
    assert.equal(inlineThresholdMicroseconds({ enabled: true, maxComputeMicroseconds: 30 }, off), undefined);
  });
});
