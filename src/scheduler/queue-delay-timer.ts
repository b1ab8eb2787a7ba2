/**
 * The wait of a partial batch for company (`max_queue_delay_microseconds`), honoured to within tens of µs.
 *
 * Node's timers count whole milliseconds and fire a millisecond or more late, so a 200 µs delay set as a timer
 * costs a lone request 1–2 ms. A wait under 2 ms is spun over event-loop turns instead: a check on `setImmediate`
 * that reads the clock each turn (the loop still polls sockets between checks, with a zero timeout). A longer wait
 * sleeps whole milliseconds on a timer until 1–2 ms before its deadline, then spins the rest. The spin runs
 * only while a batch is forming and for at most the delay; an idle scheduler has nothing armed and costs no CPU.
 */

/** What the timer reads and schedules with; injected so that tests advance time instead of waiting for it. */
export interface DelayClock {
  /** Monotonic nanoseconds. */
  now(): bigint;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fire: () => void): unknown;
  clearImmediate(handle: unknown): void;
}

export const SYSTEM_DELAY_CLOCK: DelayClock = {
  now: () => process.hrtime.bigint(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setImmediate: (fire) => setImmediate(fire),
  clearImmediate: (handle) => clearImmediate(handle as ReturnType<typeof setImmediate>),
};

/**
 * What is left of a wait when the spin takes over: 1 ms, about what a timer fires late by. A wait shorter than two
 * of these is spun from the start; a longer one sleeps whole milliseconds on a timer first.
 */
export const SPIN_WINDOW_NS = 1_000_000n;

export class QueueDelayTimer {
  private deadlineNs: bigint | undefined;
  private timer: unknown;
  private immediate: unknown;

  constructor(
    /** Called once when an armed wait is over (not after disarm()). */
    private readonly fire: () => void,
    private readonly clock: DelayClock = SYSTEM_DELAY_CLOCK,
  ) {}

  get armed(): boolean {
    return this.deadlineNs !== undefined;
  }

  /** How the wait now in progress is kept: 'timer' (sleeping), 'spin' (checked each turn), or undefined. */
  get phase(): 'timer' | 'spin' | undefined {
    return this.timer !== undefined ? 'timer' : this.immediate !== undefined ? 'spin' : undefined;
  }

  /** Fires after `waitNs`. A wait already armed is kept (its deadline is the earlier one: it was armed first). */
  arm(waitNs: bigint): void {
    if (this.deadlineNs !== undefined) return;
    this.deadlineNs = this.clock.now() + waitNs;
    this.schedule();
  }

  disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.immediate !== undefined) this.clock.clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.deadlineNs = undefined;
  }

  private schedule(): void {
    const left = this.deadlineNs! - this.clock.now();
    if (left <= 0n) return this.done();
    // Whole milliseconds to sleep that still leave a spin window; none: spin (a wait of under two windows).
    const ms = Number((left - SPIN_WINDOW_NS) / 1_000_000n);
    if (ms >= 1) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, ms);
      return;
    }
    this.immediate = this.clock.setImmediate(() => {
      this.immediate = undefined;
      this.schedule();
    });
  }

  private done(): void {
    this.deadlineNs = undefined;
    this.fire();
  }
}
