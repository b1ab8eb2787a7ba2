import type { StageSeconds } from '../cost/cpu-stages.js';
import type { Stage } from './observer.js';

/** Span names of the request path, in order; a graph model adds one per node it ran (`step <node>`). */
export type SpanName = 'features' | 'validation' | 'queue' | 'inference' | 'postprocess' | `step ${string}`;

/**
 * What happened when, for one request: stage durations (seconds) for metrics, and spans (performance.now()
 * milliseconds) for traces. Filled in by the data plane as the request moves.
 */
export class RequestTimeline {
  readonly startedMs = performance.now();
  readonly stages: Partial<Record<Stage, number>> = {};
  readonly spans: Partial<Record<SpanName, readonly [number, number]>> = {};
  /** Seconds of work per CPU stage, the weights of the cost ledger (cost/cost-ledger.ts). */
  readonly cpu: StageSeconds = {};

  /** Times `fn` as span `name` (and as stage `stage` when given). */
  async time<T>(name: SpanName, fn: () => Promise<T> | T, stage?: Stage): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      const end = performance.now();
      this.spans[name] = [start, end];
      if (stage) this.stages[stage] = (end - start) / 1000;
    }
  }

  /** Times synchronous work as span `name`; no await, so nothing can run between it and what follows. */
  timeSync<T>(name: SpanName, fn: () => T, stage?: Stage): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      const end = performance.now();
      this.spans[name] = [start, end];
      if (stage) this.stages[stage] = (end - start) / 1000;
    }
  }

  /** A graph node's span (inside `inference`), as its executor reports it. */
  step = (node: string, startMs: number, endMs: number): void => {
    this.spans[`step ${node}`] = [startMs, endMs];
  };

  /** Records the scheduler's share: waiting in the queue, then the runtime call until the answer came back. */
  scheduled(submittedMs: number, returnedMs: number, queueNs: number, computeNs: number): void {
    const dispatchedMs = Math.min(returnedMs, submittedMs + queueNs / 1e6);
    this.spans.queue = [submittedMs, dispatchedMs];
    this.spans.inference = [dispatchedMs, returnedMs];
    this.stages.queue = queueNs / 1e9;
    this.stages.compute = computeNs / 1e9;
  }

  /**
   * The CPU weights of the core's part (cost/): the scheduler's synchronous admission and hand-off, this request's
   * share of its batch's runtime call (by rows), validation and post-processing, and the features stage's time.
   */
  costed(queueMs: number, computeNs: number, rows: number, batchRows: number): void {
    const span = (s: readonly [number, number] | undefined) => (s ? (s[1] - s[0]) / 1000 : 0);
    this.cpu.queue = queueMs / 1000;
    this.cpu.compute = (computeNs / 1e9) * (batchRows > 0 ? Math.min(1, rows / batchRows) : 1);
    this.cpu.other = span(this.spans.validation) + span(this.spans.postprocess);
    if (this.stages.features !== undefined) this.cpu.features = this.stages.features;
  }
}
