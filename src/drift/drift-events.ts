/** What drift monitoring tells operators: threshold crossings, kept in a bounded in-memory list. */
import type { StatisticName, WindowReport } from './drift-window.js';

export interface DriftEvent {
  readonly type: 'drift_detected' | 'drift_cleared';
  readonly atMs: number;
  readonly model: string;
  readonly version: string;
  readonly feature: string;
  /** `input` feature or `prediction`. */
  readonly source: 'input' | 'prediction';
  readonly statistic: StatisticName;
  readonly value: number;
  readonly threshold: number;
  /** Rows of the window that crossed it. */
  readonly windowRows: number;
}

/** Events kept for GET /v1/models/{m}/drift, newest last. */
export const MAX_DRIFT_EVENTS = 500;

/**
 * Compares a window's drifted statistics with the set drifted before (keys `source:feature:statistic`,
 * updated in place) and returns the crossings either way.
 */
export function crossings(model: string, version: string, report: WindowReport, drifted: Set<string>): DriftEvent[] {
  const events: DriftEvent[] = [];
  const rows = [
    ...report.features.map((f) => ['input', f] as const),
    ...report.predictions.map((f) => ['prediction', f] as const),
  ];
  for (const [source, f] of rows) {
    for (const s of f.statistics) {
      const key = `${source}:${f.feature}:${s.statistic}`;
      if (s.drifted === drifted.has(key)) continue;
      if (s.drifted) drifted.add(key);
      else drifted.delete(key);
      events.push({
        type: s.drifted ? 'drift_detected' : 'drift_cleared',
        atMs: report.endedMs,
        model,
        version,
        feature: f.feature,
        source,
        statistic: s.statistic,
        value: s.value,
        threshold: s.threshold,
        windowRows: report.rows,
      });
    }
  }
  return events;
}
