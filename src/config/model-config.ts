/**
 * A model's configuration. Config files (`config.yaml` or Triton's `config.pbtxt`) produce a
 * `ModelConfigSource`: whatever they declare. `normalizeModelConfig` fills every default into a
 * `DeclaredModelConfig` (Triton's NormalizeModelConfig); the registry completes that from the model artefact
 * (Triton's auto-complete) into a frozen `ModelConfig`. Nothing outside config/ reads a `ModelConfigSource`.
 */
import type { TensorSpec } from '../tensor/index.js';
import type { ThresholdConfig } from './model-config-postprocess.js';
import type { FeatureMapping } from './feature-config.js';
import type { SloConfig } from './slo-config.js';
import type { AdaptiveConcurrencyConfig, FallbackConfig } from './model-config-resilience.js';
import type { DriftConfig } from './drift-config.js';
import type { DeclaredInlineExecution } from './inline-config.js';

export type RuntimeKind = 'onnx' | 'xgboost';

export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxOptions {
  /** Threads inside one operator. 1 by default: a second thread busy-waits between runs and doubles CPU for small models. */
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  /** Let idle onnxruntime threads busy-wait for work: lower latency with several threads, at the cost of a spinning core. Off by default. */
  readonly allowSpinning: boolean;
}

/**
 * The longest queue timeout a request or a model config may ask for, in microseconds: the timer behind it takes
 * at most 2^31-1 ms (Node fires a longer one after 1 ms, which would time the request out at once).
 */
export const MAX_TIMEOUT_MICROSECONDS = (2 ** 31 - 1) * 1000;

/** The most model instances (worker threads) one model may ask for, summed over its instance groups. */
export const MAX_INSTANCE_COUNT = 64;

export interface SchedulingConfig {
  /** Join concurrent requests along the batch dimension (Triton's dynamic_batching). */
  readonly dynamicBatching: boolean;
  readonly preferredBatchSizes: readonly number[];
  /** How long a partial batch may wait for more requests; 0 dispatches whatever is queued when an instance is free. */
  readonly maxQueueDelayMicroseconds: number;
  /** Requests waiting beyond this are refused at once with 503 and Retry-After. 0 means unbounded. */
  readonly maxQueueSize: number;
  /** Queue timeout applied when a request names none; 0 means none. */
  readonly defaultTimeoutMicroseconds: number;
  /** The largest timeout a request may ask for; 0 means no limit. */
  readonly maxTimeoutMicroseconds: number;
  /** Number of priority levels; 1 means no priorities. Level 1 is served first. */
  readonly priorityLevels: number;
  readonly defaultPriorityLevel: number;
  /** Requests in flight (queued + computing) per version; beyond it requests are refused or lower priorities shed. 0: no limit. */
  readonly maxConcurrency: number;
  /** An in-flight limit that follows observed queue+compute latency (AIMD); absent: none. */
  readonly adaptiveConcurrency?: AdaptiveConcurrencyConfig | undefined;
}

/** What a config file declares. Absent fields are completed from the artefact or defaults. */
export interface ModelConfigSource {
  readonly name?: string | undefined;
  readonly runtime?: RuntimeKind | undefined;
  readonly platform?: string | undefined;
  readonly maxBatchSize?: number | undefined;
  readonly inputs?: readonly TensorSpec[] | undefined;
  readonly outputs?: readonly TensorSpec[] | undefined;
  readonly versionPolicy?: VersionPolicy | undefined;
  readonly scheduling?: Partial<SchedulingConfig> | undefined;
  readonly instanceCount?: number | undefined;
  readonly parameters?: Readonly<Record<string, string>> | undefined;
  readonly onnx?: Partial<OnnxOptions> | undefined;
  readonly defaultModelFilename?: string | undefined;
  /** Label files by output name (Triton's `label_filename`), relative to the model's folder. */
  readonly labelFilenames?: Readonly<Record<string, string>> | undefined;
  /** Online features: how the model's input is built from feature views and request-time values. */
  readonly features?: FeatureMapping | undefined;
  /** Warm-up before a version takes traffic (config.yaml `warmup`). */
  readonly warmup?: Partial<WarmupConfig> | undefined;
  /** How requests that name no version are spread over the model's versions (config.yaml `traffic`). */
  readonly traffic?: TrafficConfig | undefined;
  /** Service level objectives (config.yaml `slo`; see slo-config.ts). */
  readonly slo?: SloConfig | undefined;
  /** Live drift monitoring (config.yaml `drift`; see drift-config.ts). */
  readonly drift?: DriftConfig | undefined;
  /** What answers when the model fails, times out or is shed (config.yaml `fallback`; see model-config-resilience.ts). */
  readonly fallback?: FallbackConfig | undefined;
  /** Running lone requests on the main thread when the model computes fast (config.yaml `inline_execution`; see inline-config.ts). */
  readonly inline?: DeclaredInlineExecution | undefined;
  /** Which file declared it, for messages. */
  readonly source?: string | undefined;
}

