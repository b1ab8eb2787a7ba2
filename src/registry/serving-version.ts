import type { ModelConfig, TrafficConfig } from '../config/index.js';
import type { ModelScheduler } from '../scheduler/model-scheduler.js';
import type { IntegrityReport } from './integrity.js';
import type { WarmupReport } from './warmup.js';

/** Triton's model states: a version is READY to serve, or UNAVAILABLE with a reason, or in transition. */
export type VersionState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

/** One version of one model as the registry holds it. */
export interface ServingVersion {
  readonly name: string;
  readonly version: number;
  state: VersionState;
  /** Why the version is UNAVAILABLE. */
  reason?: string;
  config?: ModelConfig;
  scheduler?: ModelScheduler;
  /** Time to start the instances and load the model, without warm-up. */
  loadMs?: number;
  /** Warm-up run before the version took traffic. */
  warmup?: WarmupReport;
  /** Epoch milliseconds when the version became READY. */
  readyAt?: number;
  integrity?: IntegrityReport;
  /** Requests answered by an instance that had never run before (a cold model); 0 when warm-up ran. */
  coldRuns?: () => number;
  /** What it was loaded from (see FileModelRepository.fingerprint). */
  fingerprint?: string;
  /** Unloaded on purpose (policy, unload request): not counted against readiness. */
  retired?: boolean;
}

/** A model and its versions. `error` is set when the model as a whole cannot load (bad config, no versions). */
export interface RegisteredModel {
  readonly name: string;
  readonly versions: Map<number, ServingVersion>;
  error?: string | undefined;
  /** A change to the model folder refused by the integrity check while earlier versions keep serving. */
  refused?: string | undefined;
  /** Versions whose files the integrity check refused, by version: what it saw (fingerprint) and why. */
  refusedFiles?: Map<number, { readonly fingerprint: string; readonly reason: string }>;
  /** Unloaded by request: not counted against readiness. */
  unloaded?: boolean;
  /** The traffic policy its config declares (weights, sticky key, shadow). */
  traffic?: TrafficConfig | undefined;
}

/** Something that happened to a version, with its facts, for the event log. */
export interface LifecycleEvent {
  readonly type: 'version_ready' | 'version_refused' | 'version_unloaded' | 'model_refused';
  readonly model: string;
  /** Absent for a model-level event (model_refused: the model folder's own files). */
  readonly version?: number;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}
