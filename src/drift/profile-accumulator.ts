/**
 * Collects one feature's values while a profile is built, in bounded memory: exact counts of missing values,
 * mean and variance, exact category counts while there are few distinct values, and a uniform reservoir sample
 * (at most RESERVOIR_SIZE values, seeded, so profiles are reproducible) from which the quantile cut points and the
 * bin fractions are computed. Pure: no I/O.
 */
import type { FeatureKind, FeatureProfile } from './profile.js';
import { binCounts, quantileCutPoints, toFractions } from './quantile-bins.js';

/** Values kept for the quantiles; below this many rows the profile is exact. */
export const RESERVOIR_SIZE = 100_000;
/** Integer-valued features with at most this many distinct values are profiled as categorical. */
export const MAX_AUTO_CATEGORIES = 10;
/** A feature declared categorical may have at most this many distinct values. */
export const MAX_CATEGORIES = 1000;

/** mulberry32: a small seeded generator, so a profile of the same data is the same file. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FeatureAccumulator {
  private rows = 0;
  private missing = 0;
  private sum = 0;
  private sumSquares = 0;
  private integers = true;
  private categories: Map<number, number> | undefined = new Map();
  private readonly reservoir: number[] = [];
  private seen = 0;
  private readonly random = seededRandom(0x5eed);

  /** `kind`: forced, or undefined to decide from the data (few distinct integers: categorical). */
  constructor(
    readonly name: string,
    private readonly kind?: FeatureKind,
  ) {}

  add(value: number): void {
    this.rows++;
    if (Number.isNaN(value)) {
      this.missing++;
      return;
    }
    this.sum += value;
    this.sumSquares += value * value;
    if (!Number.isInteger(value)) this.integers = false;
    this.countCategory(value);
    this.sample(value);
  }

  private countCategory(value: number): void {
    if (!this.categories) return;
    this.categories.set(value, (this.categories.get(value) ?? 0) + 1);
    const limit = this.kind === 'categorical' ? MAX_CATEGORIES : MAX_AUTO_CATEGORIES;
    if (this.categories.size > limit || (this.kind === undefined && !this.integers)) this.categories = undefined;
  }

  private sample(value: number): void {
    this.seen++;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(value);
    else {
      const j = Math.floor(this.random() * this.seen);
      if (j < RESERVOIR_SIZE) this.reservoir[j] = value;
    }
  }

  /** The feature's reference distribution. Throws when a feature declared categorical has too many values. */
  finish(): FeatureProfile {
    const count = this.rows - this.missing;
    const mean = count ? this.sum / count : undefined;
    const std = count ? Math.sqrt(Math.max(0, this.sumSquares / count - mean! * mean!)) : undefined;
    const base = {
      name: this.name,
      missingRate: this.rows ? this.missing / this.rows : 0,
      count,
      ...(mean !== undefined ? { mean, std } : {}),
    };
    const kind = this.kind ?? (this.categories && count > 0 ? 'categorical' : 'numeric');
    if (kind === 'categorical') {
      if (!this.categories)
        throw new Error(
          `feature '${this.name}' has more than ${MAX_CATEGORIES} distinct values; profile it as numeric`,
        );
      const entries = [...this.categories].sort((a, b) => a[0] - b[0]);
      return {
        ...base,
        kind,
        categories: entries.map(([v]) => String(v)),
        fractions: toFractions(entries.map(([, c]) => c)),
      };
    }
    const cuts = quantileCutPoints(this.reservoir);
    return { ...base, kind, cuts, fractions: toFractions(binCounts(cuts, this.reservoir)) };
  }
}
