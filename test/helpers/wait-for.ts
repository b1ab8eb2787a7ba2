/**
 * Waiting for an event instead of for a time: a test that waits for "the breaker opened" or "the log says the keys
 * were reloaded" passes on a busy machine as on a quiet one, only later.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Not a timing requirement: only so that an event that never comes (a defect) fails the test instead of hanging
 * the suite. Every wait in the suite is for something that takes well under a second on a quiet machine.
 */
export const GIVE_UP_MS = 120_000;

/**
 * Resolves once `condition` holds, checking it again every `everyMs` (default 10). Throws, naming `what`, when
 * `signal` aborts (the test timed out or was cancelled) or after GIVE_UP_MS.
 *
 * @example await waitFor(() => samples.some(isFresh), 'a request with fresh features', t.signal);
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  signal?: AbortSignal,
  everyMs = 10,
): Promise<void> {
  const giveUpAt = performance.now() + GIVE_UP_MS;
  while (!(await condition())) {
    if (signal?.aborted) throw new Error(`gave up waiting for ${what}: ${String(signal.reason)}`);
    if (performance.now() > giveUpAt) throw new Error(`still no ${what} after ${GIVE_UP_MS / 1000} s`);
    await sleep(everyMs);
  }
}

/** A promise that settles once `release()` is called; `released` says whether it has been. */
export class Latch {
  released = false;
  private open: () => void = () => {};
  readonly promise = new Promise<void>((resolve) => (this.open = resolve));

  release(): void {
    this.released = true;
    this.open();
  }
}
