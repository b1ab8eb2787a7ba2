/**
 * Loading a model (compiling the worker's modules, the runtime building and optimising its session) is CPU work of
 * a hundred milliseconds or more. On a machine with few cores it competes with the threads serving other models
 * and shows in their tail latency. A loading worker therefore lowers its own thread's scheduling priority and
 * returns to its normal priority before it takes traffic.
 *
 * Only where returning is allowed: raising a thread's priority again needs CAP_SYS_NICE on Linux (root outside a
 * container that drops it). The thread first proves it can raise its priority; where it cannot, it loads at normal
 * priority rather than risk serving at a low one.
 *
 * Threads started while loading inherit the lowered priority: onnxruntime starts a process-wide thread when the
 * first session is created. Restoring therefore also returns every thread that appeared since the lowering and
 * still runs at the lowered value (another worker loading at the same time may be returned early: it then
 * finishes loading at normal priority).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice value while loading: other threads win the CPU almost every time (weight 110 against 1024). */
export const LOADING_NICE = 10;

/** This thread's kernel id on Linux (setpriority on a thread id affects only that thread); undefined elsewhere. */
function kernelThreadId(): number | undefined {
  try {
    const match = /task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Ids of the process's threads now. */
function processThreadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return new Set();
  }
}

/** A thread's nice value from /proc (field 19 of its stat line), undefined if it has ended. */
function niceOf(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: count fields from the state that follows it.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority if it can be restored; returns the function that restores it (a no-op
 * when nothing was changed).
 */
export function lowerPriorityWhileLoading(nice = LOADING_NICE): () => void {
  const tid = kernelThreadId();
  if (tid === undefined) return () => undefined;
  let normal: number;
  try {
    normal = getPriority(tid);
  } catch {
    return () => undefined;
  }
  if (normal >= nice || normal <= -20) return () => undefined;
  const existing = processThreadIds();
  const raise = (id: number) => {
    try {
      setPriority(id, normal);
    } catch {
      // Proven possible below for this thread; a thread that has ended meanwhile needs nothing.
    }
  };
  const restore = () => {
    raise(tid);
    for (const id of processThreadIds()) {
      if (!existing.has(id) && niceOf(id) === nice) raise(id);
    }
  };
  try {
    setPriority(tid, normal - 1); // allowed only with the right to raise priority again
  } catch {
    return () => undefined;
  }
  try {
    setPriority(tid, nice);
  } catch {
    restore();
    return () => undefined;
  }
  return restore;
}
