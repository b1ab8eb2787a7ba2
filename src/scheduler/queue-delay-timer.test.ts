import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueDelayTimer, SPIN_WINDOW_NS, type DelayClock } from './queue-delay-timer.js';

/** A clock that moves only when told; timers and immediates run when the test runs them. */
class FakeClock implements DelayClock {
  nowNs = 1_000_000_000n;
  timers: Array<{ fire: () => void; ms: number; cleared: boolean }> = [];
  immediates: Array<{ fire: () => void; cleared: boolean }> = [];
  now = (): bigint => this.nowNs;
  setTimeout = (fire: () => void, ms: number): unknown => {
    const t = { fire, ms, cleared: false };
    this.timers.push(t);
    return t;
  };
  clearTimeout = (h: unknown): void => void ((h as { cleared: boolean }).cleared = true);
  setImmediate = (fire: () => void): unknown => {
    const i = { fire, cleared: false };
    this.immediates.push(i);
    return i;
  };
  clearImmediate = (h: unknown): void => void ((h as { cleared: boolean }).cleared = true);

  /** Runs the immediates pending now (one event-loop turn's check phase); returns how many ran. */
  turn(): number {
    const due = this.immediates.filter((i) => !i.cleared);
    this.immediates = [];
    for (const i of due) i.fire();
    return due.length;
  }

  /** Fires the pending timers (as if their time came). */
  fireTimers(): void {
    const due = this.timers.filter((t) => !t.cleared);
    this.timers = [];
    for (const t of due) t.fire();
  }

  advanceUs(us: number): void {
    this.nowNs += BigInt(us) * 1000n;
  }
}

function setup() {
  const clock = new FakeClock();
  let fired = 0;
  const timer = new QueueDelayTimer(() => fired++, clock);
  return { clock, timer, fired: () => fired };
}

describe('QueueDelayTimer', () => {
  it('spins a sub-millisecond wait over event-loop turns and fires on the first turn past the deadline', () => {
    const { clock, timer, fired } = setup();
    timer.arm(200_000n); // 200 µs
    assert.equal(timer.phase, 'spin');
    assert.equal(clock.timers.length, 0, 'no timer: its millisecond granularity would add 1–2 ms');
    for (let us = 0; us < 180; us += 30) {
      clock.advanceUs(30);
      assert.equal(clock.turn(), 1);
      assert.equal(fired(), 0, `not yet at ${us + 30} µs`);
    }
    clock.advanceUs(30); // 210 µs
    clock.turn();
    assert.equal(fired(), 1);
    assert.equal(timer.armed, false);
    assert.equal(clock.turn(), 0, 'nothing scheduled once fired: an idle scheduler spins nothing');
  });

  it('sleeps on a timer until the last millisecond of a longer wait, then spins the rest', () => {
    const { clock, timer, fired } = setup();
    timer.arm(5_300_000n); // 5.3 ms
    assert.equal(timer.phase, 'timer');
    assert.equal(clock.timers.length, 1);
    assert.equal(clock.timers[0].ms, 4, 'sleeps 4 ms, leaving ≈1.3 ms');
    assert.equal(clock.immediates.length, 0, 'no spinning while the timer sleeps');
    clock.advanceUs(4_100); // timers fire late
    clock.fireTimers();
    assert.equal(timer.phase, 'spin');
    clock.advanceUs(1_000);
    clock.turn();
    assert.equal(fired(), 0);
    clock.advanceUs(250);
    clock.turn();
    assert.equal(fired(), 1);
  });

  it('fires at once when a late timer already passed the deadline', () => {
    const { clock, timer, fired } = setup();
    timer.arm(3_000_000n);
    clock.advanceUs(3_500);
    clock.fireTimers();
    assert.equal(fired(), 1);
    assert.equal(clock.immediates.length, 0);
  });

  it('a wait exactly one spin window long is spun', () => {
    const { timer } = setup();
    timer.arm(SPIN_WINDOW_NS);
    assert.equal(timer.phase, 'spin');
  });

  it('keeps the first deadline when armed again, and never fires after disarm', () => {
    const { clock, timer, fired } = setup();
    timer.arm(100_000n);
    clock.advanceUs(50);
    timer.arm(500_000n); // kept: 100 µs from the first arm
    clock.advanceUs(60);
    clock.turn();
    assert.equal(fired(), 1);
    timer.arm(100_000n);
    timer.disarm();
    assert.equal(timer.armed, false);
    clock.advanceUs(1_000);
    assert.equal(clock.turn(), 0, 'the pending check was cleared');
    assert.equal(fired(), 1);
  });
});
