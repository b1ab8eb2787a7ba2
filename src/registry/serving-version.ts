import type { ModelConfig } from '../config/index.js';
import type { ModelScheduler } from '../scheduler/model-scheduler.js';

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
  loadMs?: number;
  /** What it was loaded from (see FileModelRepository.fingerprint). */
  fingerprint?: string;
  /** Unloaded on purpose (policy, unload request): not counted against readiness. */
  retired?: boolean;
}

/** A model and its versions. `error` is set when the model as a whole cannot load (bad config, no versions). */
export interface RegisteredModel {
  readonly name: string;
  readonly versions: Map<number, ServingVersion>;
  error?: string;
  /** Unloaded by request: not counted against readiness. */
  unloaded?: boolean;
}
