/**
 * The audit trail's decisions, pure: which requests are sampled, what happens when the buffer is full, which
 * records retention deletes. They take data (and a random number or a clock reading) and return a verdict.
 */

/** True when a request is recorded: `rate` is the fraction kept, `random` a uniform draw in [0, 1). */
export function isSampled(rate: number, random: number): boolean {
  return rate >= 1 || random < rate;
}

export type OverflowPolicy = 'drop' | 'backpressure';

/** What to do with a new request's record, given what is waiting to be written. */
export type AdmitVerdict = 'accept' | 'drop' | 'wait';

/**
 * accept while the buffer has room; when it is full, drop (policy drop) or make the request wait for room
 * (policy backpressure). Acknowledged durability always waits: dropping would break its promise.
 */
export function admitVerdict(
  pending: number,
  capacity: number,
  overflow: OverflowPolicy,
  acknowledged: boolean,
): AdmitVerdict {
  if (pending < capacity) return 'accept';
  return overflow === 'backpressure' || acknowledged ? 'wait' : 'drop';
}

const DAY_MS = 86_400_000;

/** Records older than the returned time (ms since the epoch) are deleted; undefined when retention is off (0 days). */
export function retentionCutoff(nowMs: number, retentionDays: number): number | undefined {
  return retentionDays > 0 ? nowMs - retentionDays * DAY_MS : undefined;
}
