/**
 * Which batch sizes inferd forms under load, and how busy its model worker is: runs the batch probe (inferd
 * in-process, same code as the CLI) under wrk and diffs the scheduler statistics around each run.
 */
import { join } from 'node:path';
import { startService } from './children.js';
import { DIST_BENCH, REPO_ROOT } from './paths.js';
import { runWrk } from './wrk.js';
import type { StatisticsSnapshot } from '../src/scheduler/model-statistics.js';

export interface BatchingRow {
  readonly model: string;
  readonly conns: number;
  readonly rps: number;
  readonly executions: number;
  readonly meanBatch: number;
  /** Most frequent batch sizes with their share of runtime calls. */
  readonly topSizes: ReadonlyArray<{ readonly size: number; readonly share: number }>;
  /** Mean time inside session.run per call (worker-side). */
  readonly computeUsPerRun: number;
  /** Share of wall time the model worker spent computing. */
  readonly workerBusy: number;
  /** Mean time a request waited in the queue. */
  readonly queueUs: number;
}

export interface BatchingResult {
  readonly rows: BatchingRow[];
  readonly error?: string;
}

type Snapshots = Record<string, StatisticsSnapshot | { error: string }>;

function isSnapshot(s: StatisticsSnapshot | { error: string } | undefined): s is StatisticsSnapshot {
  return s !== undefined && !('error' in s);
}

export async function measureBatching(o: {
  modelRepository: string;
  bodiesFile: string;
  durationS: number;
  models: readonly string[];
  conns: readonly number[];
}): Promise<BatchingResult> {
  const probe = await startService(
    'batch-probe',
    process.execPath,
    [join(DIST_BENCH, 'batch-probe.js'), '--model-repository', o.modelRepository],
    { cwd: REPO_ROOT },
  );
  const snapshot = async (): Promise<Snapshots> => {
    const line = probe.nextLine((l) => l.startsWith('{"batch_stats"'), 10_000);
    process.kill(probe.pid, 'SIGUSR2');
    return (JSON.parse(await line) as { batch_stats: Snapshots }).batch_stats;
  };
  const rows: BatchingRow[] = [];
  try {
    for (const model of o.models) {
      const url = `${probe.url}/v2/models/${model}/infer`;
      await runWrk({ url, connections: 8, durationS: 1, bodiesFile: o.bodiesFile });
      for (const conns of o.conns) {
        const before = (await snapshot())[model];
        const r = await runWrk({ url, connections: conns, durationS: o.durationS, bodiesFile: o.bodiesFile });
        const after = (await snapshot())[model];
        if (!isSnapshot(before) || !isSnapshot(after)) {
          return {
            rows,
            error: (before as { error?: string })?.error ?? (after as { error?: string })?.error ?? 'no statistics',
          };
        }
        const counts = new Map<number, number>();
        for (const b of after.batches) counts.set(b.batchSize, b.count);
        for (const b of before.batches) counts.set(b.batchSize, (counts.get(b.batchSize) ?? 0) - b.count);
        const executions = after.executionCount - before.executionCount;
        const inferred = after.inferenceCount - before.inferenceCount;
        const computeNs = after.computeInfer.ns - before.computeInfer.ns;
        const queued = after.queue.count - before.queue.count;
        rows.push({
          model,
          conns,
          rps: r.rps,
          executions,
          meanBatch: executions ? inferred / executions : 0,
          topSizes: [...counts.entries()]
            .filter(([, n]) => n > 0)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .map(([size, n]) => ({ size, share: n / executions })),
          computeUsPerRun: executions ? computeNs / executions / 1000 : 0,
          workerBusy: computeNs / (r.durationUs * 1000),
          queueUs: queued ? (after.queue.ns - before.queue.ns) / queued / 1000 : 0,
        });
      }
    }
    return { rows };
  } finally {
    await probe.stop();
  }
}
