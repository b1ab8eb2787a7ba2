/**
 * A model's config as declared, with every default filled: what `normalizeModelConfig` makes of a config file
 * (`config.yaml` or `config.pbtxt`) or a load request's config. Everything the server reads about a model before
 * it loads comes from here. Only what the model artefact itself knows stays optional (the runtime when no file
 * says it, the batch size, the tensors): the completion step (registry/complete-config.ts) fills those from the
 * artefact into the `ModelConfig` a version serves with.
 */
import type { TensorSpec } from '../tensor/index.js';
import type { DriftConfig } from './drift-config.js';
import type { FeatureMapping } from './feature-config.js';
import type { FallbackConfig } from './model-config-resilience.js';
import type {
  OnnxOptions,
  RuntimeKind,
  SchedulingConfig,
  ShadowConfig,
  VersionPolicy,
  WarmupConfig,
} from './model-config.js';
import type { SloConfig } from './slo-config.js';
import type { DeclaredInlineExecution } from './inline-config.js';

/** A model's traffic policy with its defaults (no weights: the highest ready version answers). */
export interface DeclaredTraffic {
  readonly weights?: Readonly<Record<string, number>>;
  readonly stickyParameter: string;
  readonly shadow?: ShadowConfig;
}

/** A decision threshold as declared in `parameters`; its score output is chosen and checked against the outputs at completion. */
export interface DeclaredThreshold {
  readonly value: number;
  /** The positive class (default 1). */
  readonly positiveClass: 0 | 1;
  /** `threshold_output`; absent: the one numeric output, or `probabilities`. */
  readonly output?: string;
}

export interface DeclaredModelConfig {
  /** The model's name (its folder's). */
  readonly name: string;
  /** Which file (or load request) declared it; absent when the model has no config: everything is a default or the artefact's. */
  readonly source?: string;
  /** How messages name this config: its source, else `model '<name>'`. */
  readonly where: string;

  // Completed from the artefact when the config does not say.
  /** Absent: detected from the version folder's files. */
  readonly runtime?: RuntimeKind;
  /** Absent only while the runtime is. */
  readonly platform?: string;
  /** Absent only while the runtime is. */
  readonly defaultModelFilename?: string;
  /** Absent: 64 when the model's signature has a variable batch dimension, else 0. */
  readonly maxBatchSize?: number;
  /** Absent: the model's own. */
  readonly inputs?: readonly TensorSpec[];
  readonly outputs?: readonly TensorSpec[];

  // Always complete.
  readonly versionPolicy: VersionPolicy;
  /** `dynamicBatching` is settled once the batch size is (a model that does not batch does not join requests). */
  readonly scheduling: SchedulingConfig;
  /** Instances over all instance groups, 1 to MAX_INSTANCE_COUNT. */
  readonly instanceCount: number;
  readonly parameters: Readonly<Record<string, string>>;
  readonly onnx: OnnxOptions;
  /** Label files by output name, relative to the model's folder (none: `{}`). */
  readonly labelFilenames: Readonly<Record<string, string>>;
  readonly warmup: WarmupConfig;
  readonly traffic: DeclaredTraffic;
  /** Inline execution (enabled unless declared off; the threshold absent: the server's default). */
  readonly inline: DeclaredInlineExecution;
  /** From `parameters` `threshold`, `threshold_output`, `threshold_class`; absent: no threshold. */
  readonly threshold?: DeclaredThreshold;

  // Present only when declared (each complete with its own defaults).
  readonly features?: FeatureMapping;
  readonly slo?: SloConfig;
  readonly drift?: DriftConfig;
  readonly fallback?: FallbackConfig;
}
