/**
 * Whether looking an answer up is worth it: a lookup (key, memory, shared tier) costs time on every request, and
 * saves the model's answer time only on a hit. While the measured answer time of misses is below the measured
 * time of a lookup, requests skip the cache; one in `probeEvery` still goes through it so that the figures follow
 * the model and the tier (a model that slows down under load, Redis that recovers). Pure: times are given.
 */
export interface BypassFigures {
  /** Moving average of a lookup (key and tiers), ms. */
  readonly lookupMs: number;
  /** Moving average of a miss's answer time (what a hit saves), ms. */
  readonly computeMs: number;
  /** Whether requests skip the cache now. */
  readonly bypassing: boolean;
}

const WEIGHT = 0.05; // about the last 20 samples
const MIN_SAMPLES = 20;

export class BypassPolicy {
  private lookup = 0;
  private compute = 0;
  private lookups = 0;
  private computes = 0;
  private turn = 0;

  constructor(
    private readonly mode: 'auto' | 'never',
    private readonly probeEvery = 32,
  ) {}

  /** True when this request should skip the cache. */
  skip(): boolean {
    if (!this.bypassing) return false;
    this.turn = (this.turn + 1) % this.probeEvery;
    return this.turn !== 0;
  }

  recordLookup(ms: number): void {
    this.lookup = this.lookups++ === 0 ? ms : this.lookup + WEIGHT * (ms - this.lookup);
  }

  recordCompute(ms: number): void {
    this.compute = this.computes++ === 0 ? ms : this.compute + WEIGHT * (ms - this.compute);
  }

  get bypassing(): boolean {
    return (
      this.mode === 'auto' && this.lookups >= MIN_SAMPLES && this.computes >= MIN_SAMPLES && this.compute < this.lookup
    );
  }

  figures(): BypassFigures {
    return { lookupMs: this.lookup, computeMs: this.compute, bypassing: this.bypassing };
  }
}
