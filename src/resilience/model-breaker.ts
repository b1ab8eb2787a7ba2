/**
 * A circuit breaker around one model version. Pure: counts and an injected clock; no I/O, no timers.
 *
 * closed → open: `failureThreshold` consecutive failures, or a failure share of at least `errorRate` among the
 * last `window` outcomes (once that many are known). open → half_open: after `openMs`, the next request is let
 * through as a probe (one at a time). half_open → closed when the probe succeeds, → open again when it fails.
 * Outcomes that say nothing about the model (shed under load, features unavailable) release a probe without
 * deciding anything.
 */
import type { ModelBreakerConfig } from '../config/index.js';

export type ModelBreakerState = 'closed' | 'open' | 'half_open';

export class ModelBreaker {
  private current: ModelBreakerState = 'closed';
  private consecutive = 0;
  private openedAtMs = 0;
  private probeInFlight = false;
  /** The last `window` outcomes as a ring (1 = failure). */
  private readonly ring: Uint8Array;
  private ringAt = 0;
  private ringFilled = 0;
  private ringFailures = 0;

  /**
   * @param now the clock (ms); tests pass a fake one.
   * @param onChange told of every state change (metrics, logs).
   */
  constructor(
    private readonly config: ModelBreakerConfig,
    private readonly now: () => number,
    private readonly onChange: (state: ModelBreakerState) => void = () => {},
  ) {
    this.ring = new Uint8Array(Math.max(1, config.window));
  }

  get state(): ModelBreakerState {
    return this.current;
  }

  /** True when a request may go to the model now; false means answer from the fallback at once. */
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

  failure(): void {
    if (this.current === 'half_open') {
      this.probeInFlight = false;
      this.open();
      return;
    }
    if (this.current !== 'closed') return;
    this.consecutive++;
    this.push(1);
    const rateTripped = this.config.errorRate > 0 && this.ringFilled >= this.ring.length && this.ringFailures / this.ring.length >= this.config.errorRate;
    if (this.consecutive >= this.config.failureThreshold || rateTripped) this.open();
  }

  /** An outcome that says nothing about the model: frees a half-open probe slot. */
  neutral(): void {
    if (this.current === 'half_open') this.probeInFlight = false;
  }

  private push(failed: 0 | 1): void {
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

  private moveTo(state: ModelBreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.onChange(state);
  }
}
