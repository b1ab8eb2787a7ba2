/**
 * What a /metrics scrape costs the event loop with many loaded models: builds the server's model metrics (scheduler
 * counters, request and stage histograms, resilience gauges) for N synthetic model versions with traffic on every
 * protocol, then renders them with prom-client's registry.metrics() (one go) and with renderMetrics (a family at a
 * time, yielding), and reports the text's size and the longest stretch the event loop was held (a setImmediate
 * chain measures the gaps between its turns), in wall-clock time and in CPU time (process.cpuUsage: on a shared,
 * loaded machine the wall-clock gaps include time the process waited for a core).
 *
 *   node dist/bench/metrics-scrape.js [models=400] [scrapes=5]
 */
import { Registry } from 'prom-client';
import { createMetrics } from '../src/telemetry/metrics.js';
import { registerRequestMetrics } from '../src/telemetry/request-metrics.js';
import { registerResilienceMetrics } from '../src/telemetry/resilience-metrics.js';
import { renderMetrics } from '../src/telemetry/render-metrics.js';

const models = Number(process.argv[2] ?? 400);
const scrapes = Number(process.argv[3] ?? 5);

const timing = { count: 3, ns: 3e6 };
const versions = Array.from({ length: models }, (_, i) => ({
  name: `model_${i}`,
  version: '1',
  inferenceCount: 3,
  executionCount: 3,
  success: timing,
  fail: { count: 1, ns: 0 },
  queue: timing,
  computeInfer: timing,
  rejected: 0,
  timedOut: 0,
  queueDepth: 0,
  loadMs: 12,
  inFlight: 0,
  batches: [{ batchSize: 1, count: 3 }],
  shed: [],
}));
const source = { statistics: () => versions, guards: { listen: () => undefined } };
const registry = createMetrics(source);
const observer = registerRequestMetrics(registry, { versions: () => versions, costPerCpuSecond: 0.0001 });
registerResilienceMetrics(registry, source);
for (const v of versions) {
  for (const protocol of ['http', 'grpc', 'v1']) {
    observer.started();
    observer.observe({
      model: v.name,
      version: v.version,
      protocol,
      outcome: 'success',
      seconds: 0.002,
      stages: { queue: 0.0001, compute: 0.001, postprocess: 0.0001 },
      batchRows: 1,
    });
    observer.started();
    observer.observe({
      model: v.name,
      version: v.version,
      protocol,
      outcome: 'client_error',
      seconds: 0.0001,
      stages: {},
    });
  }
}

/** Runs `render` while a setImmediate chain notes the longest gap between two of its turns. */
async function measure(
  render: () => Promise<string>,
): Promise<{ bytes: number; totalMs: number; longestBlockMs: number; longestCpuMs: number; turns: number }> {
  let longest = 0;
  let longestCpu = 0;
  let turns = 0;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let running = true;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    longest = Math.max(longest, now - last);
    longestCpu = Math.max(longestCpu, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  const text = await render();
  const totalMs = performance.now() - started;
  running = false;
  await new Promise((resolve) => setImmediate(resolve));
  return { bytes: Buffer.byteLength(text), totalMs, longestBlockMs: longest, longestCpuMs: longestCpu, turns };
}

const round = (n: number) => Math.round(n * 10) / 10;
for (const [name, render] of [
  ['prom-client', () => registry.metrics()],
  ['incremental', () => renderMetrics(registry as Registry)],
] as const) {
  const runs: Array<Awaited<ReturnType<typeof measure>>> = [];
  for (let i = 0; i < scrapes; i++) runs.push(await measure(render));
  const stats = (of: (r: (typeof runs)[number]) => number) => {
    const sorted = runs.map(of).sort((a, b) => a - b);
    return { median: round(sorted[sorted.length >> 1]), worst: round(sorted[sorted.length - 1]) };
  };
  console.log(
    JSON.stringify({
      renderer: name,
      models,
      bytes: runs[0].bytes,
      longest_block_wall_ms: stats((r) => r.longestBlockMs),
      longest_block_cpu_ms: stats((r) => r.longestCpuMs),
      total_ms: round(runs.reduce((n, r) => n + r.totalMs, 0) / runs.length),
      turns: runs[0].turns,
    }),
  );
}
