/**
 * Accepts feedback labels: joins each with its logged prediction by request id (and row), reads what the
 * prediction said, and stores the pair. Labels whose request id is not in the log (never sampled, not yet or no
 * longer kept) are counted as unknown; a second label for the same request and row as duplicate; a prediction
 * that cannot be compared (redacted or truncated outputs) as unusable. Nothing is dropped without being counted.
 */
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import type { FeedbackMetrics } from '../telemetry/quality-metrics.js';
import { predictionOutcome } from './feedback-outcome.js';
import type { FeedbackItem } from './feedback-request.js';
import type { FeedbackRecord, FeedbackStore, LoggedPrediction } from './feedback-store.js';

/** Ids and problems listed in an answer, at most this many each. */
const MAX_LISTED = 100;
/** How long a feedback request waits for the prediction log to write what it has buffered. */
const FLUSH_WAIT_MS = 2000;
/**
 * Request ids looked up in the prediction log per store call: the predictions found are joined a slice at a time,
 * so a batch of 10,000 labels never holds the event loop for all of its joins at once.
 */
const LOOKUP_CHUNK = 500;

export interface FeedbackResult {
  readonly accepted: number;
  readonly unknown: number;
  readonly duplicate: number;
  readonly unusable: number;
  /** The first unknown request ids. */
  readonly unknownIds: readonly string[];
  /** The first unusable items and why. */
  readonly unusableItems: ReadonlyArray<{ readonly id: string; readonly row: number; readonly reason: string }>;
}

export interface FeedbackServiceOptions {
  readonly store: FeedbackStore;
  /** The decision threshold of a loaded version, if it has one. */
  readonly thresholdOf: (model: string, version: string) => ThresholdConfig | undefined;
  /** Writes the prediction log's buffered records, so a label sent right after its prediction finds it. */
  readonly flushPredictions?: () => Promise<void>;
  readonly metrics?: FeedbackMetrics;
  readonly now?: () => number;
  /** Called after labels were stored (the quality gauges then refresh when due). */
  readonly onStored?: () => void;
}

export class FeedbackService {
  private readonly now: () => number;

  constructor(private readonly options: FeedbackServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Joins and stores a batch of labels; resolves with the counts. */
  async submit(items: readonly FeedbackItem[]): Promise<FeedbackResult> {
    const seen = new Set<string>();
    const unique = items.filter((i) => !seen.has(`${i.row}:${i.id}`) && seen.add(`${i.row}:${i.id}`));
    await this.flushPredictions();
    const timeMs = this.now();
    const records: FeedbackRecord[] = [];
    const unknownIds: string[] = [];
    const unusableItems: Array<{ id: string; row: number; reason: string }> = [];
    const byId = new Map<string, FeedbackItem[]>();
    for (const item of unique) {
      const same = byId.get(item.id);
      if (same) same.push(item);
      else byId.set(item.id, [item]);
    }
    const ids = [...byId.keys()];
    for (let at = 0; at < ids.length; at += LOOKUP_CHUNK) {
      const chunk = ids.slice(at, at + LOOKUP_CHUNK);
      const found = new Map((await this.options.store.predictions(chunk)).map((p) => [p.requestId, p]));
      for (const id of chunk) {
        for (const item of byId.get(id)!) {
          const prediction = found.get(id);
          if (!prediction) {
            unknownIds.push(item.id);
            continue;
          }
          const joined = this.join(item, prediction, timeMs);
          if (typeof joined === 'string') unusableItems.push({ id: item.id, row: item.row, reason: joined });
          else records.push(joined);
        }
      }
    }
    // One write, one transaction: answered only once every label of the batch is committed.
    const inserted = records.length ? await this.options.store.insert(records) : 0;
    if (inserted > 0) this.options.onStored?.();
    const result = {
      accepted: inserted, unknown: unknownIds.length, duplicate: items.length - unique.length + records.length - inserted, unusable: unusableItems.length,
      unknownIds: unknownIds.slice(0, MAX_LISTED), unusableItems: unusableItems.slice(0, MAX_LISTED),
    };
    this.count(result);
    return result;
  }

  private join(item: FeedbackItem, p: LoggedPrediction, timeMs: number): FeedbackRecord | string {
    const read = predictionOutcome(p.outputs, item.kind, item.row, this.options.thresholdOf(p.model, p.version));
    if (!read.ok) return read.reason;
    return {
      requestId: item.id, row: item.row, model: p.model, version: p.version, predictionTimeMs: p.timeMs, timeMs,
      kind: item.kind, label: item.target, ...read.outcome,
    };
  }

  private async flushPredictions(): Promise<void> {
    const flush = this.options.flushPredictions?.();
    if (!flush) return;
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_WAIT_MS)));
    await Promise.race([flush, wait]).finally(() => clearTimeout(timer));
  }

  private count(r: FeedbackResult): void {
    const m = this.options.metrics?.labels;
    if (!m) return;
    for (const result of ['accepted', 'unknown', 'duplicate', 'unusable'] as const) if (r[result] > 0) m.inc({ result }, r[result]);
  }
}
