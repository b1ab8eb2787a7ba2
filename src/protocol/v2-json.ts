/**
 * The Open Inference Protocol (V2) REST wire format: JSON request bodies to InferenceRequest, and responses,
 * metadata and errors back to JSON, as KServe and Triton write them.
 */
import { InvalidArgumentError, UnsupportedError } from '../errors/index.js';
import type { InferenceRequest, InferenceResponse, Parameters, RequestedOutput } from '../inference/types.js';
import { assertRequestId } from '../inference/validate-request.js';
import {
  byteSize,
  elementCount,
  formatShape,
  isDatatype,
  tensorDataFromJson,
  tensorDataFromRaw,
  tensorDataToJsonText,
  tensorDataToRaw,
  DATATYPES,
  type Tensor,
} from '../tensor/index.js';

import {
  assertInputCount,
  checkStrings,
  DEFAULT_DECODE_LIMITS,
  shown,
  shownName,
  type DecodeLimits,
} from './decode-limits.js';

/** Input hardening for V2 requests (the server config's `limits:`); see decode-limits.ts. */
export type V2DecodeLimits = DecodeLimits;
export { DEFAULT_DECODE_LIMITS };
/** Deepest nesting of arrays and objects a JSON body may have. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parameters(v: unknown, where: string): Parameters | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new InvalidArgumentError(`${where}: 'parameters' must be a JSON object`);
  return v;
}

function decodeShape(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidArgumentError(`${what}: 'shape' must be an array of non-negative integers, got ${shown(v)}`);
  }
  return v as number[];
}

/** Hands out the binary section of a request body, in input order. */
export interface BinaryReader {
  take(bytes: number, what: string): Uint8Array;
}

function decodeInput(v: unknown, index: number, binary?: BinaryReader): Tensor {
  if (!isObject(v))
    throw new InvalidArgumentError(`inputs[${index}] must be a JSON object with name, datatype, shape and data`);
  const { name, datatype } = v;
  if (typeof name !== 'string' || name === '')
    throw new InvalidArgumentError(`inputs[${index}] needs a 'name' (string)`);
  const what = `input '${shownName(name)}'`;
  if (!isDatatype(datatype)) {
    throw new InvalidArgumentError(`${what}: unknown datatype ${shown(datatype)}; use one of ${DATATYPES.join(', ')}`);
  }
  const shape = decodeShape(v.shape, what);
  const params = parameters(v.parameters, what);
  const count = elementCount(shape, what);
  const size = params?.binary_data_size;
  if (size !== undefined) {
    if (!binary)
      throw new UnsupportedError(
        `${what}: binary tensor data (binary_data_size) needs the Inference-Header-Content-Length header`,
      );
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
      throw new InvalidArgumentError(`${what}: binary_data_size must be a non-negative integer`);
    if (v.data !== undefined) throw new InvalidArgumentError(`${what} has both 'data' and binary_data_size; send one`);
    return {
      name,
      datatype,
      shape,
      data: tensorDataFromRaw(binary.take(size, what), datatype, shape, count, { what, source: 'binary data' }),
    };
  }
  if (v.data === undefined) throw new InvalidArgumentError(`${what} has no 'data'`);
  return { name, datatype, shape, data: tensorDataFromJson(v.data, datatype, shape, count, what) };
}

/**
 * Refuses an input whose binary_data_size is not what its declared shape and datatype need, before any input's
 * bytes are copied (decodeInput checks the rest; BYTES elements have no fixed size and are counted as decoded).
 */
function assertBinarySize(v: unknown): void {
  if (!isObject(v) || !isObject(v.parameters) || typeof v.name !== 'string' || v.name === '' || !isDatatype(v.datatype))
    return;
  const size = v.parameters.binary_data_size;
  const element = byteSize(v.datatype);
  if (
    element === undefined ||
    !Number.isSafeInteger(size) ||
    (size as number) < 0 ||
    v.data !== undefined ||
    !Array.isArray(v.shape)
  )
    return;
  const what = `input '${shownName(v.name)}'`;
  const count = elementCount(decodeShape(v.shape, what), what);
  if (size !== count * element) {
    throw new InvalidArgumentError(
      `${what}: binary data holds ${size} bytes, but ${v.datatype} shape ${formatShape(v.shape as number[])} needs ${count * element} (${count} elements of ${element} bytes); set binary_data_size to the bytes the shape declares`,
    );
  }
}

