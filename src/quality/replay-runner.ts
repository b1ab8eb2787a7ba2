/**
 * Replays logged predictions: reads a model's logged inputs from the prediction log, sends each again to a target
 * (a version loaded in this process, or another server over HTTP), one at a time at no more than `ratePerSecond`,
 * and compares every answer with the logged one (replay-compare.ts). It runs in its own process (`inferd replay`),
 * so the live server's path is untouched.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggedPrediction, StoredTensor } from '../audit/audit-record.js';
import type { FeedbackStore } from './feedback-store.js';
import { compareAnswers, summarizeReplay, type ReplaySummary, type RowComparison } from './replay-compare.js';

/** A V2 JSON inference request body. */
export interface ReplayRequest {
  readonly id: string;
  readonly inputs: ReadonlyArray<{
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
    readonly data: readonly unknown[];
  }>;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** Where the logged inputs are sent again. */
export interface ReplayTarget {
  /** e.g. 'version 2 in process' or 'http://10.0.0.5:8000'. */
  readonly description: string;
  /** The answer's outputs; rejects with a message when the request fails. */
  infer(model: string, request: ReplayRequest): Promise<StoredTensor[]>;
}

export interface ReplayOptions {
  readonly store: FeedbackStore;
  readonly target: ReplayTarget;
  readonly model: string;
  readonly sinceMs: number;
  /** Most predictions replayed (the oldest since sinceMs first). */
  readonly limit: number;
  readonly ratePerSecond: number;
  /** How many of the most different predictions the report lists. */
  readonly top: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ReplayReport extends ReplaySummary {
  readonly model: string;
  readonly sinceMs: number;
  readonly target: string;
  /** Logged predictions found. */
  readonly selected: number;
  /** Not replayable (redacted or truncated inputs), or not comparable, by reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Requests the target refused, with the first errors. */
  readonly failed: number;
  readonly errors: ReadonlyArray<{ readonly requestId: string; readonly error: string }>;
  /** From the first request sent to the last answer. */
  readonly elapsedMs: number;
}

const PAGE = 1000;
const MAX_ERRORS = 10;

async function select(o: ReplayOptions): Promise<LoggedPrediction[]> {
  const out: LoggedPrediction[] = [];
  for (;;) {
    const page = await o.store.logged({
      model: o.model,
      sinceMs: o.sinceMs,
      labeledOnly: false,
      afterSeq: out.at(-1)?.seq,
      limit: Math.min(PAGE, o.limit - out.length),
    });
    out.push(...page);
    if (page.length === 0 || out.length >= o.limit) return out;
  }
}

/** The request that sends a logged prediction's inputs again, or why it cannot be built. */
export function replayRequest(p: LoggedPrediction): ReplayRequest | string {
  const inputs = [];
  for (const t of p.inputs) {
    if (t.data === undefined) return 'input redacted in the log';
    if (t.truncated) return 'input truncated in the log (audit.max_elements)';
    inputs.push({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data });
  }
  return { id: `replay-${p.requestId}`, inputs, ...(p.parameters ? { parameters: p.parameters } : {}) };
}

/** Replays and compares; resolves with the report. */
export async function runReplay(o: ReplayOptions): Promise<ReplayReport> {
  const predictions = await select(o);
  const skipped: Record<string, number> = {};
  const errors: Array<{ requestId: string; error: string }> = [];
  const comparisons: RowComparison[] = [];
  const latencies: number[] = [];
  let failed = 0;
  const intervalMs = 1000 / o.ratePerSecond;
  let next = performance.now();
  let first: number | undefined;
  for (const [i, p] of predictions.entries()) {
    o.onProgress?.(i, predictions.length);
    const request = replayRequest(p);
    if (typeof request === 'string') {
      skipped[request] = (skipped[request] ?? 0) + 1;
      continue;
    }
    // Timers may fire a little early against performance.now(): wait until the slot has really come.
    for (let wait = next - performance.now(); wait > 0; wait = next - performance.now()) await sleep(Math.ceil(wait));
    const started = performance.now();
    // The next request one interval after this one starts, never sooner: after a slow answer there is no catching up
    // (two requests back to back would exceed the rate).
    next = started + intervalMs;
    first ??= started;
    try {
      const outputs = await o.target.infer(o.model, request);
      latencies.push(performance.now() - started);
      const c = compareAnswers(p.requestId, p.outputs, outputs);
      if (typeof c === 'string') skipped[c] = (skipped[c] ?? 0) + 1;
      else comparisons.push(c);
    } catch (err) {
      failed++;
      if (errors.length < MAX_ERRORS) errors.push({ requestId: p.requestId, error: (err as Error).message });
    }
  }
  o.onProgress?.(predictions.length, predictions.length);
  return {
    model: o.model,
    sinceMs: o.sinceMs,
    target: o.target.description,
    selected: predictions.length,
    skipped,
    failed,
    errors,
    elapsedMs: first === undefined ? 0 : performance.now() - first,
    ...summarizeReplay(comparisons, latencies, o.top),
  };
}
