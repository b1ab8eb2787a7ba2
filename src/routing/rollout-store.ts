/**
 * Where rollout state is kept so it survives a restart: every rollout (spec, step, status, times, last
 * decision), the rollout and traffic events with their evidence, and each model's traffic policy as the API or
 * a rollout last set it. `sqlite/` is the embedded store; the PostgreSQL store (src/state/postgres/, several
 * replicas) implements the same contract and, being shared, also follows what other replicas commit. Writes are
 * awaited by no caller on the request path: a store that fails is logged.
 */
import type { RoutingEvent } from './event-log.js';
import type { Rollout } from './rollout.js';
import type { TrafficPolicy } from './traffic-policy.js';

/** A model's traffic policy as last set at run time. */
export interface SavedPolicy {
  readonly model: string;
  readonly policy: TrafficPolicy;
}

/** What a store gives back at start. */
export interface SavedRolloutState {
  /** Every rollout, oldest first. */
  readonly rollouts: readonly Rollout[];
  /** The most recent events, in sequence order. */
  readonly events: readonly RoutingEvent[];
  readonly policies: readonly SavedPolicy[];
}

/** One decision's writes, kept together: its event, the model's policy after it, the rollout it concerns. */
export interface StateChange {
  readonly event: RoutingEvent;
  readonly model: string;
  readonly policy: TrafficPolicy;
  readonly rollout?: Rollout | undefined;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/**
 * What other replicas committed since the last delivery: their new events (in commit order, numbered by the
 * store), and the rollouts and policies they wrote, as they are now.
 */
export interface RemoteChanges {
  readonly events: readonly RoutingEvent[];
  readonly rollouts: readonly Rollout[];
  readonly policies: readonly SavedPolicy[];
}

/** How a shared store is doing, for readiness and the metrics. */
export interface StoreHealth {
  /** False while the store cannot be reached: the last known state is served. */
  readonly up: boolean;
  /** Seconds since the state was last known to be current (0 while up). */
  readonly staleSeconds: number;
  /** Changes made here and not yet written. */
  readonly queued: number;
  /** Why it is down, without secrets; undefined while up. */
  readonly problem?: string | undefined;
}

export interface RolloutStore {
  /** Where the state lives, for logs (a path or a URL without credentials). */
  readonly location: string;
  /** Everything saved, for a start. `maxEvents` bounds the events returned (the newest). */
  load(maxEvents: number): Promise<SavedRolloutState>;
  /** Inserts or replaces a rollout; `updatedAt` is epoch milliseconds. */
  saveRollout(rollout: Rollout, updatedAt: number): Promise<void>;
  saveEvent(event: RoutingEvent): Promise<void>;
  savePolicy(model: string, policy: TrafficPolicy, updatedAt: number): Promise<void>;
  /** Writes a decision's event, policy and rollout at once (stores without it get the three calls above). */
  saveChange?(change: StateChange): Promise<void>;
  /**
   * A shared store: from now on (after `load`), calls `apply` with what other replicas commit. Changes made
   * through this store are never delivered back to it.
   */
  follow?(apply: (changes: RemoteChanges) => void): void;
  /** A shared store: how it is doing. */
  health?(): StoreHealth;
  /**
   * Why a change cannot be taken now (the queue of unwritten changes is full), or undefined: the API then
   * refuses the change with 503 instead of acknowledging one that could be lost.
   */
  refusal?(): string | undefined;
  close(): Promise<void>;
}
