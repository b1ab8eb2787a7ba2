/**
 * Longest event-loop block of an in-process server while it computes quality: reports over 100,000 stored labels
 * (1 window and many), the quality gauges' refresh behind /metrics, and a burst of feedback writes.
 *
 * Usage: node dist/bench/quality-event-loop.js [--labels 100000] [--windows 10] [--store sqlite|postgres]
 * Prints one JSON line per step: {"step", "max_block_ms", "status", "ms"}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SqliteAuditSink } from '../src/audit/sqlite/sqlite-audit-sink.js';
import { sampleRecord } from '../src/audit/audit-sink.case.test.js';
import { tempDir } from '../test/audit/audit-helpers.js';
import { tempRepository } from '../test/helpers/server.js';
import { startQualityServer } from '../test/quality/feedback-helpers.js';
import { seedSqliteLabels } from '../test/quality/quality-seed.js';

const { values } = parseArgs({
  options: {
    labels: { type: 'string', default: '100000' },
    windows: { type: 'string', default: '10' },
    burst: { type: 'string', default: '10' },
  },
});
const LABELS = Number(values.labels);
const WINDOWS = Number(values.windows);
const BURST = Number(values.burst);

const dir = tempDir('inferd-quality-bench-');
const db = join(dir.dir, 'audit.db');
const repo = await tempRepository({
  digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
});

// Logged predictions for the feedback burst (BURST requests of 2,000 labels), then 100k labels.
const sink = new SqliteAuditSink(db, 'async');
await sink.start();
const burstIds = Array.from({ length: BURST * 2000 }, (_, i) => `burst-${i}`);
for (let i = 0; i < burstIds.length; i += 5000)
  await sink.write(burstIds.slice(i, i + 5000).map((requestId) => sampleRecord({ requestId, timeMs: Date.now() })));
await sink.stop();
await seedSqliteLabels(db, LABELS, Date.now());

const server = await startQualityServer(repo.dir, { store: 'sqlite', path: db });
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
/** CPU time of the main thread so far, ms (Linux: /proc; 10 ms steps), to tell a block from a starved thread. */
function mainThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
// Also the longest gap between the turns of a 1 ms interval timer on the main thread (the block as a probe sees
// it), and the main thread's CPU time within that gap (on a loaded machine a gap can be mostly waiting for a CPU).
let lastTick = performance.now();
let lastCpu = mainThreadCpuMs();
let maxGap = 0;
let maxGapCpu = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  const cpu = mainThreadCpuMs();
  if (now - lastTick > maxGap) [maxGap, maxGapCpu] = [now - lastTick, cpu - lastCpu];
  lastTick = now;
  lastCpu = cpu;
}, 1);

async function step(name: string, run: () => Promise<number>): Promise<void> {
  histogram.reset();
  maxGap = 0;
  maxGapCpu = 0;
  lastTick = performance.now();
  lastCpu = mainThreadCpuMs();
  const t0 = performance.now();
  const status = await run();
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      step: name,
      max_block_ms: Math.round(histogram.max / 1e5) / 10,
      max_timer_gap_ms: Math.round(maxGap),
      main_cpu_in_gap_ms: maxGapCpu,
      status,
      ms: Math.round(ms),
    }),
  );
}

const windows = Array.from({ length: WINDOWS }, (_, i) => `${60 - i}m`).join(',');
try {
  await step('idle 200 ms', async () => {
    await new Promise((r) => setTimeout(r, 200));
    return 0;
  });
  await step('report, 1 window', async () => (await fetch(`${server.url}/v1/models/digits/quality?windows=1h`)).status);
  await step(
    `report, ${WINDOWS} windows`,
    async () => (await fetch(`${server.url}/v1/models/digits/quality?windows=${windows}`)).status,
  );
  await step('scrape /metrics (1st)', async () => (await fetch(server.metricsUrl!)).status);
  await step('scrape /metrics (2nd)', async () => (await fetch(server.metricsUrl!)).status);
  await step(`feedback burst, ${BURST} x 2,000 labels`, async () => {
    const posts = Array.from({ length: BURST }, (_, b) =>
      fetch(`${server.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ feedback: burstIds.slice(b * 2000, (b + 1) * 2000).map((id) => ({ id, label: 7 })) }),
      }),
    );
    const answers = await Promise.all(posts);
    return answers.every((a) => a.status === 200) ? 200 : answers.find((a) => a.status !== 200)!.status;
  });
  await step('scrape /metrics after feedback', async () => (await fetch(server.metricsUrl!)).status);
} finally {
  histogram.disable();
  clearInterval(ticker);
  await server.close();
  await repo.cleanup();
  dir.cleanup();
}
