/**
 * Isolation while loading: the built server (`inferd serve --model-control-mode explicit --load-model digits`, in
 * its own process) serves digits to a steady closed loop (back to back, or paced with `ratePerS`) while a copy of
 * mlp_heavy is loaded and unloaded `cycles` times through the repository API. Measures digits' latency in a quiet
 * period before the cycles, during them and in a quiet period after, any failed request, and the server's RSS
 * (from /proc) before the first load and after the last unload. Runs twice: with the server's default environment
 * (no MALLOC_* variables) and with the glibc settings the README recommends.
 *
 * RSS is the median of a few samples over two seconds, taken while digits keeps serving: in the last seconds of
 * the quiet period before the first load, and from a second after the last unload. No GC is forced (the CLI
 * cannot be asked to), so V8's heap is wherever the traffic left it; the main thread's V8 heap (from /metrics) is
 * read beside each figure, so memory outside it (native: onnxruntime, the allocator) can be told apart. On a
 * 2-core machine a back-to-back loop keeps both cores busy, and the p99 ratio then measures how the loading's CPU
 * is shared more than isolation; a paced loop (e.g. 500 requests/s) leaves the cores headroom.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inferBody, referenceRows } from './bodies.js';
import { startService, type Service } from './children.js';
import { request } from './http-client.js';
import { INFERD_CLI, MODELS_DIR, REPO_ROOT } from './paths.js';
import { startPhasedLoad, type PhaseSamples } from './phased-load.js';
import { peakRssKb, rssKb } from './process-stats.js';
import { median, percentile } from './stats.js';

export { renderLifecycleIsolation } from './lifecycle-isolation-report.js';

/** The allocator settings README.md recommends for inferd on glibc. */
export const GLIBC_ENV = { MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_ARENA_MAX: '2' } as const;

/** The model loaded and unloaded: 11 MB of weights (2.9M parameters) in onnxruntime, 2 intra-op threads. */
export const CYCLED_MODEL = 'mlp_heavy';
export type Environment = 'default' | 'glibc';

export interface LifecycleIsolationOptions {
  /** Load/unload cycles per environment (the issue asks for 50). */
  readonly cycles: number;
  log(msg: string): void;
  /** Length of each quiet period, before and after the cycles (default 8 s). */
  readonly quietS?: number;
  /** Closed-loop connections driving digits (default 2). */
  readonly concurrency?: number;
  /** Pace digits at this many requests/s over all connections (default 0: back to back, as fast as it answers). */
  readonly ratePerS?: number;
  /** Which environments to run, in order (default both). */
  readonly environments?: readonly Environment[] | undefined;
}

export interface Latency {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly failures: number;
  readonly firstFailure?: string;
}

export interface EnvironmentRow {
  readonly environment: Environment;
  /** The MALLOC_* variables the server ran with, or '' for none. */
  readonly envText: string;
  /** Quiet periods before and after the cycles, pooled. */
  readonly quiet: Latency;
  readonly busy: Latency;
  /** busy p99 ÷ quiet p99. */
  readonly p99Ratio: number;
  readonly cyclesS: number;
  readonly loadMsMedian: number;
  readonly unloadMsMedian: number;
  /** Load or unload calls that did not answer 200, with the reason. */
  readonly controlFailures: readonly string[];
  readonly rssBeforeKb: number;
  readonly rssAfterKb: number;
  /** rssAfterKb ÷ rssBeforeKb. */
  readonly rssRatio: number;
  /** The main thread's V8 heap (committed) when each RSS figure was taken, from the server's /metrics. */
  readonly heapBeforeKb: number;
  readonly heapAfterKb: number;
  /** VmHWM at the end. */
  readonly peakRssKb: number;
  /** One instant sample right after each unload, for the trend. */
  readonly rssAfterUnloadKb: readonly number[];
}

export interface LifecycleIsolationResult {
  readonly cycles: number;
  readonly model: string;
  readonly quietS: number;
  readonly concurrency: number;
  readonly ratePerS: number;
  readonly rssSamples: number;
  readonly rssSpanMs: number;
  readonly settleMs: number;
  readonly rows: readonly EnvironmentRow[];
}

