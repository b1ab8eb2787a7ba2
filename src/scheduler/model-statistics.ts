/**
 * Counters a scheduler keeps per model version, shaped after Triton's statistics extension.
 * Durations are nanoseconds.
 */
import type { ShedReason } from './admission.js';

/** Requests refused or evicted under load, for one reason and priority level. */
export interface ShedCount {
  readonly reason: ShedReason;
  readonly priority: number;
  readonly count: number;
}

export interface Duration {
  count: number;
  ns: number;
}

export interface BatchSizeStats {
  readonly batchSize: number;
  readonly count: number;
  readonly computeNs: number;
  readonly inputNs: number;
  readonly outputNs: number;
}

/** Where one runtime call's time went: joining inputs and handing them over, computing, taking outputs back and splitting them. */
export interface ExecutionTimes {
  readonly inputNs: number;
  readonly computeNs: number;
  readonly outputNs: number;
}

export interface StatisticsSnapshot {
  /** Epoch milliseconds of the last completed inference, 0 if none. */
  readonly lastInference: number;
  /** Rows inferred (a batch of 8 counts 8). */
  readonly inferenceCount: number;
  /** Runtime calls (a batch of 8 counts 1). */
  readonly executionCount: number;
  readonly success: Duration;
  readonly fail: Duration;
  readonly queue: Duration;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
  readonly rejected: number;
  readonly timedOut: number;
  readonly batches: readonly BatchSizeStats[];
  /** Refusals and evictions by reason and priority (only non-zero rows). */
  readonly shed: readonly ShedCount[];
  /** Failed batched calls whose requests were run apart to find the one(s) that failed them. */
  readonly isolations: number;
  /** Runtime calls those isolations made (besides the failed calls themselves). */
  readonly isolationRuns: number;
  /** Runtime calls made on the main thread (inline execution). */
  readonly inlineExecutions: number;
  /** Runtime calls of a version that chose inline execution sent to a worker because a queue had formed. */
  readonly inlineFallbacks: number;
}

export class ModelStatistics {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly success: Duration = { count: 0, ns: 0 };
  private readonly fail: Duration = { count: 0, ns: 0 };
  private readonly queue: Duration = { count: 0, ns: 0 };
  private readonly computeInput: Duration = { count: 0, ns: 0 };
  private readonly computeInfer: Duration = { count: 0, ns: 0 };
  private readonly computeOutput: Duration = { count: 0, ns: 0 };
  private rejected = 0;
  private timedOut = 0;
  private isolations = 0;
  private isolationRuns = 0;
  private inlineExecutions = 0;
  private inlineFallbacks = 0;
  /** Keyed `reason priority`; a handful of entries at most. */
  private readonly shedCounts = new Map<string, ShedCount & { count: number }>();
  private readonly batches = new Map<number, { count: number; computeNs: number; inputNs: number; outputNs: number }>();

  recordExecution(rows: number, times: ExecutionTimes): void {
    this.executionCount++;
    this.inferenceCount += rows;
    for (const [d, ns] of [
      [this.computeInput, times.inputNs],
      [this.computeInfer, times.computeNs],
      [this.computeOutput, times.outputNs],
    ] as const) {
      d.count++;
      d.ns += ns;
    }
    const b = this.batches.get(rows) ?? { count: 0, computeNs: 0, inputNs: 0, outputNs: 0 };
    b.count++;
    b.computeNs += times.computeNs;
    b.inputNs += times.inputNs;
    b.outputNs += times.outputNs;
    this.batches.set(rows, b);
    this.lastInference = Date.now();
  }

  recordSuccess(totalNs: number, queueNs: number): void {
    this.success.count++;
    this.success.ns += totalNs;
    this.queue.count++;
    this.queue.ns += queueNs;
  }

  recordFailure(totalNs: number, reason: 'error' | 'rejected' | 'timeout'): void {
    this.fail.count++;
    this.fail.ns += totalNs;
    if (reason === 'rejected') this.rejected++;
    if (reason === 'timeout') this.timedOut++;
  }

  /** A request refused (or evicted) under load; also counted as a rejected failure. */
  recordShed(reason: ShedReason, priority: number, totalNs = 0): void {
    this.recordFailure(totalNs, 'rejected');
    const key = `${reason} ${priority}`;
    const row = this.shedCounts.get(key);
    if (row) row.count++;
    else this.shedCounts.set(key, { reason, priority, count: 1 });
  }

  /** A failed batched call was isolated with `runs` further runtime calls (its requests' outcomes are counted apart). */
  recordIsolation(runs: number): void {
    this.isolations++;
    this.isolationRuns += runs;
  }

  /** A batch of a version that chose inline execution was dispatched: on the main thread, or (a queue formed) to a worker. */
  recordDispatch(inline: boolean): void {
    if (inline) this.inlineExecutions++;
    else this.inlineFallbacks++;
  }

  snapshot(): StatisticsSnapshot {
    return {
      lastInference: this.lastInference,
      inferenceCount: this.inferenceCount,
      executionCount: this.executionCount,
      success: { ...this.success },
      fail: { ...this.fail },
      queue: { ...this.queue },
      computeInput: { ...this.computeInput },
      computeInfer: { ...this.computeInfer },
      computeOutput: { ...this.computeOutput },
      rejected: this.rejected,
      timedOut: this.timedOut,
      batches: [...this.batches.entries()].sort(([a], [b]) => a - b).map(([batchSize, v]) => ({ batchSize, ...v })),
      shed: [...this.shedCounts.values()].map((r) => ({ ...r })),
      isolations: this.isolations,
      isolationRuns: this.isolationRuns,
      inlineExecutions: this.inlineExecutions,
      inlineFallbacks: this.inlineFallbacks,
    };
  }
}
