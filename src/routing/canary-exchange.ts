/**
 * Canary evidence shared between replicas: on a short interval each replica writes what it saw of every running
 * rollout's current step (its cumulative counts since it saw the step begin, one row per replica, replaced each
 * time: writing twice changes nothing) and the leader reads the sum over replicas, which the CanaryController
 * judges. A replica that stops keeps its last row: the requests it served still count.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Leadership, LocalEvidence, SharedEvidence } from './canary-coordination.js';
import { digestEvidence, evidenceOf, mergeEvidence, type EvidenceDigest } from './evidence-digest.js';
import type { Evidence } from './verdict.js';

/** One replica's contribution to one rollout step. */
export interface EvidenceRow {
  readonly rollout: string;
  readonly model: string;
  readonly stepIndex: number;
  readonly digest: EvidenceDigest;
}

/** Where contributions are kept (state/postgres/evidence-store.ts). */
export interface EvidenceStore {
  /** Replaces this replica's rows for the given rollout steps. */
  publish(replica: string, rows: readonly EvidenceRow[]): Promise<void>;
  /** Every replica's row for a rollout step. */
  read(rollout: string, stepIndex: number): Promise<ReadonlyArray<{ replica: string; digest: EvidenceDigest }>>;
  /** Drops the rows of rollouts other than `keep` not written for `olderThanMs`. */
  prune(keep: readonly string[], olderThanMs: number): Promise<void>;
}

export interface EvidenceExchangeOptions {
  readonly store: EvidenceStore;
  readonly replica: string;
  readonly leadership: Leadership;
  readonly logger: Logger;
  /** How often evidence is written and, by the leader, read (default 1,000 ms). */
  readonly intervalMs?: number | undefined;
  /** Rows of rollouts no longer running are dropped after this long without a write (default 10 minutes). */
  readonly retainMs?: number | undefined;
}

interface Summed {
  readonly stepIndex: number;
  readonly evidence: Evidence;
  readonly replicas: number;
}

export class EvidenceExchange implements SharedEvidence {
  private source: (() => readonly LocalEvidence[]) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sums = new Map<string, Summed>();
  private round: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly o: EvidenceExchangeOptions) {}

  summed(rollout: string, stepIndex: number): Evidence | undefined {
    const s = this.sums.get(rollout);
    return s?.stepIndex === stepIndex ? s.evidence : undefined;
  }

  /** How many replicas the last sum read for a rollout step came from (0 when none was read). */
  replicasIn(rollout: string, stepIndex: number): number {
    const s = this.sums.get(rollout);
    return s?.stepIndex === stepIndex ? s.replicas : 0;
  }

  start(source: () => readonly LocalEvidence[]): void {
    this.source = source;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.source = undefined;
  }

  /**
   * One round: writes this replica's evidence and, when leading, reads the sums. The timer calls it; tests call it
   * directly (with `source` given when the exchange was not started). Rounds never overlap.
   */
  exchange(source?: () => readonly LocalEvidence[]): Promise<void> {
    this.round ??= this.run(source ?? this.source).finally(() => (this.round = undefined));
    return this.round;
  }

  private async run(source: (() => readonly LocalEvidence[]) | undefined): Promise<void> {
    const local = source?.() ?? [];
    try {
      await this.o.store.publish(
        this.o.replica,
        local.map((l) => ({
          rollout: l.rollout,
          model: l.model,
          stepIndex: l.stepIndex,
          digest: digestEvidence(l.evidence),
        })),
      );
      if (this.o.leadership.isLeader()) await this.readSums(local);
      else this.sums.clear();
      if (this.failing) this.o.logger.info({ replica: this.o.replica }, 'canary evidence exchange works again');
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.o.logger.warn(
          { err, replica: this.o.replica },
          'canary evidence not exchanged: the leader judges what it last read, and holds without it',
        );
      this.failing = true;
    }
  }

  private async readSums(local: readonly LocalEvidence[]): Promise<void> {
    for (const l of local) {
      const rows = await this.o.store.read(l.rollout, l.stepIndex);
      if (!rows.length) continue;
      const sum = rows.map((r) => r.digest).reduce(mergeEvidence);
      this.sums.set(l.rollout, { stepIndex: l.stepIndex, evidence: evidenceOf(sum), replicas: rows.length });
    }
    const running = new Set(local.map((l) => l.rollout));
    for (const id of this.sums.keys()) if (!running.has(id)) this.sums.delete(id);
    await this.o.store.prune([...running], this.o.retainMs ?? 600_000);
  }

  private schedule(): void {
    if (!this.source || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exchange().finally(() => this.schedule());
    }, this.o.intervalMs ?? 1000);
    this.timer.unref();
  }
}
