/**
 * Inline execution's policy, pure: whether a version runs lone requests on the main thread (decided once, from the
 * compute time measured at warm-up), and whether the batch at hand does (only when it is the one request waiting and
 * nothing else computes: as soon as a queue forms, batches go to the worker threads again).
 */

/** How a version runs its lone requests, and why. */
export interface InlineDecision {
  /** True: a lone request runs on the main thread. */
  readonly inline: boolean;
  /** Why, for statistics and the load log. */
  readonly reason: string;
  /** The threshold the measurement was held against, µs; undefined when inline execution is off for the version. */
  readonly thresholdUs?: number | undefined;
  /** The fastest compute time measured at warm-up for `measuredRows` rows, µs; undefined when not measured. */
  readonly measuredComputeUs?: number | undefined;
  /** Rows of the measured request: a lone request of up to this many rows may run inline. */
  readonly measuredRows: number;
}

export const WORKERS_ONLY: InlineDecision = Object.freeze({
  inline: false,
  reason: 'inline execution is off for this model',
  measuredRows: 0,
});

/** Decides from the measured compute time (ns) of a request of `rows` rows against the threshold (µs). */
export function decideInline(options: {
  readonly thresholdUs: number | undefined;
  readonly measuredNs: number | undefined;
  readonly rows: number;
  /** Why nothing was measured, when measuredNs is undefined. */
  readonly unmeasured?: string;
}): InlineDecision {
  const { thresholdUs, measuredNs, rows } = options;
  if (thresholdUs === undefined) return WORKERS_ONLY;
  if (measuredNs === undefined)
    return {
      inline: false,
      reason: `not measured: ${options.unmeasured ?? 'no warm-up ran'}`,
      thresholdUs,
      measuredRows: 0,
    };
  const measuredComputeUs = Math.round(measuredNs / 100) / 10;
  const inline = measuredComputeUs <= thresholdUs;
  const relation = inline ? '≤' : '>';
  return {
    inline,
    reason: `compute ${measuredComputeUs} µs for ${rows} row${rows === 1 ? '' : 's'} ${relation} threshold ${thresholdUs} µs`,
    thresholdUs,
    measuredComputeUs,
    measuredRows: rows,
  };
}

/** What the scheduler knows when it is about to dispatch a batch. */
export interface InlineDispatchState {
  /** Requests in the batch at hand. */
  readonly batchJobs: number;
  readonly batchRows: number;
  /** Requests queued, the batch's included. */
  readonly queued: number;
  /** Runtime calls in flight on the workers or inline. */
  readonly executing: number;
  /** The batch asks for an explanation (TreeSHAP): far costlier than the prediction that was measured. */
  readonly explains?: boolean;
}

/**
 * True when the batch at hand runs inline: the version chose it, the batch is the lone request, nothing computes, and
 * it asks for no more than was measured (its rows; no explanation).
 */
export function runsInline(decision: InlineDecision, s: InlineDispatchState): boolean {
  return (
    decision.inline &&
    s.batchJobs === 1 &&
    s.queued === 1 &&
    s.executing === 0 &&
    !s.explains &&
    s.batchRows <= decision.measuredRows
  );
}
