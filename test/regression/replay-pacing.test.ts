/**
 * Replay pacing after a slow answer: the next request used to go out at once to catch up, so two requests left back
 * to back and the run took less than (requests - 1) intervals, above --rate. Each request now starts at least one
 * interval after the one before. The check is a lower bound on gaps the pacer itself waits for: a busy machine
 * only makes them longer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runReplay, type ReplayTarget } from '../../src/quality/replay-runner.js';
import type { LoggedPrediction } from '../../src/audit/audit-record.js';
import type { FeedbackStore } from '../../src/quality/feedback-store.js';

const INTERVAL_MS = 50;

function logged(seq: number): LoggedPrediction {
  const tensor = { name: 'x', datatype: 'FP32', shape: [1, 1], data: [seq] };
  return {
    seq,
    requestId: `r${seq}`,
    timeMs: 0,
    model: 'm',
    version: '1',
    latencyMs: 1,
    inputs: [tensor],
    outputs: [tensor],
    parameters: null,
  } as unknown as LoggedPrediction;
}

test('after a slow answer the next request still waits its interval: no two requests closer than 1/rate', async () => {
  const rows = Array.from({ length: 6 }, (_, i) => logged(i + 1));
  // Only logged() is used by a replay; the rest of the store is not reached.
  const store = {
    logged: async (q: { afterSeq?: number }) => rows.filter((r) => r.seq > (q.afterSeq ?? 0)),
  } as unknown as FeedbackStore;
  const starts: number[] = [];
  const target: ReplayTarget = {
    description: 'a target whose first answer takes three intervals',
    async infer(_model, request) {
      starts.push(performance.now());
      if (starts.length === 1) await sleep(3 * INTERVAL_MS);
      return request.inputs.map((t) => ({ ...t })) as never;
    },
  };
  await runReplay({
    store,
    target,
    model: 'm',
    sinceMs: 0,
    limit: rows.length,
    ratePerSecond: 1000 / INTERVAL_MS,
    top: 1,
  });
  assert.equal(starts.length, rows.length);
  const gaps = starts.slice(1).map((s, i) => s - starts[i]);
  // Less 1 ms: the target reads the clock a few microseconds after the pacer does (back to back was ~0 ms).
  assert.ok(
    gaps.every((g) => g >= INTERVAL_MS - 1),
    `gaps between requests ${gaps.map((g) => g.toFixed(1)).join(', ')} ms; none may be below ${INTERVAL_MS}`,
  );
});
