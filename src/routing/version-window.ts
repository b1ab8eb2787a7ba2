/**
 * A rolling window of what one version answered: per request, when, whether it failed, how long it took and
 * what it predicted. The canary analysis summarises it over an interval. Bounded: the oldest samples go first.
 * Pure: times are passed in, nothing is read from a clock; no node:* imports.
 */
import type { RowPrediction } from '../prediction/predicted-rows.js';

export interface Sample {
  /** Milliseconds on the caller's clock when the request finished. */
  readonly at: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly prediction?: RowPrediction | undefined;
}

/** One version's requests over an interval. */
export interface WindowSummary {
  readonly requests: number;
  readonly errors: number;
  /** Latencies of the requests answered (failures are the error-rate check's), ascending. */
  readonly latenciesMs: readonly number[];
  /** Predicted classes and their counts, or predicted values (regression). */
  readonly classes: ReadonlyMap<number, number>;
  readonly values: readonly number[];
  readonly predictionKind?: 'class' | 'value' | undefined;
}

export const EMPTY_WINDOW: WindowSummary = Object.freeze({
  requests: 0,
  errors: 0,
  latenciesMs: [],
  classes: new Map(),
  values: [],
});

/** The q-quantile (0..1) of ascending values by the nearest-rank method, or undefined when empty. */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export class VersionWindow {
  private samples: Sample[] = [];

  constructor(private readonly maxSamples = 50_000) {}

  record(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > this.maxSamples * 1.25) this.samples = this.samples.slice(-this.maxSamples);
  }

  /** Drops every sample (the version closed, or its model's rollout ended). */
  clear(): void {
    this.samples = [];
  }

  /** Drops samples older than `before`. */
  prune(before: number): void {
    const first = this.samples.findIndex((s) => s.at >= before);
    this.samples = first < 0 ? [] : this.samples.slice(first);
  }

  /** What happened from `since` (inclusive) on. */
  summarise(since: number): WindowSummary {
    const picked = this.samples.filter((s) => s.at >= since);
    const classes = new Map<number, number>();
    const values: number[] = [];
    let kind: 'class' | 'value' | undefined;
    for (const s of picked) {
      if (!s.prediction) continue;
      kind = s.prediction.kind;
      if (kind === 'class') for (const c of s.prediction.values) classes.set(c, (classes.get(c) ?? 0) + 1);
      else values.push(...s.prediction.values);
    }
    return {
      requests: picked.length,
      errors: picked.filter((s) => !s.ok).length,
      latenciesMs: picked
        .filter((s) => s.ok)
        .map((s) => s.latencyMs)
        .sort((a, b) => a - b),
      classes,
      values,
      predictionKind: kind,
    };
  }
}
