/**
 * An adaptive in-flight limit, additive increase / multiplicative decrease (as Netflix's concurrency-limits AIMD):
 * while completed requests come back within the latency target and the limit is in use, it grows by one per
 * runtime call; a call whose oldest request took longer than the target (or a queue timeout) cuts it by
 * `backoffRatio`. Pure: samples carry their own clock readings (ns).
 *
 * One cut per congestion episode: a slow sample only cuts when its request was queued after the previous cut,
 * so the backlog admitted under the old limit does not drive the limit to its floor.
 */
import type { AdaptiveConcurrencyConfig } from '../config/index.js';

export interface LatencySample {
  /** Queue + compute time of the call's oldest request. */
  readonly latencyNs: number;
  /** When that request was queued. */
  readonly enqueuedNs: bigint;
  /** Requests in flight when the call returned. */
  readonly inflight: number;
  readonly nowNs: bigint;
}

export class AimdLimit {
  private value: number;
  private lastCutNs = -1n;
  private readonly targetNs: number;

  constructor(private readonly config: AdaptiveConcurrencyConfig) {
    this.value = config.initialLimit;
    this.targetNs = config.targetLatencyMs * 1e6;
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    return this.value;
  }

  /** A runtime call completed. */
  onSample(s: LatencySample): void {
    if (s.latencyNs > this.targetNs) {
      this.cut(s.enqueuedNs, s.nowNs);
      return;
    }
    // Grow only when the limit is what holds traffic back: an idle server says nothing about a higher limit.
    if (s.inflight * 2 >= this.value && this.value < this.config.maxLimit) this.value++;
  }

  /** A request passed its queue timeout without running: congestion, like a slow sample. */
  onDrop(enqueuedNs: bigint, nowNs: bigint): void {
    this.cut(enqueuedNs, nowNs);
  }

  private cut(enqueuedNs: bigint, nowNs: bigint): void {
    if (enqueuedNs <= this.lastCutNs) return;
    this.value = Math.max(this.config.minLimit, Math.floor(this.value * this.config.backoffRatio));
    this.lastCutNs = nowNs;
  }
}
