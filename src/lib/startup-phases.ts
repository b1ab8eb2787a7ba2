/**
 * When each step of a server start finished, in ms since the process started (performance.now()), so the
 * "listening" log line can say where a cold start's time went. One entry per step name: a process that starts
 * servers again (tests, embedding) overwrites them rather than piling them up.
 */
const phases = new Map<string, number>();

/** Records that `name` just finished. */
export function markStartupPhase(name: string): void {
  phases.set(name, Math.round(performance.now()));
}

/**
 * The steps recorded so far, in the order they finished, after Node's own bootstrap; clears them for the next
 * start in this process.
 */
export function takeStartupPhases(): Record<string, number> {
  const out: Record<string, number> = { node: Math.round(performance.nodeTiming.bootstrapComplete) };
  for (const [name, at] of [...phases].sort((a, b) => a[1] - b[1])) out[name] = at;
  phases.clear();
  return out;
}
