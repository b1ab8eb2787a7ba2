/**
 * A graph's combine node: several tensors into one. Pure.
 *
 * - `average`: the weighted mean, element by element (FP64 inputs stay FP64, others become FP32).
 * - `weighted_vote`: per row, each input votes with its weight for a class (the arg-max of its last dimension, or
 *   its value when that dimension is absent or 1); the class with the most weight wins (ties: the lowest). INT64.
 * - `concat`: along the last dimension.
 */
import type { CombineMethod } from '../config/index.js';
import { ConfigError, InvalidArgumentError } from '../errors/index.js';
import { formatShape, type Datatype, type NumericArray, type Tensor, type TensorSpec } from '../tensor/index.js';

const NUMERIC_OUT = (d: Datatype): 'FP32' | 'FP64' => (d === 'FP64' ? 'FP64' : 'FP32');

/** The spec a combine writes, or a ConfigError saying why its inputs cannot be combined. */
export function combineSpec(
  method: CombineMethod,
  inputs: readonly TensorSpec[],
  where: string,
): Pick<TensorSpec, 'datatype' | 'dims'> {
  const [first] = inputs;
  const names = inputs.map((i) => `'${i.name}'`).join(', ');
  if (inputs.some((i) => i.datatype === 'BYTES') && method !== 'concat')
    throw new ConfigError(`${where}: ${method} needs numeric tensors; ${names} include BYTES`);
  if (inputs.some((i) => i.datatype !== first.datatype))
    throw new ConfigError(
      `${where}: inputs ${names} have datatypes ${inputs.map((i) => i.datatype).join(', ')}; combine tensors of one datatype`,
    );
  const lead = (d: readonly number[]) => (method === 'concat' ? d.slice(0, -1) : d);
  const mismatch = inputs.find((i) => formatShape(lead(i.dims)) !== formatShape(lead(first.dims)));
  if (mismatch || (method === 'concat' && first.dims.length === 0))
    throw new ConfigError(
      `${where}: inputs ${names} have dims ${inputs.map((i) => formatShape(i.dims)).join(', ')}; ${method === 'concat' ? 'concat joins tensors that agree in every dimension but the last' : `${method} needs tensors of one shape`}`,
    );
  switch (method) {
    case 'average':
      return { datatype: NUMERIC_OUT(first.datatype), dims: [...first.dims] };
    case 'weighted_vote': {
      const last = first.dims[first.dims.length - 1];
      return { datatype: 'INT64', dims: last !== undefined && last !== 1 ? first.dims.slice(0, -1) : [...first.dims] };
    }
    case 'concat': {
      const lasts = inputs.map((i) => i.dims[i.dims.length - 1]);
      const sum = lasts.some((d) => d < 0) ? -1 : lasts.reduce((a, b) => a + b, 0);
      return { datatype: first.datatype, dims: [...first.dims.slice(0, -1), sum] };
    }
  }
}

const num = (v: number | bigint | string): number => (typeof v === 'number' ? v : Number(v));

function sameShape(inputs: readonly Tensor[], node: string, upTo: (s: readonly number[]) => readonly number[]) {
  const want = formatShape(upTo(inputs[0].shape));
  const bad = inputs.find((t) => formatShape(upTo(t.shape)) !== want);
  if (bad)
    throw new InvalidArgumentError(
      `combine '${node}': tensors of shapes ${inputs.map((t) => formatShape(t.shape)).join(', ')} cannot be combined`,
    );
}

function average(inputs: readonly Tensor[], weights: readonly number[], node: string, name: string): Tensor {
  sameShape(inputs, node, (s) => s);
  const datatype = NUMERIC_OUT(inputs[0].datatype);
  const n = inputs[0].data.length;
  const out = datatype === 'FP64' ? new Float64Array(n) : new Float32Array(n);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  for (let k = 0; k < inputs.length; k++) {
    const d = inputs[k].data as NumericArray;
    const w = weights[k] / total;
    for (let i = 0; i < n; i++) out[i] += w * num(d[i]);
  }
  return { name, datatype, shape: [...inputs[0].shape], data: out };
}

function vote(inputs: readonly Tensor[], weights: readonly number[], node: string, name: string): Tensor {
  sameShape(inputs, node, (s) => s);
  const shape = inputs[0].shape;
  const last = shape[shape.length - 1];
  const classes = last !== undefined && last > 1 ? last : 1;
  const rows = inputs[0].data.length / classes;
  const out = new BigInt64Array(rows);
  const tally = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    tally.clear();
    for (let k = 0; k < inputs.length; k++) {
      const d = inputs[k].data as NumericArray;
      let cls = 0;
      if (classes === 1) cls = Math.round(num(d[r]));
      else for (let c = 1; c < classes; c++) if (num(d[r * classes + c]) > num(d[r * classes + cls])) cls = c;
      tally.set(cls, (tally.get(cls) ?? 0) + weights[k]);
    }
    let best = 0;
    let bestWeight = -1;
    for (const [cls, w] of tally) if (w > bestWeight || (w === bestWeight && cls < best)) [best, bestWeight] = [cls, w];
    out[r] = BigInt(best);
  }
  return { name, datatype: 'INT64', shape: classes === 1 ? [...shape] : shape.slice(0, -1), data: out };
}

function concat(inputs: readonly Tensor[], node: string, name: string): Tensor {
  sameShape(inputs, node, (s) => s.slice(0, -1));
  const widths = inputs.map((t) => t.shape[t.shape.length - 1]);
  const width = widths.reduce((a, b) => a + b, 0);
  const rows = widths[0] === 0 ? 0 : inputs[0].data.length / widths[0];
  const first = inputs[0].data;
  const out: NumericArray | string[] = Array.isArray(first)
    ? new Array<string>(rows * width)
    : new (first.constructor as new (n: number) => NumericArray)(rows * width);
  for (let r = 0; r < rows; r++) {
    let at = r * width;
    for (let k = 0; k < inputs.length; k++) {
      const w = widths[k];
      const d = inputs[k].data;
      for (let c = 0; c < w; c++) (out as unknown[])[at + c] = d[r * w + c]; // one datatype: checked at load
      at += w;
    }
  }
  const shape = [...inputs[0].shape.slice(0, -1), width];
  return { name, datatype: inputs[0].datatype, shape, data: out };
}

/** Runs one combine over tensors already read; writes a new tensor named `name`. */
export function combine(
  method: CombineMethod,
  inputs: readonly Tensor[],
  weights: readonly number[],
  node: string,
  name: string,
): Tensor {
  switch (method) {
    case 'average':
      return average(inputs, weights, node, name);
    case 'weighted_vote':
      return vote(inputs, weights, node, name);
    case 'concat':
      return concat(inputs, node, name);
  }
}
