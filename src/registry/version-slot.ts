/**
 * Where a model version stands, as the registry holds it (Triton's model states). A slot is LOADING, READY or
 * UNLOADING with its complete `ModelVersion`, or UNAVAILABLE with the reason. Every change of state goes through
 * `transition`, which is pure: it returns the next slot or throws `SlotTransitionError` for a change that cannot
 * happen (a bug in the caller, never a user's mistake).
 *
 *   (none) ──load──▶ LOADING ──loaded──▶ READY ──drain──▶ UNLOADING ──closed──▶ UNAVAILABLE (unloaded)
 *                       │                                                        ▲   │
 *                       ├──failed──▶ UNAVAILABLE (reason) ──load──▶ LOADING      │   │
 *                       └──retire──▶ UNAVAILABLE (unloaded) ─────────────────────┘ ◀─┘ retire
 */
import type { ModelConfig } from '../config/index.js';
import type { ModelVersion, VersionId } from './model-version.js';

export type VersionState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export interface LoadingSlot {
  readonly state: 'LOADING';
  readonly id: VersionId;
  /** What it is being loaded from. */
  readonly fingerprint: string;
}

export interface ServingSlot {
  readonly state: 'READY' | 'UNLOADING';
  readonly id: VersionId;
  readonly loaded: ModelVersion;
}

export interface UnavailableSlot {
  readonly state: 'UNAVAILABLE';
  readonly id: VersionId;
  readonly reason: string;
  /** Unloaded on purpose (policy, unload request): not counted against readiness. */
  readonly retired: boolean;
  /** The config it served with, when it had loaded (a model that stops serving keeps its SLO). */
  readonly config?: ModelConfig;
  readonly fingerprint?: string;
}

export type VersionSlot = LoadingSlot | ServingSlot | UnavailableSlot;

export type SlotEvent =
  | { readonly type: 'load'; readonly id: VersionId; readonly fingerprint: string }
  | { readonly type: 'loaded'; readonly version: ModelVersion }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'drain' }
  | { readonly type: 'closed' }
  | { readonly type: 'retire' };

export class SlotTransitionError extends Error {
  constructor(from: VersionState | 'none', event: SlotEvent['type']) {
    super(`a model version cannot go from ${from} on '${event}'`);
    this.name = 'SlotTransitionError';
  }
}

/** The reason an unloaded version shows. */
export const UNLOADED = 'unloaded';

/** The slot after `event`; `slot` is undefined for a version the registry does not hold yet. */
export function transition(slot: VersionSlot | undefined, event: SlotEvent): VersionSlot {
  const refuse = (): never => {
    throw new SlotTransitionError(slot?.state ?? 'none', event.type);
  };
  switch (event.type) {
    case 'load':
      if (slot !== undefined && slot.state !== 'UNAVAILABLE') return refuse();
      return { state: 'LOADING', id: event.id, fingerprint: event.fingerprint };
    case 'loaded':
      if (
        slot?.state !== 'LOADING' ||
        event.version.id.version !== slot.id.version ||
        event.version.id.model !== slot.id.model
      )
        return refuse();
      return { state: 'READY', id: slot.id, loaded: event.version };
    case 'failed':
      if (slot?.state !== 'LOADING') return refuse();
      return { state: 'UNAVAILABLE', id: slot.id, reason: event.reason, retired: false, fingerprint: slot.fingerprint };
    case 'drain':
      if (slot?.state !== 'READY') return refuse();
      return { state: 'UNLOADING', id: slot.id, loaded: slot.loaded };
    case 'closed':
      if (slot?.state !== 'UNLOADING') return refuse();
      return {
        state: 'UNAVAILABLE',
        id: slot.id,
        reason: UNLOADED,
        retired: true,
        config: slot.loaded.config,
        fingerprint: slot.loaded.fingerprint,
      };
    case 'retire':
      if (slot?.state === 'LOADING')
        return { state: 'UNAVAILABLE', id: slot.id, reason: UNLOADED, retired: true, fingerprint: slot.fingerprint };
      if (slot?.state !== 'UNAVAILABLE' || slot.retired) return refuse();
      return { ...slot, retired: true };
  }
}

/** The version of a READY slot, else undefined. */
export function readyVersion(slot: VersionSlot | undefined): ModelVersion | undefined {
  return slot?.state === 'READY' ? slot.loaded : undefined;
}

/** The config a slot serves or served with, if it ever loaded. */
export function slotConfig(slot: VersionSlot): ModelConfig | undefined {
  if (slot.state === 'READY' || slot.state === 'UNLOADING') return slot.loaded.config;
  return slot.state === 'UNAVAILABLE' ? slot.config : undefined;
}

/** The reason a slot shows in the index: an UNAVAILABLE one's, else none. */
export function slotReason(slot: VersionSlot): string | undefined {
  return slot.state === 'UNAVAILABLE' ? slot.reason : undefined;
}
