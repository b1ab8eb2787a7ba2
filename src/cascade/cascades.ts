/**
 * The cascades of a model repository: folders whose `config.yaml` declares `cascade:` (read once, at start; the
 * registry leaves these folders alone, see repository/cascade-folders.ts), each run by a CascadeRunner over the
 * data plane. Reports per cascade and path: share of requests, live accuracy from feedback labels, and CPU and
 * cost per 1,000 predictions from the cost ledger's figures for the member calls.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseCascadeConfig } from '../config/cascade-config.js';
import { CPU_STAGES, type CpuStage } from '../cost/cpu-stages.js';
import { CascadeRunner, type CascadePath, type CascadeRequest, type CascadeResponse } from './cascade-runner.js';

/** A member's settled cost figures (cost/cost-tracker.ts rows). */
export interface MemberCost {
  readonly model: string;
  readonly path: string;
  readonly requests: number;
  readonly cpuSeconds: Readonly<Record<CpuStage, number>>;
}

export interface CascadePathReport {
  readonly cascade: string;
  readonly path: CascadePath;
  readonly requests: number;
  /** Share of the cascade's requests, 0..1. */
  readonly share: number;
  /** Rows labelled through feedback, and the share right; accuracy undefined before any label. */
  readonly labelled: number;
  readonly accuracy: number | undefined;
  /** CPU seconds per prediction on this path: the cheap call, plus the expensive one on the expensive path. */
  readonly cpuSecondsPerPrediction: number;
  readonly costPer1k: number;
}

export class Cascades {
  private readonly runners = new Map<string, CascadeRunner>();

  /** Reads the cascade folders `names` of the repository at `root`; a bad config throws, naming the file. */
  load(root: string, names: readonly string[], infer: (r: CascadeRequest) => Promise<CascadeResponse>): void {
    for (const name of names) {
      const file = `${name}/config.yaml`;
      const raw = parseYaml(readFileSync(join(root, file), 'utf8')) as { cascade?: unknown } | null;
      this.runners.set(name, new CascadeRunner(name, parseCascadeConfig(raw?.cascade, file), infer));
    }
  }

  get(model: string): CascadeRunner | undefined {
    return this.runners.size ? this.runners.get(model) : undefined;
  }

  has(model: string): boolean {
    return this.runners.has(model);
  }

  get size(): number {
    return this.runners.size;
  }

  /** Feedback labels (request id, row, true class): counted for the path that answered. */
  label(
    items: ReadonlyArray<{
      readonly id: string;
      readonly row: number;
      readonly target: number;
      readonly model?: string | undefined;
    }>,
  ): void {
    for (const item of items)
      for (const runner of this.runners.values())
        if (item.model === undefined || item.model === runner.name) runner.label(item.id, item.row, item.target);
  }

  report(costs: readonly MemberCost[], pricePerCoreHour: number): CascadePathReport[] {
    return [...this.runners.values()].flatMap((runner) => {
      const perRequest = (model: string | undefined) => {
        const row = costs.find((c) => c.model === model && c.path === runner.memberPath);
        if (!row || row.requests === 0) return 0;
        return CPU_STAGES.reduce((n, s) => n + row.cpuSeconds[s], 0) / row.requests;
      };
      const rule = runner.config.rule;
      const cheap =
        perRequest(runner.config.cheap) + (rule.kind === 'interval_width' ? perRequest(rule.intervalModel) : 0);
      const expensive = perRequest(runner.config.expensive);
      const total = runner.counts.cheap.requests + runner.counts.expensive.requests;
      return (['cheap', 'expensive'] as const).map((path) => {
        const c = runner.counts[path];
        const cpu = path === 'cheap' ? cheap : cheap + expensive;
        return {
          cascade: runner.name,
          path,
          requests: c.requests,
          share: total ? c.requests / total : 0,
          labelled: c.labelled,
          accuracy: c.labelled ? c.correct / c.labelled : undefined,
          cpuSecondsPerPrediction: cpu,
          costPer1k: (cpu * 1000 * pricePerCoreHour) / 3600,
        };
      });
    });
  }
}
