import { EXPLANATION_OUTPUT, type DeclaredModelConfig } from '../config/index.js';
import type { RuntimeLoadOptions } from '../runtimes/runtime.js';

/**
 * Tree models choose their own tensor names unless a config declares others, as Triton FIL configs do
 * (`input__0`, `output__0`, with `predict_proba` / `output_class` saying what the output holds).
 */
export function treeNamesFromConfig(declared: DeclaredModelConfig): RuntimeLoadOptions['names'] {
  const input = declared.inputs?.length === 1 ? declared.inputs[0].name : undefined;
  const primary = declared.outputs?.find((o) => o.name !== EXPLANATION_OUTPUT);
  const standard = ['label', 'probabilities', 'prediction'];
  if (!primary || standard.includes(primary.name)) return input ? { input } : undefined;
  const p = declared.parameters;
  const primaryKind = p.predict_proba === 'true' ? 'probabilities' : p.output_class === 'true' ? 'label' : 'prediction';
  return { input, primaryOutput: primary.name, primaryKind, primaryDims: primary.dims };
}
