/**
 * Completion (Triton's auto-complete): a normalised, declared model config (config/normalize-model-config.ts)
 * completed from what the artefact itself says (ONNX session metadata, the tree model), once per version load,
 * with a check that what the config declares agrees with the artefact. Pure: data in, config or ConfigError out.
 */
import {
  checkPreferredBatchSizes,
  DEFAULT_FILENAME_BY_RUNTIME,
  DEFAULT_MAX_BATCH_SIZE,
  PLATFORM_BY_RUNTIME,
  type DeclaredModelConfig,
  type ModelConfig,
  type RuntimeKind,
} from '../config/index.js';
import { resolveThreshold } from '../config/model-config-postprocess.js';
import { checkFallback } from '../config/model-config-resilience.js';
import { ConfigError } from '../errors/index.js';
import { deepFreeze } from '../lib/objects.js';
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
  const derived = actual.map((t) => ({
    name: t.name,
    datatype: t.datatype,
    dims: batching ? t.shape.slice(1) : [...t.shape],
  }));
  if (!declared) return derived;
  for (const d of declared) {
    const a = derived.find((x) => x.name === d.name);
    if (!a) {
      throw new ConfigError(
        `${where}: ${what} '${d.name}' is not in the model; the model's ${what}s are: ${derived.map((x) => x.name).join(', ')}`,
      );
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
    if (missing.length)
      throw new ConfigError(
        `${where}: the model needs input(s) ${missing.map((m) => m.name).join(', ')}, which the config does not declare`,
      );
  }
  return declared.map((d) => ({ ...d }));
}

export interface CompleteConfigOptions {
  /** The model's normalised config: every default filled, nothing from the artefact yet. */
  readonly declared: DeclaredModelConfig;
  /** The runtime: the declared one, or the one detected from the version folder. */
  readonly runtime: RuntimeKind;
  readonly signature: RuntimeSignature;
  /** Class labels by output name, read from the config's label files. */
  readonly labels?: Readonly<Record<string, readonly string[]>> | undefined;
}

/**
 * Produces the frozen config a version serves with. The artefact adds only what the declared config leaves open
 * (the batch size, tensor names, types and shapes, its own metadata parameters) and never overrides a declared
 * value; a declared value the artefact contradicts is a ConfigError.
 */
export function completeConfig({ declared, runtime, signature, labels }: CompleteConfigOptions): ModelConfig {
  const where = declared.where;
  const canBatch = supportsBatching(signature);
  if (declared.maxBatchSize !== undefined && declared.maxBatchSize > 0 && !canBatch) {
    const culprit = [...signature.inputs, ...signature.outputs].find((t) => t.shape.length === 0 || t.shape[0] !== -1);
    throw new ConfigError(
      `${where}: max_batch_size is ${declared.maxBatchSize}, but the model's '${culprit?.name}' has shape ${formatShape(culprit?.shape ?? [])}, ` +
        'whose first dimension is not a variable batch dimension; set max_batch_size: 0',
    );
  }
  const maxBatchSize = declared.maxBatchSize ?? (canBatch ? DEFAULT_MAX_BATCH_SIZE : 0);
  const batching = maxBatchSize > 0;
  const scheduling = batching ? declared.scheduling : { ...declared.scheduling, dynamicBatching: false };
  checkPreferredBatchSizes(scheduling, maxBatchSize, where);
  const inputs = completeSpecs(declared.inputs, signature.inputs, batching, where, 'input');
  const outputs = completeSpecs(declared.outputs, signature.outputs, batching, where, 'output');
  const threshold = declared.threshold && resolveThreshold(declared.threshold, outputs, batching, where);
  if (declared.fallback) checkFallback(declared.fallback, outputs, where);
  const config: ModelConfig = {
    name: declared.name,
    runtime,
    platform: declared.platform ?? PLATFORM_BY_RUNTIME[runtime],
    maxBatchSize,
    inputs,
    outputs,
    versionPolicy: declared.versionPolicy,
    scheduling,
    instanceCount: declared.instanceCount,
    parameters: { ...signature.parameters, ...declared.parameters },
    onnx: declared.onnx,
    defaultModelFilename: declared.defaultModelFilename ?? DEFAULT_FILENAME_BY_RUNTIME[runtime],
    ...(labels ? { labels } : {}),
    ...(threshold ? { threshold } : {}),
    ...(declared.features ? { features: declared.features } : {}),
    ...(declared.slo ? { slo: declared.slo } : {}),
    ...(declared.fallback ? { fallback: declared.fallback } : {}),
    ...(declared.drift ? { drift: declared.drift } : {}),
    ...(declared.cache ? { cache: declared.cache } : {}),
    ...(declared.graph ? { graph: declared.graph } : {}),
  };
  return deepFreeze(config);
}