const RSS_SAMPLES = 5;
const RSS_SPAN_MS = 2000;
const SETTLE_MS = 1000;
const WARMUP_MS = 2000;

/** A repository holding copies of digits and the cycled model, so edits to models/ cannot change the run. */
function isolationRepository(dir: string): string {
  const root = join(dir, 'lifecycle-models');
  for (const name of ['digits', CYCLED_MODEL]) {
    for (const file of ['config.yaml', '1/model.onnx']) {
      mkdirSync(join(root, name, file, '..'), { recursive: true });
      copyFileSync(join(MODELS_DIR, name, file), join(root, name, file));
    }
  }
  return root;
}

/** The server's environment: the harness's own without MALLOC_* variables, plus the glibc settings if asked. */
function serverEnv(environment: Environment): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));
  return environment === 'glibc' ? { ...env, ...GLIBC_ENV } : env;
}

/** Median of RSS_SAMPLES readings spread over RSS_SPAN_MS. */
async function sampledRssKb(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i++) {
    if (i > 0) await sleep(RSS_SPAN_MS / (RSS_SAMPLES - 1));
    samples.push(rssKb(pid));
  }
  return median(samples);
}

/** The metrics URL the server logs just before its "listening on" line. */
function metricsUrl(server: Service): string {
  for (const line of server.tail().split('\n')) {
    if (!line.startsWith('{') || !line.includes('metrics_url')) continue;
    const url = (JSON.parse(line) as { metrics_url?: unknown }).metrics_url;
    if (typeof url === 'string') return url;
  }
  throw new Error(`${server.name} logged no metrics_url line:\n${server.tail()}`);
}

/** nodejs_heap_size_total_bytes (the main thread's committed V8 heap) in KiB, or NaN if absent. */
async function v8HeapKb(metrics: string): Promise<number> {
  const r = await request(undefined, metrics, 'GET');
  const m = /^nodejs_heap_size_total_bytes (\S+)$/m.exec(r.body);
  return m ? Number(m[1]) / 1024 : NaN;
}

function latency(...phases: PhaseSamples[]): Latency {
  const us = phases.flatMap((p) => p.okUs);
  const failures = phases.flatMap((p) => p.failures);
  return {
    count: us.length,
    p50Us: percentile(us, 50),
    p99Us: percentile(us, 99),
    failures: failures.length,
    firstFailure: failures[0],
  };
}

