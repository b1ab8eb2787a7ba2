/**
 * Turns the metric families read for one snapshot into per-model figures: series grouped by their `model` and
 * `version` labels once, then each model's versions assembled with its traffic view, rollout and SLO report.
 */
import type { Rollout, TrafficView } from '../control/control-types.js';
import type { SloReport } from '../slo/slo-tracker.js';
import { label, type Sample } from './metric-reader.js';
import type {
  DriftFigures,
  ModelFigures,
  QualityFigures,
  RolloutFigures,
  SliFigures,
  VersionFigures,
} from './snapshot.js';

/** The families a snapshot reads from the /metrics registry. */
export const FAMILIES = [
  'inferd_requests_total',
  'inferd_request_duration_seconds',
  'inferd_inflight',
  'inferd_concurrency_limit',
  'inferd_shed_total',
  'inferd_model_breaker_state',
  'inferd_traffic_share_percent',
  'inferd_cpu_seconds_per_inference',
  'inferd_cost_per_1k_inferences',
  'inferd_drift_statistic',
  'inferd_drift_threshold',
  'inferd_drift_detected',
  'inferd_model_quality',
  'inferd_inflight_requests',
  'inferd_process_faults_total',
  // prom-client counts CPU time when the user family is read (the total is a third family it fills then).
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
] as const;

export type Family = (typeof FAMILIES)[number];
export type Families = Record<Family, readonly Sample[]>;

/** Samples by model, then by version ('' for per-model series). */
type ByVersion = Map<string, Map<string, Sample[]>>;

function groupByModel(samples: readonly Sample[]): ByVersion {
  const out: ByVersion = new Map();
  for (const s of samples) {
    const model = label(s, 'model');
    let versions = out.get(model);
    if (!versions) out.set(model, (versions = new Map()));
    const version = label(s, 'version');
    const list = versions.get(version);
    if (list) list.push(s);
    else versions.set(version, [s]);
  }
  return out;
}

/** Each family's samples grouped by model and version, read once per snapshot. */
export class GroupedFamilies {
  private readonly groups = new Map<Family, ByVersion>();

  constructor(private readonly families: Families) {}

  /** The samples of `family` for one model and version ('' for a per-model series). */
  of(family: Family, model: string, version = ''): readonly Sample[] {
    let g = this.groups.get(family);
    if (!g) this.groups.set(family, (g = groupByModel(this.families[family])));
    return g.get(model)?.get(version) ?? [];
  }

  /** The versions `family` has series for under `model`. */
  versionsOf(family: Family, model: string): string[] {
    this.of(family, model);
    return [...(this.groups.get(family)?.get(model)?.keys() ?? [])];
  }

  total(family: Family): number {
    return this.families[family].reduce((n, s) => n + s.value, 0);
  }
}

const sum = (samples: readonly Sample[]): number => samples.reduce((n, s) => n + s.value, 0);
const first = (samples: readonly Sample[]): number | null => (samples.length ? samples[0].value : null);

/** Cumulative bucket counts (bounds order, then +Inf), sum and count of one version, summed over protocols. */
function latencyOf(samples: readonly Sample[], bounds: readonly number[]): VersionFigures['latency'] {
  const buckets = new Array<number>(bounds.length + 1).fill(0);
  let total = 0;
  let count = 0;
  for (const s of samples) {
    const name = s.metricName ?? '';
    if (name.endsWith('_sum')) total += s.value;
    else if (name.endsWith('_count')) count += s.value;
    else {
      const le = label(s, 'le');
      const i = le === '+Inf' ? bounds.length : bounds.indexOf(Number(le));
      if (i >= 0) buckets[i] += s.value;
    }
  }
  return { buckets, sum: total, count };
}

function outcomesOf(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const outcome = label(s, 'outcome');
    out[outcome] = (out[outcome] ?? 0) + s.value;
  }
  return out;
}

export interface ModelSources {
  readonly name: string;
  readonly state: string;
  readonly traffic: TrafficView | undefined;
  readonly rollout: Rollout | undefined;
  readonly slo: SloReport | undefined;
  readonly bounds: readonly number[];
}

