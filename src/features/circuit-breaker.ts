/**
 * A circuit breaker around one feature store. Pure: it holds counts and times from an injected clock and answers
 * whether a call may go out; it performs no I/O and sets no timers.
 *
 * closed → (failureThreshold consecutive failures) → open → (openMs passes; the next call is a probe) → half_open
 * half_open → probe succeeds → closed;  half_open → probe fails → open again.
 */
import type { BreakerConfig } from '../config/index.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAtMs = 0;
  private probeInFlight = false;

  /**
   * @param now the clock (ms); tests pass a fake one.
   * @param onChange told of every state change, e.g. to update a metric.
   */
  constructor(
    private readonly config: BreakerConfig,
    private readonly now: () => number,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** True when a call may go to the store now. While half-open, one probe at a time. */
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
    }
    if (this.current === 'closed') this.failures = 0;
  }

  /** A call failed (error or budget overrun). Opens after the threshold, or at once when half-open. */
  failure(): void {
    if (this.current === 'half_open') {
      this.probeInFlight = false;
      this.open();
    } else if (this.current === 'closed' && ++this.failures >= this.config.failureThreshold) {
      this.open();
    }
  }

  private open(): void {
    this.openedAtMs = this.now();
    this.failures = 0;
    this.moveTo('open');
  }

  private moveTo(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.onChange(state);
  }
}
