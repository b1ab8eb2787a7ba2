/**
 * Model lifecycle and progressive-delivery metrics: each version's traffic share, warm-up time, failed warm-ups
 * and cold answers; shadow traffic and its agreement; rollouts' state and weight; and every decision or lifecycle event,
 * labelled with the check that caused it. Read from the traffic manager at scrape time (nothing on the request
 * path), served at /metrics beside the rest.
 */
import { Registry } from 'prom-client';
import { rowMetric, type RowMetric } from './metric-group.js';

/** What the metrics read; the traffic manager provides it. */
export interface LifecycleSource {
  versionRows(): ReadonlyArray<{
    readonly model: string;
    readonly version: number;
    readonly share: number;
    /** READY, LOADING, UNLOADING, UNAVAILABLE (unloaded or refused): UNAVAILABLE versions have no series here. */
    readonly state?: string;
    readonly loadMs?: number | undefined;
    readonly warmupMs?: number | undefined;
    readonly coldRuns?: number | undefined;
  }>;
  shadowRows(): ReadonlyArray<{
    readonly model: string;
    readonly version: number;
    readonly mirrored: number;
    readonly dropped: number;
    readonly errors: number;
    readonly rows: number;
    readonly agreeing: number;
    readonly absDiffSum: number;
  }>;
  rolloutRows(): ReadonlyArray<{
    readonly model: string;
    readonly rollout: string;
    readonly candidate: number;
    readonly status: string;
    readonly weight: number;
  }>;
  eventRows(): ReadonlyArray<{
    readonly model: string;
    readonly type: string;
    readonly check: string;
    readonly count: number;
  }>;
  /** A shared state store's health (PostgreSQL); undefined with an embedded store or none. */
  stateHealth?(): StateHealthRow | undefined;
  /** Whether this replica leads the canary analysis (one process always does; absent: true). */
  canaryLeader?(): boolean;
  /** Failed warm-ups since start by source ('generated': served cold; 'file': warmup.json failed, refused). */
  warmupFailureRows(): ReadonlyArray<{
    readonly model: string;
    readonly version: number;
    readonly source: string;
    readonly count: number;
  }>;
}

/** How the shared state store is doing (see routing/rollout-store.ts, StoreHealth). */
export interface StateHealthRow {
  readonly up: boolean;
  readonly staleSeconds: number;
  readonly queued: number;
}

const VERSION = ['model', 'version'] as const;

/** The sources of per-row series (all but the state store's health). */
type RowKey = Exclude<keyof LifecycleSource, 'stateHealth' | 'canaryLeader'>;

type Rows<K extends RowKey> = ReturnType<LifecycleSource[K]>[number];

/** A gauge or counter over one kind of the source's rows. */
function rows<K extends RowKey>(
  registry: Registry,
  source: LifecycleSource,
  kind: 'gauge' | 'counter',
  from: K,
  def: Omit<RowMetric<Rows<K>>, 'kind' | 'rows'>,
): void {
  rowMetric<Rows<K>>([registry], { ...def, kind, rows: () => source[from]() as ReadonlyArray<Rows<K>> });
}

/**
 * The rows that make series: versions that are loaded (or loading, or draining), and shadow totals of those. An
 * unloaded or refused version's figures go with it, so loading and unloading cannot grow /metrics without end.
 * Event and warm-up failure counts stay: they are bounded by the repository's models and versions.
 */
function loadedOnly(source: LifecycleSource): LifecycleSource {
  const versionRows = () => source.versionRows().filter((r) => r.state !== 'UNAVAILABLE');
  return {
    versionRows,
    shadowRows: () => {
      const rows = source.shadowRows();
      if (!rows.length) return rows;
      const loaded = new Set(versionRows().map((r) => `${r.model}\u0000${r.version}`));
      return rows.filter((r) => loaded.has(`${r.model}\u0000${r.version}`));
    },
    rolloutRows: () => source.rolloutRows(),
    eventRows: () => source.eventRows(),
    warmupFailureRows: () => source.warmupFailureRows(),
    stateHealth: () => source.stateHealth?.(),
    canaryLeader: () => source.canaryLeader?.() ?? true,
  };
}

/** The shared state store's gauges: series only when there is one (labelled store="postgres"). */
function stateGauges(registry: Registry, source: LifecycleSource): void {
  const defs: Array<[string, string, (h: StateHealthRow) => number]> = [
    [
      'inferd_state_store_up',
      '1 while the shared state store (PostgreSQL) answers; 0 while it cannot be reached and the last known rollouts and traffic policies are served.',
      (h) => (h.up ? 1 : 0),
    ],
    [
      'inferd_state_stale_seconds',
      'Seconds since this replica last read the shared state store successfully, while it cannot (0 while it can).',
      (h) => h.staleSeconds,
    ],
    [
      'inferd_state_queued_changes',
      'Changes made through this replica and not yet written to the shared state store (written, in order, when it returns).',
      (h) => h.queued,
    ],
  ];
  for (const [name, help, value] of defs)
    rowMetric<StateHealthRow>([registry], {
      kind: 'gauge',
      name,
      help,
      labels: ['store'],
      rows: () => {
        const h = source.stateHealth?.();
        return h ? [h] : [];
      },
      labelsOf: () => ({ store: 'postgres' }),
      value,
    });
}

