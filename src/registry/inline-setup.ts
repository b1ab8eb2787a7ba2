/**
 * Inline execution at load: once a version is warm, its compute time is measured (the fastest of 32 runs of its
 * smallest warm-up request) and held against the threshold (the model's `inline_execution`, else the server's
 * default). First on a worker: a model above four times the threshold stays there, and nothing more is loaded.
 * Otherwise the main thread loads an instance of its own (a second onnxruntime session or tree evaluator: one more
 * copy of a model that small), warms it and measures again there, where it would run; it keeps the instance only when
 * the model is below the threshold. Anything that goes wrong leaves the version on its workers, with the reason in
 * its statistics.
 */
import {
  EXPLANATION_OUTPUT,
  inlineThresholdMicroseconds,
  type DeclaredModelConfig,
  type InlineExecutionDefaults,
  type ModelConfig,
} from '../config/index.js';
import { InlineRuntime } from '../runtimes/inline/inline-runtime.js';
import type { RuntimeLoadOptions } from '../runtimes/runtime.js';
import { decideInline, WORKERS_ONLY, type InlineDecision } from '../scheduler/inline-decision.js';
import type { ExecutionInstance } from '../scheduler/model-scheduler.js';
import type { Tensor } from '../tensor/index.js';
import { warmupRequests, type WarmupReport } from './warmup.js';

/**
 * Runs of the measured request; the fastest is held against the threshold. On a shared machine a run is only ever
 * made slower (preempted, its caches cold after the thread slept), never faster: the minimum is the model's own cost.
 */
const MEASURED_RUNS = 32;

/**
 * A worker's measurement above this many times the threshold keeps the version on its workers without loading a
 * main-thread instance: a model that large is not a micro-model however busy the machine was.
 */
const WORKER_PREFILTER_FACTOR = 4;

export interface InlineSetup {
  readonly decision: InlineDecision;
  readonly instance?: InlineRuntime | undefined;
}

/** A fresh copy of a request: a worker run transfers its buffers away. */
function copyRequest(request: readonly Tensor[]): Tensor[] {
  return request.map((t) => ({ ...t, data: t.data.slice() }));
}

function rowsOf(request: readonly Tensor[], config: ModelConfig): number {
  return config.maxBatchSize > 0 ? (request[0]?.shape[0] ?? 1) : 1;
}

async function fastestComputeNs(
  instance: { runTimed: ExecutionInstance['runTimed'] },
  request: readonly Tensor[],
  outputs: readonly string[],
): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < MEASURED_RUNS; i++)
    fastest = Math.min(fastest, (await instance.runTimed(copyRequest(request), outputs)).computeNs);
  return fastest;
}

/** Measures a warm version on `measureOn` and, if it computes below the threshold, loads its main-thread instance. */
export async function setUpInline(options: {
  readonly declared: DeclaredModelConfig;
  readonly config: ModelConfig;
  readonly defaults: InlineExecutionDefaults;
  readonly warmup: WarmupReport;
  readonly versionDir: string;
  readonly measureOn: ExecutionInstance;
  readonly load: RuntimeLoadOptions;
}): Promise<InlineSetup> {
  const { declared, config, warmup } = options;
  const thresholdUs = inlineThresholdMicroseconds(declared.inline, options.defaults);
  if (thresholdUs === undefined) return { decision: WORKERS_ONLY };
  if (warmup.source === 'disabled' || warmup.failure)
    return {
      decision: decideInline({
        thresholdUs,
        measuredNs: undefined,
        rows: 0,
        unmeasured: warmup.failure ? 'its warm-up failed' : 'warm-up is off',
      }),
    };
  const { requests } = await warmupRequests(options.versionDir, config, declared.warmup);
  const request = requests.reduce((a, b) => (rowsOf(b, config) < rowsOf(a, config) ? b : a));
  const outputs = config.outputs.map((o) => o.name).filter((n) => n !== EXPLANATION_OUTPUT);
  const rows = rowsOf(request, config);
  const onWorker = await fastestComputeNs(options.measureOn, request, outputs);
  if (onWorker > thresholdUs * 1000 * WORKER_PREFILTER_FACTOR)
    return { decision: decideInline({ thresholdUs, measuredNs: onWorker, rows }) };
  // Close enough to the threshold: measured again where it would run, on an instance of the main thread's own, kept
  // only when the model is below the threshold there.
  let instance: InlineRuntime | undefined;
  let decision: InlineDecision;
  try {
    instance = await InlineRuntime.load(options.load);
    for (const r of requests) await instance.runTimed(copyRequest(r), outputs);
    decision = decideInline({ thresholdUs, measuredNs: await fastestComputeNs(instance, request, outputs), rows });
  } catch (err) {
    await instance?.close();
    return {
      decision: {
        ...decideInline({ thresholdUs, measuredNs: onWorker, rows }),
        inline: false,
        reason: `main-thread instance failed: ${(err as Error).message}`,
      },
    };
  }
  if (decision.inline) return { decision, instance };
  await instance.close();
  return { decision };
}
