/** Row gathers and scatters for a switch that sends a batch's rows to different cases. Pure. */
import type { NumericArray, Tensor, TensorData } from '../tensor/index.js';

function like(data: TensorData, length: number): TensorData {
  if (Array.isArray(data)) return new Array<string>(length);
  return new (data.constructor as new (n: number) => NumericArray)(length);
}

/** The rows `rows` of a batched tensor (rows along its first dimension), as a new tensor. */
export function gatherRows(t: Tensor, rows: readonly number[]): Tensor {
  const total = t.shape[0];
  const width = total === 0 ? 0 : t.data.length / total;
  const out = like(t.data, rows.length * width) as unknown[];
  for (let i = 0; i < rows.length; i++)
    for (let c = 0; c < width; c++) out[i * width + c] = t.data[rows[i] * width + c];
  return { ...t, shape: [rows.length, ...t.shape.slice(1)], data: out as TensorData };
}

/** Writes `part` (one row per entry of `rows`) into `into` (allocated on first use, with `total` rows). */
export function scatterRows(into: Tensor | undefined, part: Tensor, rows: readonly number[], total: number): Tensor {
  const width = rows.length === 0 ? 0 : part.data.length / rows.length;
  const target = into ?? {
    name: part.name,
    datatype: part.datatype,
    shape: [total, ...part.shape.slice(1)],
    data: like(part.data, total * width),
  };
  const out = target.data as unknown[];
  for (let i = 0; i < rows.length; i++)
    for (let c = 0; c < width; c++) out[rows[i] * width + c] = part.data[i * width + c];
  return target;
}

/** A copy whose buffer the caller owns (the original may be read again after a member took this one). */
export function copyTensor(t: Tensor): Tensor {
  return { ...t, shape: [...t.shape], data: Array.isArray(t.data) ? [...t.data] : t.data.slice() };
}
