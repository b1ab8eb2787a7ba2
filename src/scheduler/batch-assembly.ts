/**
 * Joining requests' tensors along the batch dimension and splitting outputs back. Pure data manipulation.
 */
import type { NumericArray, Tensor, TensorData } from '../tensor/index.js';

function concatData(parts: readonly TensorData[]): TensorData {
  if (Array.isArray(parts[0])) return (parts as string[][]).flat();
  const first = parts[0] as NumericArray;
  let length = 0;
  for (const p of parts) length += p.length;
  const Ctor = first.constructor as { new (n: number): NumericArray };
  const out = new Ctor(length);
  let offset = 0;
  for (const p of parts as NumericArray[]) {
    // set() is typed per array kind; parts share the first one's kind because their batch key matched.
    (out as Float32Array).set(p as Float32Array, offset);
    offset += p.length;
  }
  return out;
}

/** Joins each input across requests along dimension 0. All requests share input order, datatypes and trailing dims. */
export function concatInputs(perRequest: ReadonlyArray<readonly Tensor[]>): Tensor[] {
  if (perRequest.length === 1) return [...perRequest[0]];
  return perRequest[0].map((first, i) => {
    const parts = perRequest.map((inputs) => inputs[i]);
    const rows = parts.reduce((n, t) => n + t.shape[0], 0);
    return {
      name: first.name,
      datatype: first.datatype,
      shape: [rows, ...first.shape.slice(1)],
      data: concatData(parts.map((t) => t.data)),
    };
  });
}

function sliceRows(t: Tensor, start: number, rows: number): Tensor {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const from = start * rowSize;
  const to = (start + rows) * rowSize;
  const data = Array.isArray(t.data) ? t.data.slice(from, to) : (t.data as NumericArray).subarray(from, to);
  return { name: t.name, datatype: t.datatype, shape: [rows, ...t.shape.slice(1)], data };
}

/**
 * Splits batched outputs back per request, by each request's row count. Views share the batch's buffer.
 * Throws when an output's first dimension is not the batch's row total.
 */
export function splitOutputs(outputs: readonly Tensor[], rowsPerRequest: readonly number[]): Tensor[][] {
  const total = rowsPerRequest.reduce((a, b) => a + b, 0);
  for (const o of outputs) {
    if (o.shape[0] !== total) {
      throw new Error(
        `output '${o.name}' has shape [${o.shape.join(', ')}], whose first dimension is not the batch size ${total}`,
      );
    }
  }
  const result: Tensor[][] = [];
  let start = 0;
  for (const rows of rowsPerRequest) {
    result.push(outputs.map((o) => sliceRows(o, start, rows)));
    start += rows;
  }
  return result;
}
