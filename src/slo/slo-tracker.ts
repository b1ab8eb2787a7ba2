/**
 * The in-process SLO record: per model with an objective, request outcomes and latencies counted in 1-minute
 * buckets for 3 days (burn rates) and 1-hour buckets for the longest budget window (error budget). Memory is
 * fixed per model (about 200 KB); models without an objective are not tracked. The clock is injected.
 *
 * The record starts empty when the process starts; Prometheus, fed by /metrics, keeps the long history.
 */
import { MAX_SLO_WINDOW_DAYS, type SloConfig } from '../config/slo-config.js';
import { RollingCounts } from '../telemetry/rolling-counts.js';
import {
  BURN_RATE_CONDITIONS,
  BURN_WINDOWS,
  WINDOW_MS,
  alertName,
  budgetRemaining,
  burnRate,
  conditionFires,
  sliValue,
  type BurnRateCondition,
  type BurnWindow,
  type Severity,
  type SliCounts,
  type SliKind,
} from './slo-math.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Fields of each bucket. Latency counts leave out requests refused before they were timed. */
const TOTAL = 0;
const AVAILABLE = 1;
const TIMED = 2;
const FAST = 3;
const FIELDS = 4;

export interface SloTrackerOptions {
  /** The objective a model has now, or undefined: requests to models without one are not recorded. */
  readonly objectiveOf: (model: string) => SloConfig | undefined;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: (() => number) | undefined;
}

export interface ConditionState extends BurnRateCondition {
  readonly firing: boolean;
}

/** One alert as Prometheus would evaluate it from the same counts: firing when any of its conditions fires. */
export interface AlertState {
  readonly alert: string;
  readonly severity: Severity;
  readonly firing: boolean;
  readonly conditions: readonly ConditionState[];
}

export interface SliReport {
  readonly kind: SliKind;
  readonly objective: number;
  /** Latency SLI only: a request is good when answered within this many milliseconds. */
  readonly thresholdMs?: number;
  /** Counts over the budget window (or since the record began, when that is later). */
  readonly window: SliCounts & { readonly sli: number | null };
  readonly errorBudgetRemaining: number;
  /** Error ratio / budget per window; null for a window without traffic. */
  readonly burnRates: Readonly<Record<BurnWindow, number | null>>;
  readonly alerts: readonly AlertState[];
}

export interface SloReport {
  readonly model: string;
  readonly windowDays: number;
  /** When the record of this model began (ms since the epoch), or null when nothing was recorded yet. */
  readonly sinceMs: number | null;
  readonly slis: readonly SliReport[];
}

/**
 * What a report is computed from: the counts over the budget window and over each burn-rate window, as sums that
 * add up across the processes of one server (`--processes N`).
 */
export interface SloSums {
  /** When the record began (ms since the epoch), or null. */
  readonly sinceMs: number | null;
  readonly window: readonly number[];
  readonly rates: Readonly<Record<BurnWindow, readonly number[]>>;
}

interface ModelRecord {
  readonly minutes: RollingCounts;
  readonly hours: RollingCounts;
  readonly sinceMs: number;
}

export class SloTracker {
  private readonly records = new Map<string, ModelRecord>();
  private readonly now: () => number;

