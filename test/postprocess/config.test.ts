/** Post-processing in model configs: label_filename (config.yaml and config.pbtxt), label files, thresholds. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseModelConfigYaml, parseTritonConfig } from '../../src/config/index.js';
import {
  declareThreshold,
  parseLabels,
  readLabelFiles,
  resolveThreshold,
} from '../../src/config/model-config-postprocess.js';
import { ConfigError } from '../../src/errors/index.js';
import type { TensorSpec } from '../../src/tensor/index.js';

/** A threshold as a config declares it, then checked against the outputs (as normalisation and completion do). */
function parseThreshold(
  parameters: Record<string, string>,
  outputs: readonly TensorSpec[],
  batching: boolean,
  where: string,
) {
  const declared = declareThreshold(parameters, where);
  return declared && resolveThreshold(declared, outputs, batching, where);
}

test('label_filename on an output, in config.yaml and config.pbtxt', () => {
  const yaml = parseModelConfigYaml(
    'outputs:\n  - { name: logits, datatype: FP32, dims: [10], label_filename: labels.txt }\n',
  );
  assert.deepEqual(yaml.labelFilenames, { logits: 'labels.txt' });
  const pbtxt = parseTritonConfig(
    'output [ { name: "logits" data_type: TYPE_FP32 dims: [ 10 ] label_filename: "labels.txt" } ]',
  );
  assert.deepEqual(pbtxt.labelFilenames, { logits: 'labels.txt' });
  assert.equal(parseModelConfigYaml('max_batch_size: 4\n').labelFilenames, undefined);
  assert.throws(
    () => parseModelConfigYaml('inputs:\n  - { name: x, datatype: FP32, dims: [1], label_filename: l.txt }\n'),
    ConfigError,
  );
});

test('label files: one label per line, CRLF and a final newline tolerated', () => {
  assert.deepEqual(parseLabels('a\nb\r\n\nd\n'), ['a', 'b', '', 'd']);
  assert.deepEqual(parseLabels(''), []);
});

test('label files are read from the model folder; missing or escaping files are config errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-labels-'));
  try {
    await writeFile(join(dir, 'labels.txt'), 'cat\ndog\n');
    assert.deepEqual(await readLabelFiles(dir, { probs: 'labels.txt' }, 'config.yaml'), { probs: ['cat', 'dog'] });
    assert.equal(await readLabelFiles(dir, undefined, 'config.yaml'), undefined);
    await assert.rejects(
      readLabelFiles(dir, { probs: 'nope.txt' }, 'config.yaml'),
      /cannot read label_filename 'nope.txt' of output 'probs'/,
    );
    await assert.rejects(readLabelFiles(dir, { probs: '../etc/passwd' }, 'config.yaml'), /inside the model's folder/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const outputs: TensorSpec[] = [
  { name: 'label', datatype: 'INT64', dims: [] },
  { name: 'probabilities', datatype: 'FP32', dims: [2] },
];

test('threshold parameters: defaults and checks', () => {
  assert.equal(parseThreshold({}, outputs, true, 'm'), undefined);
  assert.deepEqual(parseThreshold({ threshold: '0.7' }, outputs, true, 'm'), {
    output: 'probabilities',
    value: 0.7,
    positiveClass: 1,
    labelOutput: 'label',
  });
  assert.equal(parseThreshold({ threshold: '0.7', threshold_class: '0' }, outputs, true, 'm')?.positiveClass, 0);
  assert.throws(() => parseThreshold({ threshold: 'high' }, outputs, true, 'm'), /'threshold' must be a number/);
  assert.throws(
    () => parseThreshold({ threshold: '0.5', threshold_output: 'nope' }, outputs, true, 'm'),
    /'nope' is not an output/,
  );
  assert.throws(() => parseThreshold({ threshold: '0.5', threshold_class: '2' }, outputs, true, 'm'), /must be 0 or 1/);
  assert.throws(() => parseThreshold({ threshold_output: 'probabilities' }, outputs, true, 'm'), /'threshold' is not/);
  const multi: TensorSpec[] = [{ name: 'logits', datatype: 'FP32', dims: [10] }];
  assert.throws(() => parseThreshold({ threshold: '0.5' }, multi, true, 'm'), /10 values per row/);
  const stringLabel: TensorSpec[] = [{ name: 'label', datatype: 'BYTES', dims: [] }, outputs[1]];
  assert.throws(() => parseThreshold({ threshold: '0.5' }, stringLabel, true, 'm'), /model's 'label' is BYTES/);
});
