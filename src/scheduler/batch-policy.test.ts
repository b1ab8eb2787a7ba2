import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planBatch, waitBeforeDispatch, type BatchPolicy } from './batch-policy.js';
import type { Job } from './job.js';

function job(key: string, rows: number, enqueuedNs = 0n): Job {
  return {
    request: { inputs: [], outputs: [], rows },
    key,
    priority: 1,
    enqueuedNs,
    deadlineNs: undefined,
    timer: undefined,
    settled: false,
    resolve: () => {},
    reject: () => {},
  };
}

const policy: BatchPolicy = { dynamicBatching: true, maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayNs: 0n };

test('joins compatible jobs up to max_batch_size, skipping other shapes', () => {
  const jobs = [job('a', 3), job('b', 1), job('a', 4), job('a', 2), job('a', 1)];
  const plan = planBatch(jobs, policy)!;
  assert.deepEqual(plan.jobs, [jobs[0], jobs[2], jobs[4]]);
  assert.equal(plan.rows, 8);
});

test('without dynamic batching each job runs alone', () => {
  const jobs = [job('a', 1), job('a', 1)];
  assert.deepEqual(planBatch(jobs, { ...policy, dynamicBatching: false })!.jobs, [jobs[0]]);
});

test('with no queue delay a partial batch goes at once', () => {
  assert.equal(waitBeforeDispatch({ jobs: [job('a', 1)], rows: 1 }, 10n, policy), 0n);
});

test('with a queue delay a partial batch waits for the rest of the delay, then goes', () => {
  const p = { ...policy, maxQueueDelayNs: 1000n };
  const plan = { jobs: [job('a', 1, 100n)], rows: 1 };
  assert.equal(waitBeforeDispatch(plan, 400n, p), 700n);
  assert.equal(waitBeforeDispatch(plan, 1100n, p), 0n);
});

test('a batch at a preferred size or the maximum goes without waiting', () => {
  const p = { ...policy, maxQueueDelayNs: 1000n, preferredBatchSizes: [4, 6] };
  assert.equal(waitBeforeDispatch({ jobs: [job('a', 4)], rows: 4 }, 0n, p), 0n);
  assert.equal(waitBeforeDispatch({ jobs: [job('a', 6)], rows: 6 }, 0n, p), 0n);
  assert.equal(waitBeforeDispatch({ jobs: [job('a', 5)], rows: 5 }, 0n, p), 1000n);
});
