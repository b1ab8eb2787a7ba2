/**
 * Normalisation (Triton's NormalizeModelConfig): a model config as a file or a load request declares it becomes
 * a `DeclaredModelConfig` with every default filled and every check that needs no model artefact done, once,
 * before any version loads. Idempotent: a declared config normalises to itself.
 */
import { ConfigError } from '../errors/index.js';
import { deepFreeze, definedOnly } from '../lib/objects.js';
import type { DeclaredModelConfig, DeclaredTraffic } from './declared-model-config.js';
import { declareThreshold } from './model-config-postprocess.js';
import { parseModelConfigYaml } from './model-config-yaml.js';
import { parseTritonConfig, parseTritonConfigJson } from './model-config-triton.js';
import {
  DEFAULT_FILENAME_BY_RUNTIME,
  DEFAULT_ONNX_OPTIONS,
  DEFAULT_SCHEDULING,
  DEFAULT_STICKY_PARAMETER,
  DEFAULT_VERSION_POLICY,
  DEFAULT_WARMUP,
  MAX_INSTANCE_COUNT,
  MAX_TIMEOUT_MICROSECONDS,
  PLATFORM_BY_RUNTIME,
  type ModelConfigSource,
  type SchedulingConfig,
} from './model-config.js';
import { assertPlainFileName, assertSafeConfigOverride } from './model-names.js';

/**
 * The scheduling settings over their defaults, checked. A model declared not to batch does not join requests;
 * whether an undeclared batch size batches is settled at completion, from the artefact.
 */
export function normalizeScheduling(
  declared: Partial<SchedulingConfig> | undefined,
  maxBatchSize: number | undefined,
  where: string,
): SchedulingConfig {
  const s: { -readonly [K in keyof SchedulingConfig]: SchedulingConfig[K] } = {
    ...DEFAULT_SCHEDULING,
    ...definedOnly(declared),
  };
  s.preferredBatchSizes = [...s.preferredBatchSizes];
  if (maxBatchSize === 0) s.dynamicBatching = false;
  checkPreferredBatchSizes(s, maxBatchSize, where);
  const counts = [
    ['max_queue_size', s.maxQueueSize],
    ['priority_levels', s.priorityLevels],
    ['max_concurrency', s.maxConcurrency],
  ] as const;
  for (const [key, value] of counts) {
    if (!Number.isInteger(value) || value < 0)
      throw new ConfigError(`${where}: ${key} must be a whole number from 0, got ${value}`);
  }
  const bad = s.preferredBatchSizes.find((b) => !Number.isInteger(b) || b < 1);
  if (bad !== undefined) throw new ConfigError(`${where}: preferred_batch_size ${bad} must be a whole number from 1`);
  const times = [
    ['default_timeout_microseconds', s.defaultTimeoutMicroseconds],
    ['max_timeout_microseconds', s.maxTimeoutMicroseconds],
    ['max_queue_delay_microseconds', s.maxQueueDelayMicroseconds],
  ] as const;
  for (const [key, value] of times) {
    if (!Number.isInteger(value) || value < 0)
      throw new ConfigError(`${where}: ${key} must be a whole number of microseconds from 0, got ${value}`);
    if (value > MAX_TIMEOUT_MICROSECONDS)
      throw new ConfigError(
        `${where}: ${key} ${value} is above the longest wait inferd can time (${MAX_TIMEOUT_MICROSECONDS} µs, about 24.8 days); lower it`,
      );
  }
  if (
    !Number.isInteger(s.defaultPriorityLevel) ||
    s.defaultPriorityLevel > Math.max(1, s.priorityLevels) ||
    s.defaultPriorityLevel < 1
  ) {
    s.defaultPriorityLevel = Math.max(1, Math.ceil(s.priorityLevels / 2));
  }
  return s;
}

/** Throws when a batching model prefers a batch larger than its largest (`maxBatchSize` undefined: not known yet). */
export function checkPreferredBatchSizes(
  scheduling: SchedulingConfig,
  maxBatchSize: number | undefined,
  where: string,
): void {
  if (maxBatchSize === undefined || maxBatchSize === 0) return;
  const tooBig = scheduling.preferredBatchSizes.find((b) => b > maxBatchSize);
  if (tooBig !== undefined)
    throw new ConfigError(`${where}: preferred_batch_size ${tooBig} exceeds max_batch_size ${maxBatchSize}`);
}

function normalizeTraffic(declared: ModelConfigSource['traffic']): DeclaredTraffic {
  return {
    ...(declared?.weights ? { weights: declared.weights } : {}),
    stickyParameter: declared?.stickyParameter ?? DEFAULT_STICKY_PARAMETER,
    ...(declared?.shadow ? { shadow: declared.shadow } : {}),
  };
}

