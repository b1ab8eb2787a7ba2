/**
 * The work behind a quality report and the quality gauges: read a model's labels (at most max_labels, the newest)
 * and compute each window's figures. Runs where the store is: in the quality worker thread for the server
 * (feedback-worker.ts), in process for tests and tools. QualityCompute is what QualityService calls.
 */
import type { QualityWindowSpec } from '../config/quality-config.js';
import type { QualitySample } from '../telemetry/quality-metrics.js';
import type { FeedbackRecord, FeedbackStore } from './feedback-store.js';
import { qualityByVersion, type VersionQuality } from './quality-report.js';

export interface QualityWindow {
  /** e.g. '1h'. */
  readonly window: string;
  /** Labels that arrived at or after this time count, ms since the epoch. */
  readonly sinceMs: number;
  /**
   * True when the window held more labels than `quality.max_labels`: its figures then count only the newest
   * max_labels labels of the model.
   */
  readonly truncated: boolean;
  readonly versions: readonly VersionQuality[];
}

/** Computes reports and gauge samples; the server's runs them off the event loop. */
export interface QualityCompute {
  /** The model's quality per window at `nowMs`, from at most `maxLabels` labels (the newest). */
  report(
    model: string,
    windows: readonly QualityWindowSpec[],
    nowMs: number,
    maxLabels: number,
  ): Promise<QualityWindow[]>;
  /** Samples for the gauges: every model and version with labels in the windows. */
  samples(windows: readonly QualityWindowSpec[], nowMs: number, maxLabels: number): Promise<QualitySample[]>;
}

interface LabelsRead {
  readonly rows: readonly FeedbackRecord[];
  /** Older labels in the window were left out. */
  readonly cut: boolean;
}

/**
 * A model's labels since `sinceMs`, at most maxLabels of them (the newest), oldest first, and whether older ones
 * were left out (one more than the cap is asked for, to know).
 */
async function read(store: FeedbackStore, sinceMs: number, model: string, maxLabels: number): Promise<LabelsRead> {
  const rows = await store.window(sinceMs, model, maxLabels + 1);
  return rows.length > maxLabels ? { rows: rows.slice(1), cut: true } : { rows, cut: false };
}

/** How many of `rows` (oldest first) arrived before `sinceMs`. */
function countBefore(rows: readonly FeedbackRecord[], sinceMs: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].timeMs < sinceMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function windowsOf({ rows, cut }: LabelsRead, windows: readonly QualityWindowSpec[], now: number): QualityWindow[] {
  // The read was cut short: windows that start before its oldest label miss the labels older than that.
  const cutAtMs = cut ? rows[0].timeMs : -Infinity;
  // Windows holding the same labels (rows are oldest first) share one computation.
  const sorted = rows.every((r, i) => i === 0 || rows[i - 1].timeMs <= r.timeMs);
  const byFirst = new Map<number, VersionQuality[]>();
  const versionsSince = (sinceMs: number): VersionQuality[] => {
    if (!sorted) return qualityByVersion(rows, sinceMs);
    const first = countBefore(rows, sinceMs);
    let versions = byFirst.get(first);
    if (!versions) byFirst.set(first, (versions = qualityByVersion(rows, sinceMs)));
    return versions;
  };
  return windows.map((w) => ({
    window: w.name,
    sinceMs: now - w.ms,
    truncated: now - w.ms < cutAtMs,
    versions: versionsSince(now - w.ms),
  }));
}

/** The numbers of a version's report that are defined, by metric name. */
function definedMetrics(v: VersionQuality): Record<string, number> {
  const c = v.classification;
  const r = v.regression;
  const all: Record<string, number | null | undefined> = {
    accuracy: c?.accuracy,
    precision: c?.binary?.precision,
    recall: c?.binary?.recall,
    f1: c?.binary?.f1,
    roc_auc: c?.rocAuc,
    log_loss: c?.logLoss,
    mae: r?.mae,
    rmse: r?.rmse,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

function oldestStart(windows: readonly QualityWindowSpec[], now: number): number {
  return now - Math.max(...windows.map((w) => w.ms));
}

/** Computes on the calling thread, over `store`. */
export class StoreQualityCompute implements QualityCompute {
  constructor(private readonly store: FeedbackStore) {}

  async report(
    model: string,
    windows: readonly QualityWindowSpec[],
    nowMs: number,
    maxLabels: number,
  ): Promise<QualityWindow[]> {
    return windowsOf(await read(this.store, oldestStart(windows, nowMs), model, maxLabels), windows, nowMs);
  }

  async samples(windows: readonly QualityWindowSpec[], nowMs: number, maxLabels: number): Promise<QualitySample[]> {
    const sinceMs = oldestStart(windows, nowMs);
    const out: QualitySample[] = [];
    for (const model of await this.store.models(sinceMs)) {
      for (const w of windowsOf(await read(this.store, sinceMs, model, maxLabels), windows, nowMs)) {
        for (const v of w.versions) {
          out.push({
            model,
            version: v.version,
            window: w.window,
            labels: v.labels,
            metrics: definedMetrics(v),
            delayP50Seconds: v.labelDelaySeconds.p50,
            delayP95Seconds: v.labelDelaySeconds.p95,
          });
        }
      }
    }
    return out;
  }
}
