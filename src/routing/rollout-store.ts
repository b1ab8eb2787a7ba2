/**
 * Where rollout state is kept so it survives a restart: every rollout (spec, step, status, times, last
 * decision), the rollout and traffic events with their evidence, and each model's traffic policy as the API or
 * a rollout last set it. `sqlite/` is the embedded store; a PostgreSQL store (several replicas) implements the
 * same contract. Writes are awaited by no caller on the request path: a store that fails is logged.
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

export interface RolloutStore {
  /** Where the state lives, for logs (a path or a URL without credentials). */
  readonly location: string;
  /** Everything saved, for a start. `maxEvents` bounds the events returned (the newest). */
  load(maxEvents: number): Promise<SavedRolloutState>;
  /** Inserts or replaces a rollout; `updatedAt` is epoch milliseconds. */
  saveRollout(rollout: Rollout, updatedAt: number): Promise<void>;
  saveEvent(event: RoutingEvent): Promise<void>;
  savePolicy(model: string, policy: TrafficPolicy, updatedAt: number): Promise<void>;
  close(): Promise<void>;
}
