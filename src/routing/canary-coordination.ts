/**
 * What the canary analysis needs when several replicas serve one model: who decides (one leader at a time), where
 * decisions are recorded so that each is written once (a verdict ledger with conditional writes), and the evidence
 * of every replica summed. `state/postgres/` implements these over PostgreSQL; one process needs none of it (the
 * CanaryController without a coordination judges its own windows, as it always has).
 */
import type { Evidence } from './verdict.js';
import type { DecisionRecord, Rollout, RolloutStatus } from './rollout.js';

/** Whether this replica is the one that analyses canaries now. */
export interface Leadership {
  isLeader(): boolean;
  /** Calls `listener` with the new value each time it changes; returns a function that stops the calls. */
  onChange(listener: (leader: boolean) => void): () => void;
  close(): Promise<void>;
}

/** One process: always the leader. */
export const ALWAYS_LEADER: Leadership = Object.freeze({
  isLeader: () => true,
  onChange: () => () => undefined,
  close: async () => undefined,
});

/** A rollout's progress as the verdict ledger records it: what the last recorded decision left. */
export interface RecordedProgress {
  readonly rollout: string;
  readonly model: string;
  /** Decisions recorded so far (verdicts and operator actions): what a conditional write is checked against. */
  readonly seq: number;
  readonly stepIndex: number;
  readonly status: RolloutStatus;
  readonly weight: number;
  readonly stepStartedAt: number;
  readonly reviewAt: number;
  readonly finishedAt?: number | undefined;
  readonly decision?: DecisionRecord | undefined;
}

export interface VerdictLedger {
  /** The recorded progress of a rollout; when none is recorded yet, the rollout's own state is, as seq 0. */
  progress(rollout: Rollout): Promise<RecordedProgress>;
  /**
   * Records `next` (a verdict) as decision `from.seq + 1` only if the rollout is still recorded at `from` (same
   * seq and step, progressing), in one transaction with the verdict row, and only while this replica leads.
   * Resolves false when the condition does not hold: another leader decided first, or leadership was lost.
   */
  commit(from: RecordedProgress, next: RecordedProgress): Promise<boolean>;
  /** Records an operator's action (pause, resume, promote, abort) so that a verdict judged before it is refused. */
  operator(rollout: Rollout): Promise<void>;
}

/** What this replica saw of one rollout's current step. */
export interface LocalEvidence {
  readonly rollout: string;
  readonly model: string;
  readonly stepIndex: number;
  readonly evidence: Evidence;
}

/** Where the controller gets the evidence it judges when several replicas contribute. */
export interface SharedEvidence {
  /** The sum over replicas of a rollout step's evidence, as last read; undefined until one has been read. */
  summed(rollout: string, stepIndex: number): Evidence | undefined;
  /** Starts contributing this replica's evidence (read from `source`) and, while leading, reading the sums. */
  start(source: () => readonly LocalEvidence[]): void;
  stop(): void;
}

export interface CanaryCoordination {
  readonly replica: string;
  readonly leadership: Leadership;
  readonly ledger: VerdictLedger;
  readonly evidence: SharedEvidence;
  close(): Promise<void>;
}