function instanceCountOf(declared: number | undefined, where: string): number {
  const count = declared ?? 1;
  // The config parsers check this; a config built elsewhere (library callers) must not start zero or endless workers.
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCE_COUNT) {
    throw new ConfigError(
      `${where}: the instance count must be a whole number from 1 to ${MAX_INSTANCE_COUNT}, got ${count}`,
    );
  }
  return count;
}

function maxBatchSizeOf(declared: number | undefined, where: string): number | undefined {
  if (declared !== undefined && (!Number.isInteger(declared) || declared < 0)) {
    throw new ConfigError(
      `${where}: max_batch_size must be a whole number from 0 (0: the model does not batch), got ${declared}`,
    );
  }
  return declared;
}

/**
 * Fills every default of model `model`'s declared config and checks what can be checked without the artefact.
 * Throws a ConfigError naming the file and the field.
 */
export function normalizeModelConfig(source: ModelConfigSource, model: string): DeclaredModelConfig {
  const where = source.source ?? `model '${model}'`;
  if (source.name !== undefined && source.name !== model) {
    throw new ConfigError(
      `${where}: name '${source.name}' is not the model's name '${model}'; leave name out or use '${model}'`,
    );
  }
  const runtime = source.runtime;
  const maxBatchSize = maxBatchSizeOf(source.maxBatchSize, where);
  const defaultModelFilename = source.defaultModelFilename ?? (runtime && DEFAULT_FILENAME_BY_RUNTIME[runtime]);
  if (defaultModelFilename !== undefined) assertPlainFileName(defaultModelFilename, 'default_model_filename', where);
  const platform = source.platform ?? (runtime && PLATFORM_BY_RUNTIME[runtime]);
  const parameters = { ...source.parameters };
  const threshold = declareThreshold(parameters, where);
  const config: DeclaredModelConfig = {
    name: model,
    ...(source.source === undefined ? {} : { source: source.source }),
    where,
    ...(runtime === undefined ? {} : { runtime }),
    ...(platform === undefined ? {} : { platform }),
    ...(defaultModelFilename === undefined ? {} : { defaultModelFilename }),
    ...(maxBatchSize === undefined ? {} : { maxBatchSize }),
    ...(source.inputs ? { inputs: source.inputs.map((t) => ({ ...t, dims: [...t.dims] })) } : {}),
    ...(source.outputs ? { outputs: source.outputs.map((t) => ({ ...t, dims: [...t.dims] })) } : {}),
    versionPolicy: source.versionPolicy ?? DEFAULT_VERSION_POLICY,
    scheduling: normalizeScheduling(source.scheduling, maxBatchSize, where),
    instanceCount: instanceCountOf(source.instanceCount, where),
    parameters,
    onnx: { ...DEFAULT_ONNX_OPTIONS, ...definedOnly(source.onnx) },
    labelFilenames: { ...source.labelFilenames },
    warmup: { ...DEFAULT_WARMUP, ...definedOnly(source.warmup) },
    traffic: normalizeTraffic(source.traffic),
    inline: source.inline ?? { enabled: true },
    ...(threshold ? { threshold } : {}),
    ...(source.features ? { features: source.features } : {}),
    ...(source.slo ? { slo: source.slo } : {}),
    ...(source.drift ? { drift: source.drift } : {}),
    ...(source.fallback ? { fallback: source.fallback } : {}),
  };
  return deepFreeze(config);
}

/** The config of a model without a config file: every value a default or, later, the artefact's. */
export function defaultModelConfig(model: string): DeclaredModelConfig {
  return normalizeModelConfig({}, model);
}

/** A model's config file (`config.yaml` or `config.pbtxt`, named `file` in messages), parsed and normalised. */
export function readModelConfigFile(
  text: string,
  format: 'yaml' | 'pbtxt',
  model: string,
  file: string,
): DeclaredModelConfig {
  const source = format === 'yaml' ? parseModelConfigYaml(text, file) : parseTritonConfig(text, file);
  if (source.name !== undefined && source.name !== model) {
    throw new ConfigError(`${file}: name '${source.name}' does not match the model's folder name '${model}'`);
  }
  return normalizeModelConfig(source, model);
}

/**
 * The config a load request carries (Triton's ModelConfig as JSON, replacing the model's config file), parsed,
 * checked to name this model and to keep its files inside the model's folder, and normalised.
 */
export function readLoadRequestConfig(json: string, model: string): DeclaredModelConfig {
  const source = parseTritonConfigJson(json, `load request for '${model}'`);
  assertSafeConfigOverride(model, source);
  return normalizeModelConfig(source, model);
}
