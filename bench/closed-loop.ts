/**
 * A closed-loop load generator core for the Node clients (grpc-load, http-load): `concurrency` workers, each with
 * one call in flight, issue calls back to back until the deadline. Latencies are microsecond samples; p50/p99 are
 * nearest-rank percentiles of the sorted array. Calls that finish after the deadline are not counted in
 * requests/s but are in `answered` (the server did the work, so CPU per inference divides by it).
 */
export interface LoadResult {
  /** Calls completed (successfully) inside the measured window. */
  readonly requests: number;
  /** All calls the server answered, including those still in flight at the deadline. */
  readonly answered: number;
  readonly errors: number;
  readonly first_error?: string | undefined;
  readonly duration_us: number;
  readonly rps: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly mean_us: number;
  readonly max_us: number;
  /** CPU time of this client process (user + system) per answered call. */
  readonly client_cpu_us_per_req: number;
  /** Mean response payload bytes per call, as the client saw them. */
  readonly response_bytes: number;
}

/** One call; resolves with the response's payload size in bytes, rejects on any failure. */
export type Call = (index: number) => Promise<number>;

export async function closedLoop(o: { concurrency: number; durationS: number; call: Call }): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let answered = 0;
  let errors = 0;
  let bytes = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(o.durationS * 1e9));
  let windowEnd = deadline;
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) return;
      let size: number;
      try {
        size = await o.call(next++);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        // Do not spin on a dead server.
        if (errors > 1000) return;
        continue;
      }
      const t1 = process.hrtime.bigint();
      answered++;
      bytes += size;
      if (t1 > deadline) continue;
      if (n === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n++] = Number(t1 - t0) / 1000;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const now = process.hrtime.bigint();
  if (now < windowEnd) windowEnd = now;
  const cpu = process.cpuUsage(cpuStart);
  const sorted = latencies.subarray(0, n).sort();
  const rank = (p: number) => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : NaN);
  const durationUs = Number(windowEnd - start) / 1000;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    requests: n,
    answered,
    errors,
    first_error: firstError,
    duration_us: Math.round(durationUs),
    rps: n / (durationUs / 1e6),
    p50_us: rank(50),
    p99_us: rank(99),
    mean_us: n ? sum / n : NaN,
    max_us: n ? sorted[n - 1] : NaN,
    client_cpu_us_per_req: (cpu.user + cpu.system) / Math.max(1, answered),
    response_bytes: bytes / Math.max(1, answered),
  };
}

/** The line the harness parses. */
export function printResult(r: LoadResult): void {
  process.stdout.write(`LOAD_JSON ${JSON.stringify(r)}\n`);
}

export function parseLoadOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('LOAD_JSON '));
  if (!line) throw new Error(`load generator printed no LOAD_JSON line:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('LOAD_JSON '.length)) as LoadResult;
}
