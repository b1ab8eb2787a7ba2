/**
 * What the dashboard's stream sends: one compact snapshot of every model's figures, read at one instant from the
 * /metrics registry and the control plane (SLO reports, traffic and rollouts, events). Counters are sent as the
 * totals /metrics shows; the page derives rates and recent percentiles from consecutive snapshots.
 */

/** One model version's figures. `version` is the label /metrics uses. */
export interface VersionFigures {
  readonly version: string;
  /** LOADING, READY, UNLOADING or UNAVAILABLE (the traffic view's). */
  readonly state: string;
  /** inferd_traffic_share_percent. */
  readonly share: number;
  /** Rolled back by a rollout: takes no traffic until the policy changes. */
  readonly failed: boolean;
  /** inferd_requests_total by outcome, summed over protocols. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** inferd_request_duration_seconds summed over protocols: cumulative bucket counts (the last is +Inf), sum, count. */
  readonly latency: { readonly buckets: readonly number[]; readonly sum: number; readonly count: number };
  /** inferd_inflight: admitted and not yet answered. */
  readonly inflight: number;
  /** inferd_concurrency_limit (adaptive versions only). */
  readonly limit: number | null;
  /** inferd_shed_total summed over reasons and priorities. */
  readonly shed: number;
  /** inferd_model_breaker_state: 0 closed, 1 half-open, 2 open. */
  readonly breaker: number;
}

/** One SLI of the model's SLO report (GET /v1/models/{m}/slo). */
export interface SliFigures {
  readonly kind: string;
  readonly objective: number;
  readonly thresholdMs: number | null;
  readonly sli: number | null;
  readonly good: number;
  readonly total: number;
  readonly budgetRemaining: number;
  readonly burnRates: Readonly<Record<string, number | null>>;
  readonly firing: readonly string[];
}

export interface RolloutFigures {
  readonly id: string;
  readonly status: string;
  readonly candidate: number;
  readonly stable: number;
  readonly weight: number;
  readonly step: number;
  readonly steps: readonly number[];
  readonly intervalMs: number;
  readonly lastDecision: {
    readonly action: string;
    readonly by: string;
    readonly at: number;
    readonly reason: string;
    readonly failed: readonly string[];
    readonly checks: ReadonlyArray<{
      readonly check: string;
      readonly status: string;
      readonly value: number | null;
      readonly limit: number;
      /** The candidate's samples, and the stable version's when the check compares the two. */
      readonly samples: { readonly candidate: number; readonly stable?: number | undefined; readonly required: number };
      readonly detail: string;
    }>;
  } | null;
}

/** inferd_drift_statistic with its threshold and drifted flag. */
export interface DriftFigures {
  readonly version: string;
  readonly feature: string;
  readonly source: string;
  readonly statistic: string;
  readonly value: number;
  readonly threshold: number | null;
  readonly drifted: boolean;
}

/** inferd_model_quality. */
export interface QualityFigures {
  readonly version: string;
  readonly window: string;
  readonly metric: string;
  readonly value: number;
}

export interface ModelFigures {
  readonly name: string;
  /** READY when a version is; else the state of its newest version. */
  readonly state: string;
  readonly versions: readonly VersionFigures[];
  /** inferd_requests_total by outcome of requests refused before a version was chosen (no version label). */
  readonly unversioned: Readonly<Record<string, number>>;
  /** inferd_cpu_seconds_per_inference. */
  readonly cpuPerInference: number | null;
  /** inferd_cost_per_1k_inferences; null when cost_per_cpu_second is 0. */
  readonly costPer1k: number | null;
  readonly slo: readonly SliFigures[] | null;
  /** The model's most recent rollout, running or finished. */
  readonly rollout: RolloutFigures | null;
  readonly drift: readonly DriftFigures[];
  readonly quality: readonly QualityFigures[];
}

/** A decision or lifecycle event (the API's GET /v1/models/{m}/events, without its evidence). */
export interface EventFigures {
  readonly seq: number;
  readonly time: string;
  readonly model: string;
  readonly type: string;
  readonly version: number | null;
  readonly rollout: string | null;
  readonly message: string;
}

export interface ProcessFigures {
  /** process_cpu_user_seconds_total + process_cpu_system_seconds_total (= process_cpu_seconds_total). */
  readonly cpuSeconds: number;
  /** inferd_inflight_requests. */
  readonly inflight: number;
  /** inferd_process_faults_total. */
  readonly faults: number;
}

export interface Snapshot {
  /** Increases by one per snapshot of this process. */
  readonly id: number;
  /** When it was read, ms since the epoch. */
  readonly at: number;
  readonly process: ProcessFigures;
  readonly models: readonly ModelFigures[];
  /** Events recorded since the previous snapshot. */
  readonly events: readonly EventFigures[];
}
