import type { TrafficConfig } from '../config/index.js';
import type { VersionSlot } from './version-slot.js';

export type { VersionState } from './version-slot.js';

/** A model and its versions. `error` is set when the model as a whole cannot load (bad config, no versions). */
export interface RegisteredModel {
  readonly name: string;
  /** Each version's slot; a slot is replaced, never changed, on every transition (see version-slot.ts). */
  readonly versions: Map<number, VersionSlot>;
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
