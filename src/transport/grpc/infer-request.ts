/**
 * ModelInferRequest → the core's InferenceRequest: inputs from typed contents or from raw_input_contents
 * (never both), checked against their declared datatype and shape.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import type { InferenceRequest, RequestedOutput } from '../../inference/types.js';
import { assertRequestId } from '../../inference/validate-request.js';
import {
  allocate,
  DATATYPES,
  elementCount,
  isDatatype,
  tensorDataFromRaw,
  type Tensor,
  type TensorData,
} from '../../tensor/index.js';
import type { InferInputTensor, ModelInferRequest } from './messages.js';
import { parametersFromProto } from './parameters.js';
import { hasTypedContents, tensorDataFromContents } from './typed-contents.js';
import {
  assertInputCount,
  checkStrings,
  DEFAULT_DECODE_LIMITS,
  shown,
  shownName,
  type DecodeLimits,
} from '../../protocol/decode-limits.js';

/** Longest model name or version accepted: model folder names have at most 128 characters. */
const MAX_NAME_CHARS = 128;

/** Shape dimensions arrive as decimal strings (int64); each must be a non-negative integer. */
function decodeShape(shape: readonly string[], what: string): number[] {
  return shape.map((text) => {
    const d = Number(text);
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgumentError(
        `${what}: shape [${shape.slice(0, 16).join(', ')}${shape.length > 16 ? ', ...' : ''}] is invalid: dimensions must be non-negative integers`,
      );
    }
    return d;
  });
}

/** Refuses requests that mix raw and typed contents, or whose raw entries do not match the inputs one to one. */
function checkContentsForm(request: ModelInferRequest): boolean {
  const raw = request.raw_input_contents.length > 0;
  if (!raw) return false;
  const typed = request.inputs.find((i) => hasTypedContents(i.contents));
  if (typed) {
    throw new InvalidArgumentError(
      `input '${shownName(typed.name)}' has contents, but the request also has raw_input_contents; send every input's data one way: either contents or raw_input_contents`,
    );
  }
  if (request.raw_input_contents.length !== request.inputs.length) {
    throw new InvalidArgumentError(
      `raw_input_contents has ${request.raw_input_contents.length} entries, but the request has ${request.inputs.length} inputs; send one entry per input, in order`,
    );
  }
  return true;
}

function decodeData(
  input: InferInputTensor,
  raw: Buffer | undefined,
  datatype: Tensor['datatype'],
  shape: number[],
  what: string,
): TensorData {
  const count = elementCount(shape, what);
  if (raw) return tensorDataFromRaw(raw, datatype, shape, count, { what, source: 'raw_input_contents' });
  if (hasTypedContents(input.contents)) return tensorDataFromContents(input.contents, datatype, shape, count, what);
  if (count === 0) return datatype === 'BYTES' ? [] : allocate(datatype, 0);
  throw new InvalidArgumentError(
    `${what} has no data: set its contents (e.g. contents.fp32_contents) or send raw_input_contents`,
  );
}

function decodeInput(input: InferInputTensor, index: number, raw: Buffer | undefined): Tensor {
  if (input.name === '') throw new InvalidArgumentError(`inputs[${index}] needs a name`);
  const what = `input '${shownName(input.name)}'`;
  if (!isDatatype(input.datatype)) {
    throw new InvalidArgumentError(
      `${what}: unknown datatype '${shownName(input.datatype)}'; use one of ${DATATYPES.join(', ')}`,
    );
  }
  const shape = decodeShape(input.shape, what);
  return {
    name: input.name,
    datatype: input.datatype,
    shape,
    data: decodeData(input, raw, input.datatype, shape, what),
  };
}

function decodeOutputs(request: ModelInferRequest): RequestedOutput[] | undefined {
  if (request.outputs.length === 0) return undefined;
  return request.outputs.map((o, i) => {
    if (o.name === '') throw new InvalidArgumentError(`outputs[${i}] needs a name`);
    return { name: o.name, parameters: parametersFromProto(o.parameters) };
  });
}

/**
 * Builds the core's request from a ModelInferRequest. Every failure is the caller's mistake (INVALID_ARGUMENT).
 * `limits` bounds the number of inputs (checked before any is decoded) and the length of BYTES elements.
 */
export function decodeModelInferRequest(
  request: ModelInferRequest,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): InferenceRequest {
  if (request.model_name === '') throw new InvalidArgumentError('model_name is required');
  // Names longer than any model folder's (128 characters) would only be echoed back in messages.
  if (request.model_name.length > MAX_NAME_CHARS || request.model_version.length > MAX_NAME_CHARS) {
    throw new InvalidArgumentError(
      `model_name ${shown(request.model_name)} or model_version ${shown(request.model_version)} is longer than ${MAX_NAME_CHARS} characters; name a model in the repository`,
    );
  }
  assertRequestId(request.id);
  if (request.inputs.length === 0) throw new InvalidArgumentError('the request needs at least one input tensor');
  assertInputCount(request.inputs.length, limits);
  const raw = checkContentsForm(request);
  return {
    model: request.model_name,
    version: request.model_version || undefined,
    id: request.id || undefined,
    inputs: request.inputs.map((input, i) =>
      checkStrings(decodeInput(input, i, raw ? request.raw_input_contents[i] : undefined), limits.maxStringBytes),
    ),
    outputs: decodeOutputs(request),
    parameters: parametersFromProto(request.parameters),
  };
}
