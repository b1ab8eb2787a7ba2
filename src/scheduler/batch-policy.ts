/**
 * When to dispatch and what to join: pure functions over the queue and a clock reading.
 *
 * Greedy by default: whenever an instance is free, everything compatible that is queued (up to max_batch_size)
 * goes out together, so batches grow exactly as fast as load does and a lone request never waits.
 * With max_queue_delay_microseconds > 0, a partial batch below the preferred (or maximum) size waits up to that
 * long for company, as Triton's dynamic batcher does.
 */
import type { Job } from './job.js';

export interface BatchPolicy {
  readonly dynamicBatching: boolean;
  readonly maxBatchSize: number;
  readonly preferredBatchSizes: readonly number[];
  readonly maxQueueDelayNs: bigint;
}

export interface BatchPlan {
  readonly jobs: Job[];
  readonly rows: number;
}

/** Picks the head job and, when batching, every compatible queued job that still fits. */
export function planBatch(ordered: Iterable<Job>, policy: BatchPolicy): BatchPlan | undefined {
  let head: Job | undefined;
  const jobs: Job[] = [];
  let rows = 0;
  for (const job of ordered) {
    if (!head) {
      head = job;
      jobs.push(job);
      rows = job.request.rows;
      if (!policy.dynamicBatching) break;
      continue;
    }
    if (job.key !== head.key || rows + job.request.rows > policy.maxBatchSize) continue;
    jobs.push(job);
    rows += job.request.rows;
    if (rows === policy.maxBatchSize) break;
  }
  return head ? { jobs, rows } : undefined;
}

/** Nanoseconds the plan should still wait for more requests; 0 means dispatch now. */
export function waitBeforeDispatch(plan: BatchPlan, nowNs: bigint, policy: BatchPolicy): bigint {
  if (!policy.dynamicBatching || policy.maxQueueDelayNs === 0n) return 0n;
  const target = policy.preferredBatchSizes.length ? Math.max(...policy.preferredBatchSizes) : policy.maxBatchSize;
  if (plan.rows >= target || policy.preferredBatchSizes.includes(plan.rows)) return 0n;
  const waited = nowNs - plan.jobs[0].enqueuedNs;
  return waited >= policy.maxQueueDelayNs ? 0n : policy.maxQueueDelayNs - waited;
}
