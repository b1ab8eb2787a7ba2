/**
 * Comparing a replayed answer with the logged one, and summing the comparisons into a report. Pure.
 *
 * What each answer predicted per row is read as prediction/predicted-rows.ts says: classifiers agree on a row
 * when the label (else the arg-max) is the same; regression answers are compared by the absolute difference of
 * their values. Every numeric output both answers have (but `label`) is also compared element by element.
 */
import type { StoredTensor } from '../audit/audit-record.js';
import { LABEL_OUTPUT, predictedRows } from '../prediction/predicted-rows.js';
import { percentile } from './quality-math.js';

export interface RowComparison {
  readonly requestId: string;
  readonly kind: 'classification' | 'regression';
  /** Rows of the request whose label (or arg-max) is the same; regression: rows counted as compared. */
  readonly rows: number;
  readonly agreeingRows: number;
  /** Classifiers: the labels, logged and replayed; regression: the values. */
  readonly logged: readonly number[];
  readonly replayed: readonly number[];
  /** Largest absolute difference over every compared output element. */
  readonly maxAbsDiff: number;
  /** Per output: sum and count of absolute differences, and the largest. */
  readonly outputs: Readonly<Record<string, { readonly sum: number; readonly count: number; readonly max: number }>>;
}

const NOT_NUMERIC = new Set(['BYTES', 'BOOL']);

function numbers(t: StoredTensor | undefined): number[] | undefined {
  if (!t?.data || NOT_NUMERIC.has(t.datatype)) return undefined;
  return t.data.map(Number);
}

/** What the answer says per row: labels (classifiers) or values (regression). */
function decisions(
  outputs: readonly StoredTensor[],
): { kind: RowComparison['kind']; values: readonly number[] } | undefined {
  const p = predictedRows(outputs);
  return p && { kind: p.kind === 'class' ? 'classification' : 'regression', values: p.values };
}

/** Compares one replayed answer with the logged one; a string says why they cannot be compared. */
export function compareAnswers(
  requestId: string,
  logged: readonly StoredTensor[],
  replayed: readonly StoredTensor[],
): RowComparison | string {
  const a = decisions(logged);
  const b = decisions(replayed);
  if (!a) return 'the logged answer has no numeric output to compare (redacted or truncated?)';
  if (!b) return 'the replayed answer has no numeric output to compare';
  if (a.values.length !== b.values.length)
    return `the logged answer has ${a.values.length} rows, the replayed one ${b.values.length}`;
  const outputs: Record<string, { sum: number; count: number; max: number }> = {};
  let maxAbsDiff = 0;
  for (const t of logged) {
    if (t.name === LABEL_OUTPUT) continue; // a class index: agreement covers it, a numeric difference would mislead
    const x = numbers(t);
    const y = numbers(replayed.find((r) => r.name === t.name));
    if (!x || !y || x.length !== y.length) continue;
    const diffs = x.map((v, i) => Math.abs(v - y[i]));
    const max = diffs.reduce((m, d) => Math.max(m, d), 0);
    outputs[t.name] = { sum: diffs.reduce((s, d) => s + d, 0), count: diffs.length, max };
    maxAbsDiff = Math.max(maxAbsDiff, max);
  }
  const agreeing = a.kind === 'classification' ? a.values.filter((v, i) => v === b.values[i]).length : a.values.length;
  return {
    requestId,
    kind: a.kind,
    rows: a.values.length,
    agreeingRows: agreeing,
    logged: a.values,
    replayed: b.values,
    maxAbsDiff,
    outputs,
  };
}

export interface ReplaySummary {
  /** Predictions replayed and compared. */
  readonly compared: number;
  readonly kind: RowComparison['kind'] | null;
  /** Rows compared, and those with the same label (classifiers). */
  readonly rows: number;
  readonly agreeingRows: number;
  /** Classifiers: the share of rows with the same label; null for regression or when nothing was compared. */
  readonly agreement: number | null;
  /** Regression: mean absolute difference of the predicted values. */
  readonly meanAbsDiff: number | null;
  /** Per output: mean and largest absolute difference over all elements. */
  readonly outputs: Readonly<Record<string, { readonly meanAbsDiff: number; readonly maxAbsDiff: number }>>;
  /** Milliseconds per replayed request. */
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
  /** The predictions that differ most: disagreements first, then by the largest output difference. */
  readonly mostDifferent: readonly RowComparison[];
}

/** Sums comparisons (and the replayed requests' latencies) into a summary listing the `top` most different rows. */
export function summarizeReplay(
  comparisons: readonly RowComparison[],
  latenciesMs: readonly number[],
  top: number,
): ReplaySummary {
  const rows = comparisons.reduce((n, c) => n + c.rows, 0);
  const agreeingRows = comparisons.reduce((n, c) => n + c.agreeingRows, 0);
  const kind = comparisons[0]?.kind ?? null;
  const outputs: Record<string, { meanAbsDiff: number; maxAbsDiff: number }> = {};
  const totals = new Map<string, { sum: number; count: number; max: number }>();
  for (const c of comparisons) {
    for (const [name, o] of Object.entries(c.outputs)) {
      const t = totals.get(name) ?? { sum: 0, count: 0, max: 0 };
      totals.set(name, { sum: t.sum + o.sum, count: t.count + o.count, max: Math.max(t.max, o.max) });
    }
  }
  for (const [name, t] of totals) outputs[name] = { meanAbsDiff: t.count ? t.sum / t.count : 0, maxAbsDiff: t.max };
  const valueDiffs = comparisons.flatMap((c) => c.logged.map((v, i) => Math.abs(v - c.replayed[i])));
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const disagree = (c: RowComparison) => c.rows - c.agreeingRows;
  const mostDifferent = [...comparisons]
    .sort((x, y) => disagree(y) - disagree(x) || y.maxAbsDiff - x.maxAbsDiff)
    .slice(0, top);
  return {
    compared: comparisons.length,
    kind,
    rows,
    agreeingRows,
    agreement: kind === 'classification' && rows > 0 ? agreeingRows / rows : null,
    meanAbsDiff:
      kind === 'regression' && valueDiffs.length > 0 ? valueDiffs.reduce((s, d) => s + d, 0) / valueDiffs.length : null,
    outputs,
    latencyMs: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) },
    mostDifferent,
  };
}