/**
 * Throws when `text` nests arrays/objects deeper than `maxDepth`. Scans before JSON.parse, so a hostile body
 * never builds the deep structure (brackets inside strings are skipped).
 */
export function assertJsonDepth(text: string, maxDepth: number): void {
  if (openersAtMost(text, maxDepth)) return; // nesting can't exceed the number of '[' and '{' in the text
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth)
        throw new InvalidArgumentError(
          `the JSON body nests deeper than ${maxDepth} levels (limits.max_json_depth); flatten the data (V2 accepts flat data with a shape)`,
        );
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** True when `text` holds at most `limit` '[' and '{' characters in all (a native search, not a scan in JS). */
function openersAtMost(text: string, limit: number): boolean {
  let n = 0;
  for (const opener of ['[', '{']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) if (++n > limit) return false;
  }
  return true;
}

function decodeOutputs(v: unknown): RequestedOutput[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new InvalidArgumentError(`'outputs' must be an array of {"name": ...} objects`);
  return v.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string')
      throw new InvalidArgumentError(`outputs[${i}] needs a 'name' (string)`);
    return { name: o.name, parameters: parameters(o.parameters, `output '${shownName(o.name)}'`) };
  });
}

/** Parses a request body's text. Malformed or too deeply nested JSON is the caller's mistake (400). */
export function parseJsonBody(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (text.length === 0) throw new InvalidArgumentError('the request body is empty; send a JSON inference request');
  assertJsonDepth(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Builds an InferenceRequest from a V2 JSON request body (and its binary section, when there is one). */
export function decodeInferRequest(
  body: unknown,
  model: string,
  version?: string,
  binary?: BinaryReader,
  limits: V2DecodeLimits = DEFAULT_DECODE_LIMITS,
): InferenceRequest {
  if (!isObject(body)) throw new InvalidArgumentError(`the request body must be a JSON object with an 'inputs' array`);
  assertRequestId(body.id);
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw new InvalidArgumentError(`the request needs a non-empty 'inputs' array of tensors`);
  }
  assertInputCount(body.inputs.length, limits);
  if (binary) body.inputs.forEach(assertBinarySize);
  return {
    model,
    version,
    id: body.id as string | undefined,
    inputs: body.inputs.map((v, i) => checkStrings(decodeInput(v, i, binary), limits.maxStringBytes)),
    outputs: decodeOutputs(body.outputs),
    parameters: parameters(body.parameters, 'request'),
  };
}

/**
 * The V2 JSON response body as text. Tensor data is written directly (exact 64-bit integers, no copies).
 * Outputs named in `binary` get `parameters.binary_data_size` instead of `data`; their bytes follow the JSON.
 */
export function encodeInferResponse(response: InferenceResponse, binary?: ReadonlySet<string>): string {
  const head: Record<string, unknown> = { model_name: response.model, model_version: response.version };
  if (response.id !== undefined) head.id = response.id;
  if (response.parameters) head.parameters = response.parameters;
  const outputs = response.outputs.map((t) => {
    const start = `{"name":${JSON.stringify(t.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`;
    if (binary?.has(t.name)) return `${start},"parameters":{"binary_data_size":${tensorDataToRaw(t.data).byteLength}}}`;
    return `${start},"data":${tensorDataToJsonText(t.data, t.datatype)}}`;
  });
  return `${JSON.stringify(head).slice(0, -1)},"outputs":[${outputs.join(',')}]}`;
}

const NONE: ReadonlySet<string> = new Set();

/** Which outputs the caller wants as binary data: `binary_data_output` on the request, or `binary_data` per output. */
export function binaryOutputs(request: InferenceRequest, response: InferenceResponse): ReadonlySet<string> {
  const all = request.parameters?.binary_data_output === true;
  if (!all && request.outputs === undefined) return NONE; // the common JSON request: nothing to look up
  const out = new Set<string>();
  for (const t of response.outputs) {
    const asked = request.outputs?.find((o) => o.name === t.name)?.parameters?.binary_data;
    if (asked === true || (all && asked !== false)) out.add(t.name);
  }
  return out;
}
