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
import { StoreFeedbackJoiner, type FeedbackJoiner } from './feedback-join.js';
import type { FeedbackItem } from './feedback-request.js';
import type { FeedbackStore, PredictionScope } from './feedback-store.js';

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

export interface FeedbackServiceOptions {
  readonly store: FeedbackStore;
  /** Where labels are joined and written; default: in process, over `store` (the server's runs in a worker thread). */
  readonly joiner?: FeedbackJoiner;
  /** The decision threshold of a loaded version, if it has one. */
  readonly thresholdOf: (model: string, version: string) => ThresholdConfig | undefined;
  /** Writes the prediction log's buffered records, so a label sent right after its prediction finds it. */
  readonly flushPredictions?: (() => Promise<void>) | undefined;
  readonly metrics?: FeedbackMetrics;
  readonly now?: (() => number) | undefined;
  /** Called after labels were stored (the quality gauges then refresh when due). */
  readonly onStored?: () => void;
  /** Told of every label received, before the join (the cascades count them per path). */
  readonly onLabels?: ((items: readonly FeedbackItem[]) => void) | undefined;
}

export class FeedbackService {
  private readonly now: () => number;

  constructor(private readonly options: FeedbackServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Joins and stores a batch of labels from `sender`; resolves with the counts. */
  async submit(items: readonly FeedbackItem[], sender: PredictionScope): Promise<FeedbackResult> {
    const seen = new Set<string>();
    const keyOf = (i: FeedbackItem) => JSON.stringify([i.model ?? sender.model ?? null, i.row, i.id]);
    const unique = items.filter((i) => !seen.has(keyOf(i)) && seen.add(keyOf(i)));
    this.options.onLabels?.(unique);
    await this.flushPredictions();
    const scope = { principal: sender.principal, ...(sender.model === undefined ? {} : { model: sender.model }) };
    const timeMs = this.now();
    const joiner = this.options.joiner ?? new StoreFeedbackJoiner(this.options.store);
    const thresholds: Array<readonly [string, string, ThresholdConfig]> = [];
    for (const [model, version] of await joiner.versions([...new Set(unique.map((i) => i.id))], scope)) {
      const threshold = this.options.thresholdOf(model, version);
      if (threshold) thresholds.push([model, version, threshold]);
    }
    const joined = await joiner.joinAndStore(unique, timeMs, thresholds, scope);
    if (joined.inserted > 0) this.options.onStored?.();
    const result = {
      accepted: joined.inserted,
      unknown: joined.unknown,
      duplicate: items.length - unique.length + joined.joined - joined.inserted,
      unusable: joined.unusable,
      unknownIds: joined.unknownIds,
      unusableItems: joined.unusableItems,
    };
    this.count(result);
    return result;
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
    for (const result of ['accepted', 'unknown', 'duplicate', 'unusable'] as const)
      if (r[result] > 0) m.inc({ result }, r[result]);
  }
}