function versionFigures(f: GroupedFamilies, src: ModelSources, version: string): VersionFigures {
  const m = src.name;
  const view = src.traffic?.versions.find((v) => String(v.version) === version);
  return {
    version,
    state: view?.state ?? 'READY',
    share: first(f.of('inferd_traffic_share_percent', m, version)) ?? view?.share ?? 0,
    failed: view?.failed ?? false,
    outcomes: outcomesOf(f.of('inferd_requests_total', m, version)),
    latency: latencyOf(f.of('inferd_request_duration_seconds', m, version), src.bounds),
    inflight: sum(f.of('inferd_inflight', m, version)),
    limit: first(f.of('inferd_concurrency_limit', m, version)),
    shed: sum(f.of('inferd_shed_total', m, version)),
    breaker: first(f.of('inferd_model_breaker_state', m, version)) ?? 0,
  };
}

/** The versions to show: the traffic view's, then any a metric still names (a request to a version since gone). */
function versionLabels(f: GroupedFamilies, src: ModelSources): string[] {
  const labels = new Set((src.traffic?.versions ?? []).map((v) => String(v.version)));
  for (const v of f.versionsOf('inferd_requests_total', src.name)) if (v) labels.add(v);
  return [...labels].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

function driftOf(f: GroupedFamilies, model: string): DriftFigures[] {
  const out: DriftFigures[] = [];
  for (const version of f.versionsOf('inferd_drift_statistic', model)) {
    const key = (s: Sample) => `${label(s, 'feature')}\u0000${label(s, 'source')}\u0000${label(s, 'statistic')}`;
    const thresholds = new Map(f.of('inferd_drift_threshold', model, version).map((s) => [key(s), s.value]));
    const detected = new Map(f.of('inferd_drift_detected', model, version).map((s) => [key(s), s.value]));
    for (const s of f.of('inferd_drift_statistic', model, version)) {
      out.push({
        version,
        feature: label(s, 'feature'),
        source: label(s, 'source'),
        statistic: label(s, 'statistic'),
        value: s.value,
        threshold: thresholds.get(key(s)) ?? null,
        drifted: detected.get(key(s)) === 1,
      });
    }
  }
  return out;
}

function qualityOf(f: GroupedFamilies, model: string): QualityFigures[] {
  return f.versionsOf('inferd_model_quality', model).flatMap((version) =>
    f.of('inferd_model_quality', model, version).map((s) => ({
      version,
      window: label(s, 'window'),
      metric: label(s, 'metric'),
      value: s.value,
    })),
  );
}

export function sloFigures(report: SloReport): SliFigures[] {
  return report.slis.map((s) => ({
    kind: s.kind,
    objective: s.objective,
    thresholdMs: s.thresholdMs ?? null,
    sli: s.window.sli,
    good: s.window.good,
    total: s.window.total,
    budgetRemaining: s.errorBudgetRemaining,
    burnRates: s.burnRates,
    firing: s.alerts.filter((a) => a.firing).map((a) => a.alert),
  }));
}

export function rolloutFigures(r: Rollout): RolloutFigures {
  const d = r.lastDecision;
  return {
    id: r.id,
    status: r.status,
    candidate: r.spec.candidate,
    stable: r.stable,
    weight: r.weight,
    step: r.stepIndex,
    steps: r.spec.steps,
    intervalMs: r.spec.intervalMs,
    lastDecision: d
      ? {
          action: d.action,
          by: d.by,
          at: d.at,
          reason: d.reason,
          failed: d.failed,
          checks: d.checks.map((c) => ({
            check: c.check,
            status: c.status,
            value: c.value ?? null,
            limit: c.limit,
            samples: c.samples,
            detail: c.detail,
          })),
        }
      : null,
  };
}

/** One model's figures. */
export function modelFigures(f: GroupedFamilies, src: ModelSources): ModelFigures {
  const m = src.name;
  return {
    name: m,
    state: src.state,
    versions: versionLabels(f, src).map((v) => versionFigures(f, src, v)),
    unversioned: outcomesOf(f.of('inferd_requests_total', m, '')),
    cpuPerInference: first(f.of('inferd_cpu_seconds_per_inference', m)),
    costPer1k: first(f.of('inferd_cost_per_1k_inferences', m)),
    slo: src.slo ? sloFigures(src.slo) : null,
    rollout: src.rollout ? rolloutFigures(src.rollout) : null,
    drift: driftOf(f, m),
    quality: qualityOf(f, m),
  };
}
