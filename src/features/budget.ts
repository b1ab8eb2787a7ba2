/**
 * The per-request feature budget: a deadline and a way to stop waiting at it. Waiting stops; the work does not:
 * a store read that finishes late still fills the cache for the requests after it.
 */

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** A point in time (performance.now() ms) by which feature fetching must be done. */
export class Deadline {
  private readonly atMs: number;

  constructor(
    budgetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.atMs = now() + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - this.now());
  }
}

/**
 * Resolves with the promise's value, or with TIMED_OUT when `ms` pass first. A rejection after the timeout is
 * swallowed (the caller has moved on); before it, it propagates.
 */
export function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  promise.catch(() => {}); // handled by the race below or, after the timeout, deliberately ignored
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