/** The /metrics registry with the lifecycle metrics added. */
export function withLifecycleMetrics(registry: Registry, all: LifecycleSource): Registry {
  const source = loadedOnly(all);
  const own = new Registry();
  const byVersion = (r: { model: string; version: number }) => ({ model: r.model, version: r.version });
  stateGauges(own, source);
  rowMetric<boolean>([own], {
    kind: 'gauge',
    name: 'inferd_canary_leader',
    help: '1 while this replica leads the canary analysis (judges rollouts and records verdicts), 0 otherwise; always 1 on a single process.',
    labels: [],
    rows: () => [source.canaryLeader?.() ?? true],
    labelsOf: () => ({}),
    value: (leader) => (leader ? 1 : 0),
  });
  rows(own, source, 'gauge', 'versionRows', {
    name: 'inferd_traffic_share_percent',
    help: 'Percent of requests naming no version that the version answers under the traffic policy.',
    labels: VERSION,
    value: (r) => r.share,
    labelsOf: byVersion,
  });
  // Load time is inferd_model_load_seconds (request-metrics.ts, from the version statistics); it excludes warm-up.
  rows(own, source, 'gauge', 'versionRows', {
    name: 'inferd_model_warmup_seconds',
    help: 'Time the version spent warming up before it took traffic.',
    labels: VERSION,
    value: (r) => (r.warmupMs === undefined ? undefined : r.warmupMs / 1000),
    labelsOf: byVersion,
  });
  rows(own, source, 'counter', 'versionRows', {
    name: 'inferd_model_cold_runs_total',
    help: 'Requests answered by an instance that had never run (warm-up off, or its generated warm-up failed); 0 when warm-up ran.',
    labels: VERSION,
    value: (r) => r.coldRuns ?? 0,
    labelsOf: byVersion,
  });
  rows(own, source, 'counter', 'warmupFailureRows', {
    name: 'inferd_warmup_failures_total',
    help: 'Warm-ups that failed: source="generated" (requests guessed from the signature) leaves the version serving cold; source="file" (its warmup.json) refuses the version.',
    labels: ['model', 'version', 'source'],
    value: (r) => r.count,
    labelsOf: (r) => ({ model: r.model, version: r.version, source: r.source }),
  });
  rows(own, source, 'counter', 'shadowRows', {
    name: 'inferd_shadow_requests_total',
    help: 'Requests mirrored to a shadow version.',
    labels: VERSION,
    value: (r) => r.mirrored,
    labelsOf: byVersion,
  });
  rows(own, source, 'counter', 'shadowRows', {
    name: 'inferd_shadow_dropped_total',
    help: 'Sampled requests not mirrored because too many shadows were in flight.',
    labels: VERSION,
    value: (r) => r.dropped,
    labelsOf: byVersion,
  });
  rows(own, source, 'counter', 'shadowRows', {
    name: 'inferd_shadow_errors_total',
    help: 'Shadow requests that failed (never seen by callers).',
    labels: VERSION,
    value: (r) => r.errors,
    labelsOf: byVersion,
  });
  rows(own, source, 'gauge', 'shadowRows', {
    name: 'inferd_shadow_agreement_ratio',
    help: 'Share of shadowed rows whose class equals the answer the caller got.',
    labels: VERSION,
    value: (r) => (r.rows ? r.agreeing / r.rows : undefined),
    labelsOf: byVersion,
  });
  rows(own, source, 'gauge', 'shadowRows', {
    name: 'inferd_shadow_mean_abs_difference',
    help: 'Mean absolute difference between shadow and caller answers per row (regression).',
    labels: VERSION,
    value: (r) => (r.rows ? r.absDiffSum / r.rows : undefined),
    labelsOf: byVersion,
  });
  const rollout = (r: Rows<'rolloutRows'>) => ({
    model: r.model,
    rollout: r.rollout,
    candidate: r.candidate,
    status: r.status,
  });
  rows(own, source, 'gauge', 'rolloutRows', {
    name: 'inferd_canary_weight_percent',
    help: "A rollout's candidate weight now, in percent.",
    labels: ['model', 'rollout', 'candidate', 'status'],
    value: (r) => r.weight,
    labelsOf: rollout,
  });
  rows(own, source, 'gauge', 'rolloutRows', {
    name: 'inferd_canary_status',
    help: 'A rollout in its current status (the status is a label; the value is 1).',
    labels: ['model', 'rollout', 'candidate', 'status'],
    value: () => 1,
    labelsOf: rollout,
  });
  rows(own, source, 'counter', 'eventRows', {
    name: 'inferd_rollout_events_total',
    help: 'Routing and lifecycle events (canary decisions, traffic changes, versions ready/refused/unloaded); check names the failing check of a rollback.',
    labels: ['model', 'event', 'check'],
    value: (r) => r.count,
    labelsOf: (r) => ({ model: r.model, event: r.type, check: r.check }),
  });
  return Registry.merge([registry, own]);
}
