/**
 * TF Serving's REST predict API (KServe V1 is the same on the wire): `instances` (row format) or `inputs`
 * (columnar format) in; `predictions` or `outputs` out. The body carries no datatypes or shapes: datatypes come
 * from the model's input specs, shapes from the nesting of the lists. `signature_name` is accepted and ignored.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { InferenceRequest, InferenceResponse } from '../inference/types.js';
import {
  elementCount,
  formatShape,
  shapeMatches,
  tensorDataFromJson,
  type Tensor,
  type TensorSpec,
} from '../tensor/index.js';
import { flattenValue, isB64, rowTexts, shapeOf, tensorText } from './v1-values.js';
import { assertInputCount, checkStrings, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits.js';

/** What decoding needs to know about the model (a ModelConfig has these fields). */
export interface V1Signature {
  readonly name: string;
  /** 0: the model does not batch and takes its inputs exactly as declared. */
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorSpec[];
}

/** Row format (`instances` → `predictions`) or columnar format (`inputs` → `outputs`). */
export type V1Format = 'row' | 'columnar';

type JsonObject = Record<string, unknown>;

/** A JSON object that is not a `{"b64": ...}` element. */
function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isB64(v);
}

function inputNames(sig: V1Signature): string {
  return sig.inputs.map((s) => s.name).join(', ');
}

/** Refuses unknown and missing input names in an object keyed by input name. */
function checkNames(value: JsonObject, sig: V1Signature, where: string, limits: DecodeLimits): void {
  const keys = Object.keys(value);
  assertInputCount(keys.length, limits, `inputs in ${where}`);
  const unknown = keys.find((k) => !sig.inputs.some((s) => s.name === k));
  if (unknown !== undefined)
    throw new InvalidArgumentError(
      `${where} has unknown input '${unknown.slice(0, 64)}'; model '${sig.name}' takes: ${inputNames(sig)}`,
    );
  const missing = sig.inputs.find((s) => value[s.name] === undefined);
  if (missing)
    throw new InvalidArgumentError(
      `${where} has no input '${missing.name}'; model '${sig.name}' needs: ${inputNames(sig)}`,
    );
}

function toTensor(value: unknown, shape: number[], spec: TensorSpec, root: string, what: string): Tensor {
  const values = flattenValue(value, shape, spec.datatype === 'BYTES', root, what);
  return {
    name: spec.name,
    datatype: spec.datatype,
    shape,
    data: tensorDataFromJson(values, spec.datatype, shape, elementCount(shape, what), what),
  };
}

/** A non-batching model's input: the value exactly as declared. */
function exactTensor(value: unknown, spec: TensorSpec, sig: V1Signature, root: string): Tensor {
  const what = `input '${spec.name}'`;
  const shape = shapeOf(value, what);
  if (!shapeMatches(shape, spec.dims)) {
    throw new InvalidArgumentError(
      `${what}: model '${sig.name}' does not batch and takes shape ${formatShape(spec.dims)} (-1 is any size), but ${root} has shape ${formatShape(shape)}`,
    );
  }
  return toTensor(value, shape, spec, root, what);
}

/** One input from the rows' values: stacked along a new batch dimension (as is for non-batching models). */
function rowTensor(rows: unknown[], spec: TensorSpec, sig: V1Signature): Tensor {
  if (sig.maxBatchSize === 0)
    return exactTensor(spec.dims.length === 0 && rows.length === 1 ? rows[0] : rows, spec, sig, "'instances'");
  const what = `input '${spec.name}'`;
  const shape = shapeOf(rows, what);
  if (!shapeMatches(shape.slice(1), spec.dims)) {
    throw new InvalidArgumentError(
      `${what}: each instance must have shape ${formatShape(spec.dims)} for model '${sig.name}' (-1 is any size), but instances[0] has shape ${formatShape(shape.slice(1))}`,
    );
  }
  return toTensor(rows, shape, spec, 'instances', what);
}

/** One input from its batched value (batch dimension first for batching models). */
function columnTensor(value: unknown, spec: TensorSpec, sig: V1Signature, root: string): Tensor {
  if (sig.maxBatchSize === 0) return exactTensor(value, spec, sig, root);
  const what = `input '${spec.name}'`;
  const shape = shapeOf(value, what);
  if (shape.length !== spec.dims.length + 1 || !shapeMatches(shape.slice(1), spec.dims)) {
    throw new InvalidArgumentError(
      `${what}: model '${sig.name}' takes shape ${formatShape([-1, ...spec.dims])} (the batch first; -1 is any size), but ${root} has shape ${formatShape(shape)}`,
    );
  }
  return toTensor(value, shape, spec, root, what);
}

