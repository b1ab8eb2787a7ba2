/**
 * A circuit breaker: counts and an injected clock; no I/O, no timers. Feature stores, the Redis rate store and
 * model versions each hold one.
 *
 * closed → open: `failureThreshold` consecutive failures, or (when `errorRate` > 0) a failure share of at least
 * `errorRate` among the last `window` outcomes once that many are known. open → half_open: after `openMs`, the
 * next call is let through as a probe (one at a time). half_open → closed when the probe succeeds, → open again
 * when it fails. `neutral()` outcomes say nothing about the guarded thing: they free a probe and decide nothing.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * A breaker's settings, as every config that declares one normalises them: a feature store's and the Redis rate
 * store's (`failure_threshold`, `open_ms`), a model's fallback (those and `error_rate`, `window`).
 */
export interface CircuitBreakerSettings {
  /** Consecutive failures (errors, timeouts, budget overruns) that open the breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker refuses before letting one probe through. */
  readonly openMs: number;
  /** Failure share among the last `window` outcomes that opens the breaker; absent or 0: no rate test. */
  readonly errorRate?: number;
  /** Outcomes the error rate is taken over. */
  readonly window?: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAtMs = 0;
  private probeInFlight = false;
  /** The last `window` outcomes as a ring (1 = failure); empty without a rate test. */
  private readonly ring: Uint8Array;
  private ringAt = 0;
  private ringFilled = 0;
  private ringFailures = 0;

  /**
   * @param now the clock (ms); tests pass a fake one.
   * @param onChange told of every state change, e.g. to update a metric.
   */
  constructor(
    private readonly config: CircuitBreakerSettings,
    private readonly now: () => number,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {
    this.ring = new Uint8Array((config.errorRate ?? 0) > 0 ? Math.max(1, config.window ?? 1) : 0);
  }

  get state(): BreakerState {
    return this.current;
  }

  /** True while calls are refused without being tried: open, and open_ms has not passed since it opened. */
  refusing(): boolean {
    return this.current === 'open' && this.now() - this.openedAtMs < this.config.openMs;
  }

  /** True when a call may go out now; false means answer without it. While half-open, one probe at a time. */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAtMs < this.config.openMs) return false;
      this.moveTo('half_open');
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** A call succeeded. Closes a half-open breaker; resets the failure count of a closed one. */
  success(): void {
    if (this.current === 'half_open') {
      this.probeInFlight = false;
      this.moveTo('closed');
      this.reset();
      return;
    }
    if (this.current === 'closed') {
      this.consecutive = 0;
      this.push(0);
    }
  }

  /** A call failed. Opens after the threshold (or the error rate), or at once when half-open. */
  failure(): void {
    if (this.current === 'half_open') {
      this.probeInFlight = false;
      this.open();
      return;
    }
    if (this.current !== 'closed') return;
    this.consecutive++;
    this.push(1);
    const rate = this.config.errorRate ?? 0;
    const rateTripped = rate > 0 && this.ringFilled >= this.ring.length && this.ringFailures / this.ring.length >= rate;
    if (this.consecutive >= this.config.failureThreshold || rateTripped) this.open();
  }

  /** An outcome that says nothing about the guarded thing: frees a half-open probe slot. */
  neutral(): void {
    if (this.current === 'half_open') this.probeInFlight = false;
  }

  private push(failed: 0 | 1): void {
    if (this.ring.length === 0) return;
    if (this.ringFilled === this.ring.length) this.ringFailures -= this.ring[this.ringAt];
    else this.ringFilled++;
    this.ring[this.ringAt] = failed;
    this.ringFailures += failed;
    this.ringAt = (this.ringAt + 1) % this.ring.length;
  }

  private reset(): void {
    this.consecutive = 0;
    this.ring.fill(0);
    this.ringAt = 0;
    this.ringFilled = 0;
    this.ringFailures = 0;
  }

  private open(): void {
    this.openedAtMs = this.now();
    this.reset();
    this.moveTo('open');
  }

  private moveTo(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.onChange(state);
  }
}
