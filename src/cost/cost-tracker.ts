/**
 * The core's cost accounting: fed every request's CPU weights (as an observer of the data plane) and the doors'
 * decode and encode times, it keeps the ledger (cost-ledger.ts) and reports per model version and path the CPU
 * seconds by stage, per request, and the cost of 1,000 requests at the configured price of a core-hour.
 */
import { CostLedger, costPerThousand, type PathCost } from './cost-ledger.js';
import { CPU_STAGES, type StageSeconds } from './cpu-stages.js';

export interface CostedPath extends PathCost {
  /** Settled CPU seconds per request, all stages. */
  readonly cpuSecondsPerRequest: number;
  /** Cost of 1,000 requests at `pricePerCoreHour`. */
  readonly costPer1k: number;
}

/** What the tracker reads of a request's observation (inference/observer.ts). */
export interface CostedObservation {
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly cpu?: StageSeconds | undefined;
}

export class CostTracker {
  /** Price of one core-hour (server config `cost_per_core_hour`); 0: costs are reported as 0. */
  pricePerCoreHour = 0;

  constructor(readonly ledger = new CostLedger()) {}

  /** Records a request the core answered or refused after choosing its version. */
  observe(o: CostedObservation): void {
    if (o.version === '' || !o.cpu) return;
    this.ledger.record(o.model, o.version, o.protocol, o.cpu);
  }

  /** The door's part of a request the core already counted: decoding its body and encoding the answer. */
  door(model: string, version: string, path: string, seconds: { decode?: number; encode?: number }): void {
    this.ledger.record(model, version, path, seconds, 0);
  }

  /** Settles the ledger and reports each path of the versions `keep` accepts (dropping the others). */
  report(keep: (model: string, version: string) => boolean): CostedPath[] {
    this.ledger.prune(keep);
    this.ledger.settle();
    return this.ledger.rows().map((row) => {
      const cpu = CPU_STAGES.reduce((n, s) => n + row.cpuSeconds[s], 0);
      return {
        ...row,
        cpuSecondsPerRequest: row.requests ? cpu / row.requests : 0,
        costPer1k: costPerThousand(row, this.pricePerCoreHour),
      };
    });
  }
}
