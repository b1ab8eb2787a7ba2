/**
 * Many labels, fast: writes labels straight into the feedback table of a prediction log (through the store API,
 * one transaction), so a test, the quality attack scenario or the bench starts from 100,000 stored labels in about
 * a second instead of sending 100,000 predictions first.
 */
import type { FeedbackRecord } from '../../src/quality/feedback-store.js';
import { SqliteFeedbackStore } from '../../src/quality/feedback-store-sqlite.js';

/**
 * `count` labels of `model` (version 1, 10 classes with scores), arriving evenly over the hour before `nowMs`;
 * about 80 % right, deterministic. Multiclass with scores is the costliest report: one ROC AUC per class.
 */
export function seededLabels(count: number, nowMs: number, model = 'digits', prefix = 'seed'): FeedbackRecord[] {
  const out: FeedbackRecord[] = [];
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    const predicted = next() < 0.8 ? label : (label + 1 + Math.floor(next() * 9)) % 10;
    const raw = Array.from({ length: 10 }, (_, k) => (k === predicted ? 5 : 0) + next());
    const sum = raw.reduce((a, b) => a + b, 0);
    const timeMs = nowMs - 3_600_000 + Math.floor((i * 3_590_000) / count);
    out.push({
      requestId: `${prefix}-${i}`,
      principal: 'anonymous',
      row: 0,
      model,
      version: '1',
      predictionTimeMs: timeMs - 1000 - (i % 97) * 10,
      timeMs,
      kind: 'label',
      label,
      predicted,
      scores: raw.map((r) => r / sum),
      positiveClass: null,
    });
  }
  return out;
}

/** Inserts `count` seeded labels into the SQLite prediction log at `path` (creating the feedback table if needed). */
export async function seedSqliteLabels(path: string, count: number, nowMs: number, model = 'digits'): Promise<void> {
  const store = new SqliteFeedbackStore({ path });
  await store.start();
  try {
    await store.insert(seededLabels(count, nowMs, model));
  } finally {
    await store.stop();
  }
}
