/**
 * Counts of live rows for one model version, in fixed memory: a count per profile bin (numeric) or category
 * (plus an "other" bin for unseen values) per feature and per prediction, and missing counts. Raw rows are
 * never kept. Counts add and subtract (a rolling window is a sum of slices, see drift-rolling-window.ts);
 * `evaluate` compares them with the profile. Pure: data and a clock in, a report out.
 */
import type { DriftConfig, DriftThresholds } from '../config/drift-config.js';
import type { Tensor, TensorData } from '../tensor/index.js';
import { jensenShannon, ksFromBins, psi } from './drift-statistics.js';
import { predictionValue } from './prediction-features.js';
import type { FeatureProfile, Profile } from './profile.js';
import { binOf, toFractions } from './quantile-bins.js';

export type StatisticName = 'psi' | 'ks' | 'js' | 'missing_rate';

export interface StatisticResult {
  readonly statistic: StatisticName;
  readonly value: number;
  readonly threshold: number;
  /** value > threshold. */
  readonly drifted: boolean;
}

export interface FeatureDrift {
  readonly feature: string;
  readonly kind: FeatureProfile['kind'];
  /** Rows of the window with a value for the feature (not missing). */
  readonly count: number;
  readonly missingRate: number;
  readonly statistics: readonly StatisticResult[];
  readonly drifted: boolean;
}

export interface WindowReport {
  readonly rows: number;
  readonly startedMs: number;
  readonly endedMs: number;
  readonly features: readonly FeatureDrift[];
  readonly predictions: readonly FeatureDrift[];
  readonly drifted: boolean;
}

class Histogram {
  readonly counts: number[];
  /** Rows counted (a prediction is not counted for a request that did not ask for its output). */
  rows = 0;
  missing = 0;
  private readonly categoryIndex: Map<number, number> | undefined;

  constructor(readonly profile: FeatureProfile) {
    const categories = profile.categories ?? [];
    this.categoryIndex = profile.kind === 'categorical' ? new Map(categories.map((c, i) => [Number(c), i])) : undefined;
    this.counts = new Array<number>(
      profile.kind === 'categorical' ? categories.length + 1 : (profile.cuts?.length ?? 0) + 1,
    ).fill(0);
  }

  add(value: number): void {
    this.rows++;
    if (Number.isNaN(value)) this.missing++;
    else if (this.categoryIndex) this.counts[this.categoryIndex.get(value) ?? this.counts.length - 1]++;
    else this.counts[binOf(this.profile.cuts ?? [], value)]++;
  }

  merge(other: Histogram, sign: 1 | -1): void {
    this.rows += sign * other.rows;
    this.missing += sign * other.missing;
    other.counts.forEach((c, i) => (this.counts[i] += sign * c));
  }

  evaluate(t: DriftThresholds): FeatureDrift {
    const rows = this.rows;
    const count = rows - this.missing;
    const missingRate = rows ? this.missing / rows : 0;
    const stat = (statistic: StatisticName, value: number, threshold: number): StatisticResult => ({
      statistic,
      value,
      threshold,
      drifted: value > threshold,
    });
    const statistics: StatisticResult[] = [];
    if (count > 0) {
      const live = toFractions(this.counts);
      if (this.profile.kind === 'numeric') {
        statistics.push(
          stat('psi', psi(this.profile.fractions, live), t.psi),
          stat('ks', ksFromBins(this.profile.fractions, live), t.ks),
        );
      } else {
        statistics.push(stat('js', jensenShannon([...this.profile.fractions, 0], live), t.js));
      }
    }
    if (rows > 0)
      statistics.push(stat('missing_rate', Math.abs(missingRate - this.profile.missingRate), t.missingRate));
    return {
      feature: this.profile.name,
      kind: this.profile.kind,
      count,
      missingRate,
      statistics,
      drifted: statistics.some((s) => s.drifted),
    };
  }
}

export class DriftWindow {
  rows = 0;
  private readonly inputs: Histogram[];
  private readonly columns: number[];
  private readonly outputs: Histogram[];

  constructor(
    private readonly profile: Profile,
    readonly startedMs: number,
  ) {
    this.inputs = profile.features.map((f) => new Histogram(f));
    this.columns = profile.features.map((f) => f.column);
    this.outputs = profile.predictions.map((f) => new Histogram(f));
  }

  /**
   * Counts row `row` of a sample: `input` is the profiled input's data ([rows, profile.columns] row-major);
   * `outputs` the model's outputs for the same rows (`rows` in all).
   */
  addRow(input: TensorData, outputs: readonly Tensor[], rows: number, row: number): void {
    const at = row * this.profile.columns;
    this.inputs.forEach((h, i) => h.add(Number(input[at + this.columns[i]])));
    this.outputs.forEach((h, i) => {
      const p = this.profile.predictions[i];
      const t = outputs.find((o) => o.name === p.output);
      if (t) h.add(predictionValue(t.data, t.data.length / rows, row, p.reduce));
    });
    this.rows++;
  }

  /** Adds (sign 1) or removes (-1) the counts of another window over the same profile. */
  merge(other: DriftWindow, sign: 1 | -1): void {
    this.inputs.forEach((h, i) => h.merge(other.inputs[i], sign));
    this.outputs.forEach((h, i) => h.merge(other.outputs[i], sign));
    this.rows += sign * other.rows;
  }

  /** The drift statistics of these counts against the profile, as a window from `startedMs` to `nowMs`. */
  evaluate(config: DriftConfig, nowMs: number, startedMs = this.startedMs): WindowReport {
    const thresholds = (name: string) => ({ ...config.thresholds, ...config.features[name] });
    const features = this.inputs.map((h) => h.evaluate(thresholds(h.profile.name)));
    const predictions = this.outputs.map((h) => h.evaluate(thresholds(h.profile.name)));
    return {
      rows: this.rows,
      startedMs,
      endedMs: nowMs,
      features,
      predictions,
      drifted: [...features, ...predictions].some((f) => f.drifted),
    };
  }
}
