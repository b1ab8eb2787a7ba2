/**
 * Tree models accept their features either as one FP32 [N, F] tensor or as one [N] or [N, 1] tensor per named
 * feature (names from the model file). This assembles the per-feature form into the single row-major tensor.
 */
import type { ModelConfig } from '../../config/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import type { NumericArray, Tensor } from '../../tensor/index.js';
import type { InferenceRequest } from '../../inference/types.js';

function featureNames(config: ModelConfig): string[] | undefined {
  const names = config.parameters.feature_names;
  if (!names || config.inputs.length !== 1 || config.inputs[0].datatype !== 'FP32') return undefined;
  return names.split(',');
}

function column(t: Tensor, rows: number): ArrayLike<number | bigint> {
  const ok = (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)) && t.shape[0] === rows;
  if (!ok)
    throw new InvalidArgumentError(
      `feature '${t.name}' has shape [${t.shape.join(', ')}]; per-feature inputs must be [${rows}] or [${rows}, 1]`,
    );
  if (t.datatype === 'BYTES' || t.datatype === 'BOOL' || t.datatype === 'FP16' || t.datatype === 'BF16') {
    throw new InvalidArgumentError(
      `feature '${t.name}' has datatype ${t.datatype}; send numbers (FP32, FP64 or integers)`,
    );
  }
  return t.data as NumericArray;
}

/** Returns the request with per-feature tensors joined into the model's single input, or unchanged. */
export function assembleFeatureColumns(config: ModelConfig, request: InferenceRequest): InferenceRequest {
  const names = featureNames(config);
  const inputName = config.inputs[0]?.name;
  if (!names || request.inputs.some((t) => t.name === inputName)) return request;
  const byName = new Map(request.inputs.map((t) => [t.name, t]));
  if (!names.some((n) => byName.has(n))) return request;
  const unknown = request.inputs.find((t) => !names.includes(t.name));
  if (unknown)
    throw new InvalidArgumentError(
      `unexpected input '${unknown.name}': model '${config.name}' takes '${inputName}' or its features by name (${names.slice(0, 5).join(', ')}, ...)`,
    );
  const rows = request.inputs[0].shape[0];
  const data = new Float32Array(rows * names.length).fill(NaN); // absent features are missing values
  names.forEach((name, f) => {
    const t = byName.get(name);
    if (!t) return;
    const col = column(t, rows);
    for (let r = 0; r < rows; r++) data[r * names.length + f] = Number(col[r]);
  });
  return { ...request, inputs: [{ name: inputName, datatype: 'FP32', shape: [rows, names.length], data }] };
}
