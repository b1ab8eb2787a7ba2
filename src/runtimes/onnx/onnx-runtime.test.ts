/** The shared ModelRuntime cases against onnxruntime with the digits classifier (logits of scikit-learn's MLP). */
import { loadOptions, modelRuntimeCases, readReference } from '../model-runtime.case.test.js';
import { OnnxRuntime } from './onnx-runtime.js';

const digits = readReference<{ inputs: number[][]; logits: number[][] }>('test/fixtures/reference/digits.json');

modelRuntimeCases('onnx (digits)', () => OnnxRuntime.load(loadOptions('onnx', 'models/digits/1/model.onnx')), {
  rows: digits.inputs,
  output: 'logits',
  expected: digits.logits,
  tolerance: 1e-3,
});
