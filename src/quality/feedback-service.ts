/**
 * Accepts feedback labels: joins each with its logged prediction by request id (and row), reads what the
 * prediction said, and stores the pair. A label joins only a prediction of the same principal (the authenticated
 * caller; 'anonymous' for everyone with auth off) and of the model it names (the route's, or the item's `model`);
 * an id that names predictions of more than one model, with no model said, joins none of them. Request ids are
 * the client's choice and may collide across models and callers: this keeps one caller's label off another's
 * prediction. Labels whose request id is not in the log (never sampled, not yet or no longer kept, another
 * caller's or model's) are counted as unknown; a second label for the same prediction and row as duplicate; a
 * prediction that cannot be compared (redacted or truncated outputs, ambiguous model) as unusable. Nothing is
 * dropped without being counted.
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

/** Who sends a batch of labels, and for which model. */
export interface FeedbackSender {
  /** The authenticated principal's id; 'anonymous' with auth off. */
  readonly principal: string;
  /** The model the route names; absent on POST /v1/feedback (each item may name its own). */
  readonly model?: string;
}

export interface FeedbackServiceOptions {
  readonly store: FeedbackStore;
  /** The decision threshold of a loaded version, if it has one. */
  readonly thresholdOf: (model: string, version: string) => ThresholdConfig | undefined;
  /** Writes the prediction log's buffered records, so a label sent right after its prediction finds it. */
  readonly flushPredictions?: () => Promise<void>;
  readonly metrics?: FeedbackMetrics;
  readonly now?: () => number;
}

export class FeedbackService {
  private readonly now: () => number;

  constructor(private readonly options: FeedbackServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Joins and stores a batch of labels from `sender`; resolves with the counts. */
  async submit(items: readonly FeedbackItem[], sender: FeedbackSender): Promise<FeedbackResult> {
    const seen = new Set<string>();
    const keyOf = (i: FeedbackItem) => JSON.stringify([i.model ?? sender.model ?? null, i.row, i.id]);
    const unique = items.filter((i) => !seen.has(keyOf(i)) && seen.add(keyOf(i)));
    await this.flushPredictions();
    const scope = { principal: sender.principal, ...(sender.model === undefined ? {} : { model: sender.model }) };
    const found = new Map<string, LoggedPrediction[]>();
    for (const p of await this.options.store.predictions([...new Set(unique.map((i) => i.id))], scope)) {
      found.set(p.requestId, [...(found.get(p.requestId) ?? []), p]);
    }
    const timeMs = this.now();
    const records: FeedbackRecord[] = [];
    const unknownIds: string[] = [];
    const unusableItems: Array<{ id: string; row: number; reason: string }> = [];
    for (const item of unique) {
      const model = item.model ?? sender.model;
      const candidates = (found.get(item.id) ?? []).filter((p) => model === undefined || p.model === model);
      if (candidates.length === 0) {
        unknownIds.push(item.id);
        continue;
      }
      if (candidates.length > 1) {
        const models = candidates.map((p) => `'${p.model}'`).sort().join(', ');
        unusableItems.push({ id: item.id, row: item.row, reason: `the id names predictions of models ${models}; post to /v1/models/{model}/feedback, or give the item's "model"` });
        continue;
      }
      const joined = this.join(item, candidates[0], timeMs);
      if (typeof joined === 'string') unusableItems.push({ id: item.id, row: item.row, reason: joined });
      else records.push(joined);
    }
    const inserted = records.length ? await this.options.store.insert(records) : 0;
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
      requestId: item.id, principal: p.principal, row: item.row, model: p.model, version: p.version, predictionTimeMs: p.timeMs, timeMs,
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
