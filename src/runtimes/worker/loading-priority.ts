/**
 * Starting a model worker (a new isolate, Node's bootstrap, compiling the worker's modules) and loading and
 * warming its model is CPU work of tens to hundreds of milliseconds. On a machine with few cores it competes with
 * the threads serving other models and shows in their tail latency. The main thread therefore lowers the new
 * worker thread's scheduling priority the moment it exists and returns it to normal when the instance is about to
 * take traffic.
 *
 * Only where returning is allowed: raising a thread's priority again needs CAP_SYS_NICE on Linux (root outside a
 * container that drops it). The main thread first proves it can raise the new thread's priority; where it cannot,
 * the worker loads at normal priority rather than risk serving at a low one.
 *
 * Threads started while loading inherit the lowered priority: onnxruntime starts a process-wide thread when the
 * first session is created, and an intra-op pool per session. Restoring therefore also returns every thread that
 * appeared since the worker started and still runs at the lowered value (another worker loading at the same time
 * may be returned early: it then finishes loading at normal priority).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice value while loading: other threads win the CPU almost every time (weight 110 against 1024). */
export const LOADING_NICE = 10;

/** Ids of the process's threads now (Linux); empty elsewhere. */
function processThreadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return new Set();
  }
}

/** A thread's nice value from /proc (field 19 of its stat line), undefined if it has ended. */
export function threadNice(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: count fields from the state that follows it.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

/** What starting a thread at lowered priority gives: the started value, and the way back to normal. */
export interface LoweredStart<T> {
  readonly value: T;
  /** Returns the started threads, and any started since at the lowered value, to normal priority. Idempotent. */
  restore(): void;
}

/**
 * Runs `start` (which starts a thread, e.g. `new Worker(...)`), then lowers the threads it started to `nice` if
 * they can be returned to normal later.
 */
export function startAtLoweredPriority<T>(start: () => T, nice = LOADING_NICE): LoweredStart<T> {
  const before = processThreadIds();
  const value = start();
  const started = [...processThreadIds()].filter((tid) => !before.has(tid));
  const unchanged = { value, restore: () => undefined };
  if (started.length === 0) return unchanged;
  let normal: number;
  try {
    normal = getPriority(started[0]);
  } catch {
    return unchanged;
  }
  if (normal >= nice || normal <= -20) return unchanged;
  try {
    setPriority(started[0], normal - 1); // allowed only with the right to raise priority again
  } catch {
    return unchanged;
  }
  const raise = (tid: number) => {
    try {
      setPriority(tid, normal);
    } catch {
      // Proven possible above; a thread that has ended meanwhile needs nothing.
    }
  };
  try {
    for (const tid of started) setPriority(tid, nice);
  } catch {
    started.forEach(raise);
    return unchanged;
  }
  let restored = false;
  return {
    value,
    restore() {
      if (restored) return;
      restored = true;
      started.forEach(raise);
      for (const tid of processThreadIds()) {
        if (!before.has(tid) && threadNice(tid) === nice) raise(tid);
      }
    },
  };
}
