/**
 * Checks a request against a model's signature before it is queued. Every failure is the caller's mistake and
 * says what was wrong and what the model expects.
 */
import { EXPLANATION_OUTPUT, MAX_TIMEOUT_MICROSECONDS, type ModelConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { elementCount, formatShape, shapeMatches, type Tensor, type TensorSpec } from '../tensor/index.js';
import type { InferenceRequest, Parameters } from './types.js';

function expectedShape(spec: TensorSpec, config: ModelConfig): string {
  return formatShape(config.maxBatchSize > 0 ? [-1, ...spec.dims] : spec.dims);
}

function checkTensor(t: Tensor, spec: TensorSpec, config: ModelConfig): void {
  const model = `model '${config.name}'`;
  if (t.datatype !== spec.datatype) {
    throw new InvalidArgumentError(
      `input '${t.name}' has datatype ${t.datatype}, but ${model} expects ${spec.datatype}`,
    );
  }
  const batching = config.maxBatchSize > 0;
  const ok = batching
    ? t.shape.length === spec.dims.length + 1 && shapeMatches(t.shape.slice(1), spec.dims)
    : shapeMatches(t.shape, spec.dims);
  if (!ok) {
    throw new InvalidArgumentError(
      `input '${t.name}' has shape ${formatShape(t.shape)}, but ${model} expects ${expectedShape(spec, config)} (-1 is any size)`,
    );
  }
  if (batching && (t.shape[0] < 1 || t.shape[0] > config.maxBatchSize)) {
    throw new InvalidArgumentError(
      `input '${t.name}' has batch size ${t.shape[0]}, but ${model} accepts 1 to ${config.maxBatchSize} (max_batch_size)`,
    );
  }
  const count = elementCount(t.shape, `input '${t.name}'`);
  if (t.data.length !== count) {
    throw new InvalidArgumentError(
      `input '${t.name}': shape ${formatShape(t.shape)} needs ${count} elements but data has ${t.data.length}`,
    );
  }
}

/** Returns the inputs in the model's input order, and the batch's row count. */
export function prepareInputs(config: ModelConfig, request: InferenceRequest): { inputs: Tensor[]; rows: number } {
  const byName = new Map<string, Tensor>();
  for (const t of request.inputs) {
    if (byName.has(t.name)) throw new InvalidArgumentError(`input '${t.name}' is given more than once`);
    const spec = config.inputs.find((s) => s.name === t.name);
    if (!spec) {
      throw new InvalidArgumentError(
        `unexpected input '${t.name}' for model '${config.name}'; its inputs are: ${config.inputs.map((s) => s.name).join(', ')}`,
      );
    }
    checkTensor(t, spec, config);
    byName.set(t.name, t);
  }
  const missing = config.inputs
    .filter((s) => !byName.has(s.name))
    .map((s) => `'${s.name}' (${s.datatype} ${expectedShape(s, config)})`);
  if (missing.length)
    throw new InvalidArgumentError(
      `model '${config.name}' needs input ${missing.join(', ')}, which the request does not have`,
    );
  const inputs = config.inputs.map((s) => byName.get(s.name)!);
  if (config.maxBatchSize === 0) return { inputs, rows: 1 };
  const rows = inputs[0].shape[0];
  const odd = inputs.find((t) => t.shape[0] !== rows);
  if (odd)
    throw new InvalidArgumentError(
      `all inputs must have the same batch size: '${inputs[0].name}' has ${rows}, '${odd.name}' has ${odd.shape[0]}`,
    );
  return { inputs, rows };
}

/**
 * The output names to compute: those requested, or all but explanations. `parameters.explain: true` adds the
 * explanation output when the model has one.
 */
export function selectOutputs(config: ModelConfig, request: InferenceRequest): string[] {
  const explain = request.parameters?.explain;
  if (explain !== undefined && typeof explain !== 'boolean') {
    throw new InvalidArgumentError(`parameter 'explain' must be true or false, got ${JSON.stringify(explain)}`);
  }
  const hasExplanation = config.outputs.some((o) => o.name === EXPLANATION_OUTPUT);
  if (explain && !hasExplanation) {
    throw new InvalidArgumentError(
      `model '${config.name}' cannot explain its predictions (it has no ${EXPLANATION_OUTPUT} output)`,
    );
  }
  const requested = request.outputs?.map((o) => o.name) ?? [];
  const names = requested.length
    ? requested
    : config.outputs.map((o) => o.name).filter((n) => n !== EXPLANATION_OUTPUT);
  if (explain && !names.includes(EXPLANATION_OUTPUT)) names.push(EXPLANATION_OUTPUT);
  if (!requested.length) return names;
  for (const name of names) {
    if (typeof name !== 'string' || !config.outputs.some((o) => o.name === name)) {
      throw new InvalidArgumentError(
        `unknown output '${String(name)}' for model '${config.name}'; its outputs are: ${config.outputs.map((o) => o.name).join(', ')}`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('an output is requested more than once');
  return names;
}

function nonNegativeInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`parameter '${name}' must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads `priority` and `timeout` (microseconds) from request parameters, within the model's limits. */
export function schedulingParameters(
  config: ModelConfig,
  parameters: Parameters | undefined,
): { priority?: number; timeoutMicroseconds?: number } {
  const s = config.scheduling;
  const priority = nonNegativeInteger(parameters?.priority, 'priority');
  // A 64-bit gRPC integer beyond 2^53 arrives as its decimal text: far above the limit either way.
  const timeout =
    typeof parameters?.timeout === 'string' && /^\d+$/.test(parameters.timeout)
      ? Infinity
      : nonNegativeInteger(parameters?.timeout, 'timeout');
  if (priority !== undefined && priority > Math.max(1, s.priorityLevels)) {
    throw new InvalidArgumentError(
      `priority ${priority} is out of range: model '${config.name}' has priority levels 1 to ${Math.max(1, s.priorityLevels)} (0 = default)`,
    );
  }
  if (timeout !== undefined && timeout > MAX_TIMEOUT_MICROSECONDS) {
    throw new InvalidArgumentError(
      `parameter 'timeout' is ${String(parameters?.timeout).slice(0, 40)} µs, above the largest queue timeout inferd can honour (${MAX_TIMEOUT_MICROSECONDS} µs, about 24.8 days); send at most that, or 0 for the model's default`,
    );
  }
  if (timeout !== undefined && s.maxTimeoutMicroseconds > 0 && timeout > s.maxTimeoutMicroseconds) {
    throw new InvalidArgumentError(
      `timeout ${timeout} µs exceeds model '${config.name}''s maximum of ${s.maxTimeoutMicroseconds} µs`,
    );
  }
  return {
    ...(priority === 0 || priority === undefined ? {} : { priority }),
    ...(timeout === 0 || timeout === undefined ? {} : { timeoutMicroseconds: timeout }),
  };
}

/** The longest request `id` accepted (V2 JSON, binary and gRPC); ids are echoed, logged and stored. */
export const MAX_REQUEST_ID_LENGTH = 256;

/** Refuses an `id` that is not a string of at most MAX_REQUEST_ID_LENGTH characters; the id itself is never quoted. */
export function assertRequestId(id: unknown): void {
  if (id === undefined) return;
  if (typeof id !== 'string')
    throw new InvalidArgumentError(`'id' must be a string of at most ${MAX_REQUEST_ID_LENGTH} characters`);
  if (id.length > MAX_REQUEST_ID_LENGTH) {
    throw new InvalidArgumentError(
      `'id' is ${id.length} characters long, above the limit of ${MAX_REQUEST_ID_LENGTH}; send a shorter request id`,
    );
  }
}