/** Loads and unloads `model` `cycles` times; the time of each call, the failures and RSS after each unload. */
async function cycle(server: Service, model: string, o: LifecycleIsolationOptions) {
  const loadMs: number[] = [];
  const unloadMs: number[] = [];
  const failures: string[] = [];
  const rssAfterUnloadKb: number[] = [];
  for (let i = 0; i < o.cycles; i++) {
    for (const [op, times] of [
      ['load', loadMs],
      ['unload', unloadMs],
    ] as const) {
      try {
        const r = await request(
          undefined,
          `${server.url}/v2/repository/models/${model}/${op}`,
          'POST',
          undefined,
          60_000,
        );
        times.push(r.us / 1000);
        if (r.status !== 200) failures.push(`cycle ${i + 1} ${op}: ${r.status} ${r.body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`cycle ${i + 1} ${op}: ${(err as Error).message}`);
      }
    }
    rssAfterUnloadKb.push(rssKb(server.pid));
    if ((i + 1) % 10 === 0)
      o.log(`  ${i + 1}/${o.cycles} cycles, RSS ${(rssAfterUnloadKb[i] / 1024).toFixed(0)} MiB after the unload`);
  }
  return { loadMs, unloadMs, failures, rssAfterUnloadKb };
}

async function runEnvironment(
  environment: Environment,
  repo: string,
  o: LifecycleIsolationOptions,
): Promise<EnvironmentRow> {
  const model = CYCLED_MODEL;
  const quietMs = (o.quietS ?? 8) * 1000;
  const env = serverEnv(environment);
  const args = [
    INFERD_CLI,
    'serve',
    '--model-repository',
    repo,
    '--http-port',
    '0',
    '--grpc-port=-1',
    '--metrics-port',
    '0',
  ];
  args.push('--model-control-mode', 'explicit', '--load-model', 'digits', '--log-level', 'info');
  const server = await startService(`inferd (lifecycle, ${environment} environment)`, process.execPath, args, {
    cwd: REPO_ROOT,
    env,
  });
  const bodies = referenceRows().map((row) => inferBody(row));
  const metrics = metricsUrl(server);
  const load = startPhasedLoad({
    url: `${server.url}/v2/models/digits/infer`,
    bodies,
    concurrency: o.concurrency ?? 2,
    ratePerS: o.ratePerS,
    firstPhase: 'warm',
  });
  try {
    await sleep(WARMUP_MS);
    load.setPhase('quiet-before');
    // RSS before the first load: the last RSS_SPAN_MS of the quiet period.
    await sleep(Math.max(0, quietMs - RSS_SPAN_MS));
    const rssBeforeKb = await sampledRssKb(server.pid);
    const heapBeforeKb = await v8HeapKb(metrics);
    load.setPhase('busy');
    o.log(`${environment} environment: ${o.cycles} load/unload cycles of ${model}…`);
    const started = performance.now();
    const cycles = await cycle(server, model, o);
    const cyclesS = (performance.now() - started) / 1000;
    load.setPhase('quiet-after');
    await sleep(SETTLE_MS);
    const rssAfterKb = await sampledRssKb(server.pid);
    const heapAfterKb = await v8HeapKb(metrics);
    await sleep(Math.max(0, quietMs - SETTLE_MS - RSS_SPAN_MS));
    await load.stop();
    if (!server.alive())
      throw new Error(`${server.name} is gone (${server.exitStatus()}); its last output:\n${server.tail()}`);
    const quiet = latency(load.samples('quiet-before'), load.samples('quiet-after'));
    const busy = latency(load.samples('busy'));
    return {
      environment,
      envText: Object.entries(env)
        .filter(([k]) => k.startsWith('MALLOC_'))
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      quiet,
      busy,
      p99Ratio: busy.p99Us / quiet.p99Us,
      cyclesS,
      loadMsMedian: median(cycles.loadMs),
      unloadMsMedian: median(cycles.unloadMs),
      controlFailures: cycles.failures,
      rssBeforeKb,
      rssAfterKb,
      rssRatio: rssAfterKb / rssBeforeKb,
      heapBeforeKb,
      heapAfterKb,
      peakRssKb: peakRssKb(server.pid),
      rssAfterUnloadKb: cycles.rssAfterUnloadKb,
    };
  } finally {
    await load.stop();
    await server.stop();
  }
}

/**
 * Runs the scenario once per environment (default, then glibc), each on a fresh server over a temporary copy of
 * the models, and returns one row per environment. Example: `renderLifecycleIsolation(await
 * runLifecycleIsolation({ cycles: 50, log }))`.
 */
export async function runLifecycleIsolation(o: LifecycleIsolationOptions): Promise<LifecycleIsolationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-lifecycle-bench-'));
  try {
    const repo = isolationRepository(dir);
    const rows: EnvironmentRow[] = [];
    for (const environment of o.environments ?? (['default', 'glibc'] as const)) {
      const row = await runEnvironment(environment, repo, o);
      o.log(
        `${environment}: p99 ${(row.busy.p99Us / 1000).toFixed(2)} ms during vs ${(row.quiet.p99Us / 1000).toFixed(2)} ms quiet (${row.p99Ratio.toFixed(2)}×), ` +
          `${row.quiet.failures + row.busy.failures} failed; RSS ${(row.rssBeforeKb / 1024).toFixed(0)} → ${(row.rssAfterKb / 1024).toFixed(0)} MiB (${row.rssRatio.toFixed(3)}×)`,
      );
      rows.push(row);
    }
    return {
      cycles: o.cycles,
      model: CYCLED_MODEL,
      quietS: o.quietS ?? 8,
      concurrency: o.concurrency ?? 2,
      ratePerS: o.ratePerS ?? 0,
      rssSamples: RSS_SAMPLES,
      rssSpanMs: RSS_SPAN_MS,
      settleMs: SETTLE_MS,
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
