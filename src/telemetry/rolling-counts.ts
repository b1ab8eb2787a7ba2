/**
 * Counters over a ring of fixed-width time buckets: the last `bucketCount` buckets of `bucketMs` each, every
 * bucket holding `fields` numbers. Memory is fixed at creation; a slot is zeroed and reused when time comes
 * round to it again. Pure apart from its own state: the caller passes the time.
 */
export class RollingCounts {
  /** Which bucket (floor(time / bucketMs)) each slot holds now; -1 for never written. */
  private readonly buckets: Float64Array;
  /** `fields` numbers per slot, slot-major. */
  private readonly values: Float64Array;

  constructor(
    readonly bucketMs: number,
    readonly bucketCount: number,
    readonly fields: number,
  ) {
    if (!(bucketMs > 0 && Number.isInteger(bucketCount) && bucketCount > 0 && Number.isInteger(fields) && fields > 0)) {
      throw new RangeError(
        `RollingCounts needs bucketMs > 0 and positive integer counts; got ${bucketMs}, ${bucketCount}, ${fields}`,
      );
    }
    this.buckets = new Float64Array(bucketCount).fill(-1);
    this.values = new Float64Array(bucketCount * fields);
  }

  /** Adds `deltas[i]` to field i of the bucket holding `nowMs`. */
  add(nowMs: number, deltas: readonly number[]): void {
    const bucket = Math.floor(nowMs / this.bucketMs);
    const slot = bucket % this.bucketCount;
    const base = slot * this.fields;
    if (this.buckets[slot] !== bucket) {
      this.buckets[slot] = bucket;
      this.values.fill(0, base, base + this.fields);
    }
    for (let i = 0; i < this.fields; i++) this.values[base + i] += deltas[i] ?? 0;
  }

  /**
   * Per-field sums over the last ceil(spanMs / bucketMs) buckets up to and including the one holding `nowMs`,
   * capped at the ring's length: between spanMs - bucketMs and spanMs of history.
   */
  sum(nowMs: number, spanMs: number): number[] {
    const current = Math.floor(nowMs / this.bucketMs);
    const oldest = current - Math.min(this.bucketCount, Math.ceil(spanMs / this.bucketMs)) + 1;
    const sums = new Array<number>(this.fields).fill(0);
    for (let slot = 0; slot < this.bucketCount; slot++) {
      const bucket = this.buckets[slot];
      if (bucket < oldest || bucket > current) continue;
      for (let i = 0; i < this.fields; i++) sums[i] += this.values[slot * this.fields + i];
    }
    return sums;
  }

  /**
   * sum(nowMs, span) for each span, in one pass over the ring (a report over several windows reads it once, not
   * once per window).
   */
  sums(nowMs: number, spansMs: readonly number[]): number[][] {
    const current = Math.floor(nowMs / this.bucketMs);
    const oldest = spansMs.map((span) => current - Math.min(this.bucketCount, Math.ceil(span / this.bucketMs)) + 1);
    const out = spansMs.map(() => new Array<number>(this.fields).fill(0));
    for (let slot = 0; slot < this.bucketCount; slot++) {
      const bucket = this.buckets[slot];
      if (bucket > current) continue;
      for (let w = 0; w < oldest.length; w++) {
        if (bucket < oldest[w]) continue;
        for (let i = 0; i < this.fields; i++) out[w][i] += this.values[slot * this.fields + i];
      }
    }
    return out;
  }
}
