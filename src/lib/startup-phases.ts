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

/**
 * How the process's code was loaded: from the command's bundle (cli/cli-bundle.ts) with its code cache accepted,
 * rejected (compiled afresh) or absent, or module by module.
 */
export interface CodeLoading {
  readonly from: 'bundle' | 'modules';
  readonly codeCache?: 'accepted' | 'rejected' | 'none';
}

/**
 * Kept on the global object under a registered symbol: the `inferd` launcher records it, and the bundle it runs
 * holds its own copy of this module, so a module-level variable would not reach it.
 */
const CODE_LOADING = Symbol.for('inferd.codeLoading');

/** Records how the code was loaded (the `inferd` launcher, before it runs the command). */
export function recordCodeLoading(loading: CodeLoading): void {
  (globalThis as Record<symbol, unknown>)[CODE_LOADING] = loading;
}

/** How the code was loaded; module by module unless the launcher said otherwise (tests, embedding). */
export function codeLoading(): CodeLoading {
  return ((globalThis as Record<symbol, unknown>)[CODE_LOADING] as CodeLoading | undefined) ?? { from: 'modules' };
}
