/**
 * CPU time and cost per request, by model, version, path and stage, adding up to the CPU time the process used.
 *
 * Per request, each stage's time is measured on the thread that does the work (stages in cpu-stages.ts): the
 * worker's runtime call for `compute` (a batch's time split over its rows), synchronous sections on the main
 * thread (or the decode worker) for the others. Those are weights, not bills: a thread can be descheduled, an
 * awaited feature read is not CPU, and the process spends CPU no request is timed for (HTTP parsing, garbage
 * collection, timers, metrics). So at each settlement (every statistics read or scrape) the ledger reads the
 * process's CPU clock (`process.cpuUsage()`: user + system, all threads) and shares what it used since the last
 * settlement: `compute` keeps its measured time (capped by what the process used), and the rest (process CPU −
 * compute) is shared over the other stages of the requests of that interval in proportion to their measured
 * times. CPU used in an interval with no request is `unattributed`. The settled totals therefore sum to the
 * process's CPU time. Pure apart from the injected CPU clock.
 */
import { CPU_STAGES, type CpuStage, type StageSeconds } from './cpu-stages.js';

export interface PathCost {
  readonly model: string;
  readonly version: string;
  /** The request path: the door (http, grpc, v1, library), or a cascade's path. */
  readonly path: string;
  readonly requests: number;
  /** Settled CPU seconds per stage. */
  readonly cpuSeconds: Readonly<Record<CpuStage, number>>;
}

interface Entry {
  readonly model: string;
  readonly version: string;
  readonly path: string;
  requests: number;
  /** Measured since the last settlement, per stage. */
  readonly pending: Record<CpuStage, number>;
  /** Settled totals. */
  readonly settled: Record<CpuStage, number>;
}

const zero = (): Record<CpuStage, number> => ({ decode: 0, features: 0, queue: 0, compute: 0, encode: 0, other: 0 });

export interface CostLedgerOptions {
  /** CPU seconds the process has used (user + system, all threads). */
  readonly cpuSeconds?: () => number;
}

export class CostLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly cpuSeconds: () => number;
  private lastCpu: number;
  /** CPU seconds used while no request was measured. */
  unattributed = 0;

  constructor(options: CostLedgerOptions = {}) {
    this.cpuSeconds = options.cpuSeconds ?? processCpuSeconds;
    this.lastCpu = this.cpuSeconds();
  }

  /** Adds one request's measured stage times (`requests` 0: door work of a request already counted). */
  record(model: string, version: string, path: string, seconds: StageSeconds, requests = 1): void {
    const e = this.entry(model, version, path);
    e.requests += requests;
    for (const stage of CPU_STAGES) {
      const s = seconds[stage];
      if (s !== undefined && s > 0) e.pending[stage] += s;
    }
  }

  /** Shares the process CPU used since the last settlement over what was measured (see above). */
  settle(): void {
    const now = this.cpuSeconds();
    const used = Math.max(0, now - this.lastCpu);
    this.lastCpu = now;
    let compute = 0;
    let rest = 0;
    for (const e of this.entries.values()) {
      compute += e.pending.compute;
      for (const stage of CPU_STAGES) if (stage !== 'compute') rest += e.pending[stage];
    }
    if (compute + rest === 0) {
      this.unattributed += used;
      return;
    }
    // Compute is measured on its own thread; it cannot exceed what the whole process used.
    const computeScale = compute > used ? used / compute : 1;
    const restScale = rest > 0 ? (used - compute * computeScale) / rest : 0;
    if (rest === 0) this.unattributed += used - compute * computeScale;
    for (const e of this.entries.values()) {
      for (const stage of CPU_STAGES) {
        e.settled[stage] += e.pending[stage] * (stage === 'compute' ? computeScale : restScale);
        e.pending[stage] = 0;
      }
    }
  }

  /** The settled figures (settle() first for the latest). */
  rows(): PathCost[] {
    return [...this.entries.values()].map((e) => ({
      model: e.model,
      version: e.version,
      path: e.path,
      requests: e.requests,
      cpuSeconds: { ...e.settled },
    }));
  }

  /** Forgets versions no longer loaded (`keep` says which stay). */
  prune(keep: (model: string, version: string) => boolean): void {
    for (const [key, e] of this.entries) if (!keep(e.model, e.version)) this.entries.delete(key);
  }

  private entry(model: string, version: string, path: string): Entry {
    const key = `${model}\u0000${version}\u0000${path}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { model, version, path, requests: 0, pending: zero(), settled: zero() };
      this.entries.set(key, e);
    }
    return e;
  }
}

function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Cost of 1,000 requests at `pricePerCoreHour` from a path's settled CPU seconds. */
export function costPerThousand(cost: PathCost, pricePerCoreHour: number): number {
  if (cost.requests === 0) return 0;
  const cpu = CPU_STAGES.reduce((n, s) => n + cost.cpuSeconds[s], 0);
  return ((cpu / cost.requests) * 1000 * pricePerCoreHour) / 3600;
}