  constructor(private readonly options: SloTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Records one answered request. `outcomeOk`: it did not spend the availability budget (success or a client
   * error). `latencySeconds`: from the decoded request to the answer; undefined for a request refused before it
   * was timed, which then counts for availability only.
   */
  record(model: string, outcomeOk: boolean, latencySeconds?: number): void {
    const objective = this.options.objectiveOf(model);
    if (!objective) return;
    const timed = latencySeconds === undefined ? 0 : 1;
    const fast =
      timed && (objective.latency === undefined || latencySeconds! * 1000 <= objective.latency.thresholdMs) ? 1 : 0;
    const deltas = [1, outcomeOk ? 1 : 0, timed, fast];
    const now = this.now();
    const record = this.recordOf(model, now);
    record.minutes.add(now, deltas);
    record.hours.add(now, deltas);
  }

  /** This process's sums for a model against its objective (what report() computes from). */
  sums(model: string, objective: SloConfig): SloSums {
    const record = this.records.get(model);
    const now = this.now();
    const sums = record?.minutes.sums(
      now,
      BURN_WINDOWS.map((w) => WINDOW_MS[w]),
    );
    return {
      sinceMs: record?.sinceMs ?? null,
      window: record?.hours.sum(now, objective.windowDays * DAY_MS) ?? zeros(),
      rates: Object.fromEntries(BURN_WINDOWS.map((w, i) => [w, sums?.[i] ?? zeros()])) as Record<BurnWindow, number[]>,
    };
  }

  /**
   * The SLIs, budgets, burn rates and alert states of a model against its objective; `others`: the sums of the
   * server's other processes, added in.
   */
  report(model: string, objective: SloConfig, others: readonly SloSums[] = []): SloReport {
    const all = [this.sums(model, objective), ...others];
    const add = (pick: (s: SloSums) => readonly number[]) =>
      all.reduce((acc, s) => acc.map((v, i) => v + (pick(s)[i] ?? 0)), zeros());
    const rates = new Map(BURN_WINDOWS.map((w) => [w, add((s) => s.rates[w])] as const));
    const window = add((s) => s.window);
    const since = all.flatMap((s) => (s.sinceMs === null ? [] : [s.sinceMs]));
    const slis: SliReport[] = [];
    if (objective.availability !== undefined) {
      slis.push(
        sliReport({
          kind: 'availability',
          objective: objective.availability,
          window,
          rates,
          good: AVAILABLE,
          total: TOTAL,
        }),
      );
    }
    if (objective.latency) {
      const { percentile, thresholdMs } = objective.latency;
      slis.push({
        ...sliReport({ kind: 'latency', objective: percentile, window, rates, good: FAST, total: TIMED }),
        thresholdMs,
      });
    }
    return { model, windowDays: objective.windowDays, sinceMs: since.length ? Math.min(...since) : null, slis };
  }

  /** The models with a record. */
  models(): string[] {
    return [...this.records.keys()];
  }

  private recordOf(model: string, now: number): ModelRecord {
    let record = this.records.get(model);
    if (!record) {
      record = {
        minutes: new RollingCounts(MINUTE_MS, WINDOW_MS['3d'] / MINUTE_MS, FIELDS),
        hours: new RollingCounts(HOUR_MS, MAX_SLO_WINDOW_DAYS * 24, FIELDS),
        sinceMs: now,
      };
      this.records.set(model, record);
    }
    return record;
  }
}

const zeros = () => new Array<number>(FIELDS).fill(0);

interface SliInputs {
  readonly kind: SliKind;
  readonly objective: number;
  readonly window: readonly number[];
  readonly rates: ReadonlyMap<BurnWindow, readonly number[]>;
  /** Field indices of good and of all requests for this SLI. */
  readonly good: number;
  readonly total: number;
}

function sliReport({ kind, objective, window, rates, good, total }: SliInputs): SliReport {
  const counts = (sums: readonly number[]): SliCounts => ({ total: sums[total], good: sums[good] });
  const burnRates = Object.fromEntries(
    BURN_WINDOWS.map((w) => [w, burnRate(counts(rates.get(w)!), objective)]),
  ) as Record<BurnWindow, number | null>;
  const windowCounts = counts(window);
  return {
    kind,
    objective,
    window: { ...windowCounts, sli: sliValue(windowCounts) },
    errorBudgetRemaining: budgetRemaining(windowCounts, objective),
    burnRates,
    alerts: (['page', 'ticket'] as const).map((severity) => alertState(kind, severity, burnRates)),
  };
}

function alertState(kind: SliKind, severity: Severity, rates: Readonly<Record<BurnWindow, number | null>>): AlertState {
  const conditions = BURN_RATE_CONDITIONS.filter((c) => c.severity === severity).map((c) => ({
    ...c,
    firing: conditionFires(c, rates),
  }));
  return { alert: alertName(kind, severity), severity, firing: conditions.some((c) => c.firing), conditions };
}
