/**
 * A rollout's state. Changed only by the CanaryController: by the analysis (advance, promote, roll back) or by
 * an operator (pause, resume, promote, abort).
 */
import type { RolloutSpec } from './rollout-spec.js';
import type { Action, CheckName, CheckResult } from './verdict.js';

export type RolloutStatus = 'progressing' | 'paused' | 'succeeded' | 'failed' | 'aborted';

/** The last decision taken, with the checks behind it. */
export interface DecisionRecord {
  readonly action: Action | 'start' | 'pause' | 'resume' | 'abort';
  /** Epoch milliseconds. */
  readonly at: number;
  readonly reason: string;
  readonly failed: readonly CheckName[];
  readonly checks: readonly CheckResult[];
  /** Who decided: the analysis or an operator through the API. */
  readonly by: 'analysis' | 'operator';
}

export interface Rollout {
  readonly id: string;
  readonly model: string;
  readonly spec: RolloutSpec;
  /** The version compared against and rolled back to. */
  readonly stable: number;
  status: RolloutStatus;
  /** Index into spec.steps of the current step. */
  stepIndex: number;
  /** The candidate's weight now, in percent. */
  weight: number;
  readonly startedAt: number;
  /** When the current step's interval began: the analysis looks at requests since then. */
  stepStartedAt: number;
  /** When the current interval ends. */
  reviewAt: number;
  finishedAt?: number;
  lastDecision?: DecisionRecord;
}

/** Statuses in which a rollout still controls its model's traffic. */
export function isActive(r: Rollout): boolean {
  return r.status === 'progressing' || r.status === 'paused';
}