function rowInputs(instances: unknown, sig: V1Signature, limits: DecodeLimits): Tensor[] {
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new InvalidArgumentError(`'instances' must be a non-empty list with one element per row`);
  }
  const list: unknown[] = instances;
  if (sig.inputs.length === 1 && !isObject(list[0])) return [rowTensor(list, sig.inputs[0], sig)];
  const rows = list.map((row, i) => {
    if (!isObject(row))
      throw new InvalidArgumentError(
        `instances[${i}] must be an object keyed by input name (model '${sig.name}' takes: ${inputNames(sig)})`,
      );
    checkNames(row, sig, `instances[${i}]`, limits);
    return row;
  });
  return sig.inputs.map((spec) =>
    rowTensor(
      rows.map((row) => row[spec.name]),
      spec,
      sig,
    ),
  );
}

function columnarInputs(inputs: unknown, sig: V1Signature, limits: DecodeLimits): Tensor[] {
  if (isObject(inputs)) {
    checkNames(inputs, sig, `'inputs'`, limits);
    return sig.inputs.map((spec) => columnTensor(inputs[spec.name], spec, sig, `inputs.${spec.name}`));
  }
  if (sig.inputs.length !== 1) {
    throw new InvalidArgumentError(
      `model '${sig.name}' has ${sig.inputs.length} inputs (${inputNames(sig)}); 'inputs' must be an object of input name → value`,
    );
  }
  return [columnTensor(inputs, sig.inputs[0], sig, `'inputs'`)];
}

/**
 * Builds an InferenceRequest from a predict body; `format` says how to answer. `limits` bounds the names in an
 * object of inputs and the BYTES elements (after base64 decoding); the body's nesting is bounded by the caller's
 * parse (`parseJsonBody`).
 */
export function decodePredictRequest(
  body: unknown,
  sig: V1Signature,
  model: string,
  version?: string,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): { request: InferenceRequest; format: V1Format } {
  if (!isObject(body))
    throw new InvalidArgumentError(
      `the request body must be a JSON object with 'instances' (row format) or 'inputs' (columnar format)`,
    );
  const rows = body.instances !== undefined;
  if (rows === (body.inputs !== undefined)) {
    throw new InvalidArgumentError(
      rows
        ? `the request has both 'instances' and 'inputs'; send one of them`
        : `the request needs 'instances' (a list, one element per row) or 'inputs' (columnar: a value, or an object of input name → value)`,
    );
  }
  const inputs = rows ? rowInputs(body.instances, sig, limits) : columnarInputs(body.inputs, sig, limits);
  return {
    request: { model, version, inputs: inputs.map((t) => checkStrings(t, limits.maxStringBytes)) },
    format: rows ? 'row' : 'columnar',
  };
}

function predictions(outputs: readonly Tensor[]): string {
  if (outputs.length === 1) return `[${rowTexts(outputs[0]).join(',')}]`;
  const rows = outputs.map(rowTexts);
  const odd = rows.findIndex((r) => r.length !== rows[0].length);
  if (odd >= 0) {
    throw new InvalidArgumentError(
      `outputs '${outputs[0].name}' and '${outputs[odd].name}' have ${rows[0].length} and ${rows[odd].length} rows, so they cannot be answered per row; send 'inputs' (columnar format) to get each output whole`,
    );
  }
  const objects = rows[0].map(
    (_, i) => `{${outputs.map((t, j) => `${JSON.stringify(t.name)}:${rows[j][i]}`).join(',')}}`,
  );
  return `[${objects.join(',')}]`;
}

/**
 * The predict response body as text. Row format: `{"predictions": [...]}`, one element per row (an object keyed
 * by output name when there are several outputs). Columnar: `{"outputs": value}` or `{"outputs": {name: value}}`.
 */
export function encodePredictResponse(response: InferenceResponse, format: V1Format): string {
  const outs = response.outputs;
  if (format === 'row') return `{"predictions":${predictions(outs)}}`;
  const value =
    outs.length === 1
      ? tensorText(outs[0])
      : `{${outs.map((t) => `${JSON.stringify(t.name)}:${tensorText(t)}`).join(',')}}`;
  return `{"outputs":${value}}`;
}
