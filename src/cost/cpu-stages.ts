/**
 * The stages a request's CPU time is counted in. `decode` and `encode` are the door's (the wire format in and
 * out), `features` the enrichment stage, `queue` the scheduler's admission and hand-off, `compute` the runtime
 * call on the worker thread (a batch's time split over its rows), `other` the core's validation and
 * post-processing. Measured per request as times on the thread doing the work; see cost-ledger.ts for how they
 * are made to add up to the CPU time the process was billed.
 */
export const CPU_STAGES = ['decode', 'features', 'queue', 'compute', 'encode', 'other'] as const;

export type CpuStage = (typeof CPU_STAGES)[number];

/** Seconds per stage of one request (absent: the stage did not run). */
export type StageSeconds = Partial<Record<CpuStage, number>>;
