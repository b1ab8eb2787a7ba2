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
}
