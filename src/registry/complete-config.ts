/**
 * Completes a declared model config from what the artefact itself says (Triton's auto-complete), and checks
 * that what the config declares agrees with the artefact. Pure: data in, config or ConfigError out.
 */
import {
  DEFAULT_FILENAME_BY_RUNTIME, DEFAULT_MAX_BATCH_SIZE, DEFAULT_ONNX_OPTIONS, DEFAULT_SCHEDULING, MAX_TIMEOUT_MICROSECONDS,
  PLATFORM_BY_RUNTIME, type ModelConfig, type ModelConfigSource, type RuntimeKind,
} from '../config/index.js';
import { parseThreshold } from '../config/model-config-postprocess.js';
import { checkFallback } from '../config/model-config-resilience.js';
import { ConfigError } from '../errors/index.js';
import { definedOnly } from '../lib/objects.js';
import { formatShape, type TensorSpec } from '../tensor/index.js';
import type { RuntimeSignature, RuntimeTensorInfo } from '../runtimes/runtime.js';

/** A model batches when every input and output has a leading variable dimension. Rank-0 tensors rule it out. */
export function supportsBatching(signature: RuntimeSignature): boolean {
  const all = [...signature.inputs, ...signature.outputs];
  return all.length > 0 && all.every((t) => t.shape.length >= 1 && t.shape[0] === -1);
}

function dimsCompatible(declared: readonly number[], actual: readonly number[]): boolean {
  if (actual.length === 0 && declared.length === 0) return true;
  if (declared.length !== actual.length) return false;
  return declared.every((d, i) => d === -1 || actual[i] === -1 || d === actual[i]);
}

function completeSpecs(
  declared: readonly TensorSpec[] | undefined,
  actual: readonly RuntimeTensorInfo[],
  batching: boolean,
  where: string,
  what: 'input' | 'output',
): TensorSpec[] {
  const derived = actual.map((t) => ({ name: t.name, datatype: t.datatype, dims: batching ? t.shape.slice(1) : [...t.shape] }));
  if (!declared) return derived;
  for (const d of declared) {
    const a = derived.find((x) => x.name === d.name);
    if (!a) {
      throw new ConfigError(`${where}: ${what} '${d.name}' is not in the model; the model's ${what}s are: ${derived.map((x) => x.name).join(', ')}`);
    }
    if (a.datatype !== d.datatype) {
      throw new ConfigError(`${where}: ${what} '${d.name}' is declared ${d.datatype} but the model has ${a.datatype}`);
    }
    if (!dimsCompatible(d.dims, a.dims)) {
      throw new ConfigError(
        `${where}: ${what} '${d.name}' is declared with dims ${formatShape(d.dims)} but the model has ${formatShape(a.dims)}` +
          (batching ? ' (not counting the batch dimension)' : ''),
      );
    }
  }
  if (what === 'input') {
    const missing = derived.filter((a) => !declared.some((d) => d.name === a.name));
    if (missing.length) throw new ConfigError(`${where}: the model needs input(s) ${missing.map((m) => m.name).join(', ')}, which the config does not declare`);
  }
  return declared.map((d) => ({ ...d }));
}

export interface CompleteConfigOptions {
  readonly name: string;
  readonly source: ModelConfigSource;
  readonly runtime: RuntimeKind;
  readonly signature: RuntimeSignature;
  /** Class labels by output name, read from the config's label files. */
  readonly labels?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** Produces the frozen config a model version serves with. */
export function completeConfig({ name, source, runtime, signature, labels }: CompleteConfigOptions): ModelConfig {
  const where = source.source ?? `model '${name}'`;
  const canBatch = supportsBatching(signature);
  const declaredBatch = source.maxBatchSize;
  if (declaredBatch !== undefined && declaredBatch > 0 && !canBatch) {
    const culprit = [...signature.inputs, ...signature.outputs].find((t) => t.shape.length === 0 || t.shape[0] !== -1);
    throw new ConfigError(
      `${where}: max_batch_size is ${declaredBatch}, but the model's '${culprit?.name}' has shape ${formatShape(culprit?.shape ?? [])}, ` +
        'whose first dimension is not a variable batch dimension; set max_batch_size: 0',
    );
  }
  const maxBatchSize = declaredBatch ?? (canBatch ? DEFAULT_MAX_BATCH_SIZE : 0);
  const batching = maxBatchSize > 0;
  const scheduling = { ...DEFAULT_SCHEDULING, ...definedOnly(source.scheduling) };
  if (!batching) scheduling.dynamicBatching = false;
  const tooBig = scheduling.preferredBatchSizes.find((s) => s > maxBatchSize);
  if (batching && tooBig !== undefined) {
    throw new ConfigError(`${where}: preferred_batch_size ${tooBig} exceeds max_batch_size ${maxBatchSize}`);
  }
  const counts = [['max_queue_size', scheduling.maxQueueSize], ['priority_levels', scheduling.priorityLevels]] as const;
  for (const [key, value] of counts) {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${where}: ${key} must be a whole number from 0, got ${value}`);
  }
  const bad = scheduling.preferredBatchSizes.find((s) => !Number.isInteger(s) || s < 1);
  if (bad !== undefined) throw new ConfigError(`${where}: preferred_batch_size ${bad} must be a whole number from 1`);
  const times = [
    ['default_timeout_microseconds', scheduling.defaultTimeoutMicroseconds], ['max_timeout_microseconds', scheduling.maxTimeoutMicroseconds],
    ['max_queue_delay_microseconds', scheduling.maxQueueDelayMicroseconds],
  ] as const;
  for (const [key, value] of times) {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${where}: ${key} must be a whole number of microseconds from 0, got ${value}`);
    if (value > MAX_TIMEOUT_MICROSECONDS) throw new ConfigError(`${where}: ${key} ${value} is above the longest wait inferd can time (${MAX_TIMEOUT_MICROSECONDS} µs, about 24.8 days); lower it`);
  }
  if (scheduling.defaultPriorityLevel > Math.max(1, scheduling.priorityLevels) || scheduling.defaultPriorityLevel < 1) {
    scheduling.defaultPriorityLevel = Math.max(1, Math.ceil(scheduling.priorityLevels / 2));
  }
  const config: ModelConfig = {
    name,
    runtime,
    platform: source.platform ?? PLATFORM_BY_RUNTIME[runtime],
    maxBatchSize,
    inputs: completeSpecs(source.inputs, signature.inputs, batching, where, 'input'),
    outputs: completeSpecs(source.outputs, signature.outputs, batching, where, 'output'),
    versionPolicy: source.versionPolicy ?? { kind: 'latest', numVersions: 1 },
    scheduling,
    instanceCount: source.instanceCount ?? 1,
    parameters: { ...signature.parameters, ...source.parameters },
    onnx: { ...DEFAULT_ONNX_OPTIONS, ...definedOnly(source.onnx) },
    defaultModelFilename: source.defaultModelFilename ?? DEFAULT_FILENAME_BY_RUNTIME[runtime],
    ...(labels ? { labels } : {}),
    ...(source.features ? { features: source.features } : {}),
    ...(source.slo ? { slo: source.slo } : {}),
    ...(source.fallback ? { fallback: source.fallback } : {}),
    ...(source.drift ? { drift: source.drift } : {}),
  };
  const threshold = parseThreshold(config.parameters, config.outputs, batching, where);
  if (config.fallback) checkFallback(config.fallback, config.outputs, where);
  return deepFreeze(threshold ? { ...config, threshold } : config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