/** Warm-up requests run on every instance of a version before it takes traffic. */
export interface WarmupConfig {
  readonly enabled: boolean;
  /** Runs of each warm-up request on each instance. */
  readonly iterations: number;
  /** Batch sizes of the requests generated from the signature when the version folder has no warmup.json. */
  readonly batchSizes: readonly number[];
}

/** The versions a model serves when its config names no version_policy. */
export const DEFAULT_VERSION_POLICY: VersionPolicy = Object.freeze({ kind: 'latest', numVersions: 1 });

/** The request parameter that keeps one caller on one version when a config names none. */
export const DEFAULT_STICKY_PARAMETER = 'routing_key';

export const DEFAULT_WARMUP: WarmupConfig = Object.freeze({
  enabled: true,
  iterations: 2,
  batchSizes: Object.freeze([1]),
});

/** Mirror a share of the model's traffic to a version, off the caller's path. */
export interface ShadowConfig {
  readonly version: number;
  /** Share of requests mirrored, 0..1. */
  readonly sampleRate: number;
}

/** A model's traffic policy as config.yaml declares it. */
export interface TrafficConfig {
  /** Percent of requests per version (keys are version numbers); absent: the highest ready version answers. */
  readonly weights?: Readonly<Record<string, number>> | undefined;
  /** Request parameter whose value, hashed, keeps one caller on one version (default DEFAULT_STICKY_PARAMETER). */
  readonly stickyParameter?: string | undefined;
  readonly shadow?: ShadowConfig | undefined;
}

export interface ModelConfig {
  readonly name: string;
  readonly runtime: RuntimeKind;
  readonly platform: string;
  /** 0: the model does not batch; inputs are exactly `dims`. >0: inputs are [N, ...dims] with N ≤ maxBatchSize. */
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly versionPolicy: VersionPolicy;
  readonly scheduling: SchedulingConfig;
  readonly instanceCount: number;
  readonly parameters: Readonly<Record<string, string>>;
  readonly onnx: OnnxOptions;
  readonly defaultModelFilename: string;
  /** Class labels by output name, read from the label files at load; line i labels class index i. */
  readonly labels?: Readonly<Record<string, readonly string[]>>;
  /** Decision threshold for a binary classifier (parameters `threshold`, `threshold_output`, `threshold_class`). */
  readonly threshold?: ThresholdConfig;
  /** Online features: how the model's input is built from feature views and request-time values. */
  readonly features?: FeatureMapping;
  /** Service level objectives (config.yaml `slo`): served at GET /v1/models/{m}/slo, alerted on by prometheus-rules. */
  readonly slo?: SloConfig;
  /** Live drift monitoring against the version's profile.json (config.yaml `drift`): GET /v1/models/{m}/drift. */
  readonly drift?: DriftConfig | undefined;
  /** What answers when the model fails, times out or is shed; its breaker. */
  readonly fallback?: FallbackConfig;
}

export const DEFAULT_ONNX_OPTIONS: OnnxOptions = Object.freeze({
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimizationLevel: 'all',
  allowSpinning: false,
});

/** Batch size given to a batch-capable model whose config does not set one. */
export const DEFAULT_MAX_BATCH_SIZE = 64;

export const DEFAULT_SCHEDULING: SchedulingConfig = Object.freeze({
  dynamicBatching: true,
  preferredBatchSizes: [],
  maxQueueDelayMicroseconds: 0,
  maxQueueSize: 4096,
  defaultTimeoutMicroseconds: 0,
  maxTimeoutMicroseconds: 0,
  priorityLevels: 1,
  defaultPriorityLevel: 1,
  maxConcurrency: 0,
});

export const PLATFORM_BY_RUNTIME: Record<RuntimeKind, string> = {
  onnx: 'onnxruntime_onnx',
  xgboost: 'xgboost_json',
};

export const DEFAULT_FILENAME_BY_RUNTIME: Record<RuntimeKind, string> = {
  onnx: 'model.onnx',
  xgboost: 'model.json',
};

export { EXPLANATION_OUTPUT } from './explanation-output.js';
