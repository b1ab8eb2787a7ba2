/**
 * For the bench's own child processes (naive peer, HTTP limit, compute limit, batch probe): exit when the
 * harness is gone, so nothing outlives a harness that was killed with SIGKILL.
 */
export function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 1000).unref();
}

/** Prints the line the harness waits for: JSON with `url` and a msg containing "listening on". */
export function announceListening(name: string, url: string): void {
  process.stdout.write(`${JSON.stringify({ msg: `${name} listening on ${url}`, url })}\n`);
}
