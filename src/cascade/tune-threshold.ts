/**
 * Picks a cascade's threshold from a labelled dataset: each row's cheap confidence and both models' predictions
 * against its label. Every distinct confidence is a candidate, from the highest down; the lowest threshold whose
 * cascade accuracy, and that of every threshold above it, is at most `maxLoss` (points, 0..100) below the
 * expensive model's alone wins: it sends the fewest rows to the expensive model without resting on a lucky dip of
 * the sample. Pure.
 */
export interface TuneRow {
  readonly confidence: number;
  readonly cheapCorrect: boolean;
  readonly expensiveCorrect: boolean;
}

export interface TuneResult {
  readonly threshold: number;
  /** Share of rows sent to the expensive model, 0..1. */
  readonly expensiveShare: number;
  /** Accuracies in percent. */
  readonly cascadeAccuracy: number;
  readonly expensiveAccuracy: number;
  readonly cheapAccuracy: number;
  readonly rows: number;
}

export function tuneThreshold(rows: readonly TuneRow[], maxLossPoints: number): TuneResult {
  if (rows.length === 0) throw new Error('the dataset has no rows');
  const n = rows.length;
  const pct = (k: number) => (100 * k) / n;
  const expensiveCorrect = rows.filter((r) => r.expensiveCorrect).length;
  const cheapCorrect = rows.filter((r) => r.cheapCorrect).length;
  // Rows by confidence, highest first: a threshold t keeps on the cheap path the rows with confidence ≥ t.
  const sorted = [...rows].sort((a, b) => b.confidence - a.confidence);
  let best: TuneResult | undefined;
  let correct = expensiveCorrect; // everything on the expensive path (threshold above every confidence)
  const result = (threshold: number, cheapRows: number): TuneResult => ({
    threshold,
    expensiveShare: (n - cheapRows) / n,
    cascadeAccuracy: pct(correct),
    expensiveAccuracy: pct(expensiveCorrect),
    cheapAccuracy: pct(cheapCorrect),
    rows: n,
  });
  best = result(Infinity, 0);
  for (let i = 0; i < n;) {
    const t = sorted[i].confidence;
    // Move every row with this confidence to the cheap path.
    for (; i < n && sorted[i].confidence === t; i++) {
      correct += (sorted[i].cheapCorrect ? 1 : 0) - (sorted[i].expensiveCorrect ? 1 : 0);
    }
    // Stop at the first threshold that loses too much: a lower one that happens to pass again is luck of the
    // sample, not a setting to trust.
    if (pct(expensiveCorrect) - pct(correct) > maxLossPoints + 1e-9) break;
    best = result(t, i);
  }
  return best;
}
