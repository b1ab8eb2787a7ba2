/**
 * Per-request Prometheus metrics: requests by model, version, protocol and outcome; end-to-end and per-stage
 * latency histograms (0.1 ms to 10 s); in-flight requests; batch sizes; model load time; cold starts; CPU time and
 * cost per inference. Names follow Prometheus conventions; README.md's metrics table documents them.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { LabeledCounter, LabeledHistogram, type CounterSeries, type HistogramSeries } from './labeled-series.js';
import { escapeLabelValue, valueText, valuesInTurns, type LineSource } from './render-metrics.js';
import { registerRowFamily } from './row-family.js';

/** Latency buckets in seconds, resolving 0.1 ms to 10 s. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** The shape of what the core reports per request (inference/observer.ts). */
export interface ObservedRequest {
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly outcome: string;
  readonly seconds: number;
  readonly stages: Readonly<Record<string, number | undefined>>;
  readonly batchRows?: number | undefined;
  /** Refused before the core ran it: never started, never timed. */
  readonly refusedEarly?: boolean;
}

/** Per-version figures read at scrape time. */
export interface VersionFigures {
  readonly name: string;
  readonly version: string;
  readonly inferenceCount: number;
  readonly computeInfer: { readonly ns: number };
  readonly batches: ReadonlyArray<{ readonly batchSize: number; readonly count: number }>;
  readonly loadMs?: number | undefined;
}

export interface RequestMetricsOptions {
  /** The versions loaded now: the only (model, version) pairs whose series are kept. */
  readonly versions: () => readonly VersionFigures[];
  /**
   * Models the server knows (inference-service.ts knowsModel): their series without a version (refusals, a version
   * that does not exist) are kept. Absent: every model name observed is kept (library callers, tests).
   */
  readonly knownModel?: (model: string) => boolean;
  /** Price of one CPU-second, for inferd_cost_per_1k_inferences (0: not reported). */
  readonly costPerCpuSecond: number;
}

/** The label values of protocol, outcome and stage: anything else is counted as `library`, `error` or not at all. */
const PROTOCOLS = new Set(['http', 'grpc', 'v1', 'library', 'graph']);
const OUTCOMES = new Set([
  'success',
  'client_error',
  'bad_input',
  'unauthorized',
  'rate_limited',
  'rejected',
  'timeout',
  'error',
]);
const STAGES = new Set(['features', 'queue', 'compute', 'postprocess']);

/** The model label of requests refused before their model was known (inference-service.ts UNKNOWN_MODEL). */
const UNKNOWN = '_unknown';

/** One (model, version, protocol)'s series, resolved once and kept: recording a request is then additions. */
interface RequestSeries {
  readonly model: string;
  readonly version: string;
  readonly outcomes: Map<string, CounterSeries>;
  readonly duration: HistogramSeries;
  readonly stages: Map<string, HistogramSeries>;
  warm: boolean;
}

/** Registers the request metrics on `registry` and returns the observer that feeds them. */
export function registerRequestMetrics(
  registry: Registry,
  options: RequestMetricsOptions,
): { started(): void; observe(o: ObservedRequest): void } {
  const registers = [registry];
  const bundles = new Map<string, RequestSeries>();
  const warmVersions = new Set<string>();
  // Each scrape first drops the series of versions no longer loaded (the first of the three families does it).
  const prune = (): void =>
    pruneGone(options, bundles, warmVersions, [requests, duration, stages], (model, version) =>
      coldStarts.remove({ model, version }),
    );
  const requests = new LabeledCounter(
    'inferd_requests_total',
    'Inference requests by model, version, protocol and outcome (success, client_error, bad_input, unauthorized, rate_limited, rejected, timeout, error).',
    ['model', 'version', 'protocol', 'outcome'],
  ).register(registry, prune);
  const duration = new LabeledHistogram(
    'inferd_request_duration_seconds',
    'Inference latency from the decoded request to the answer.',
    ['model', 'version', 'protocol'],
    LATENCY_BUCKETS,
  ).register(registry, prune);
  const stages = new LabeledHistogram(
    'inferd_stage_duration_seconds',
    'Time per request stage: features, queue, compute, postprocess.',
    ['model', 'version', 'stage'],
    LATENCY_BUCKETS,
  ).register(registry, prune);
  const coldStarts = new Counter({
    name: 'inferd_cold_starts_total',
    help: 'First requests served by a newly loaded version.',
    labelNames: ['model', 'version'],
    registers,
  });
  let inflightNow = 0; // read at scrape time: a plain number costs the request path nothing
  new Gauge({
    name: 'inferd_inflight_requests',
    help: 'Inference requests received and not yet answered.',
    registers,
    collect() {
      this.set(inflightNow);
    },
  });
  const bundleOf = (o: ObservedRequest): RequestSeries => {
    const protocol = PROTOCOLS.has(o.protocol) ? o.protocol : 'library';
    const key = `${o.model}\u0000${o.version}\u0000${protocol}`;
    let b = bundles.get(key);
    if (!b) {
      b = {
        model: o.model,
        version: o.version,
        outcomes: new Map(),
        duration: duration.series(o.model, o.version, protocol),
        stages: new Map(),
        warm: false,
      };
      bundles.set(key, b);
    }
    return b;
  };
  registerBatchSizes(registry, options);
  registerVersionGauges(registry, options);
  return {
    started() {
      inflightNow++;
    },
    observe(o: ObservedRequest) {
      const refusedUnread = o.refusedEarly === true; // refused before the core ran it: started() was not called
      if (!refusedUnread) inflightNow--;
      const b = bundleOf(o);
      let outcome = b.outcomes.get(o.outcome);
      if (!outcome) {
        const protocol = PROTOCOLS.has(o.protocol) ? o.protocol : 'library';
        outcome = requests.series(o.model, o.version, protocol, OUTCOMES.has(o.outcome) ? o.outcome : 'error');
        b.outcomes.set(o.outcome, outcome);
      }
      outcome.inc();
      if (refusedUnread) return;
      b.duration.observe(o.seconds);
      for (const stage in o.stages) {
        const seconds = o.stages[stage];
        if (seconds === undefined || !STAGES.has(stage)) continue;
        let h = b.stages.get(stage);
        if (!h) b.stages.set(stage, (h = stages.series(o.model, o.version, stage)));
        h.observe(seconds);
      }
      if (o.outcome === 'success' && !b.warm) {
        b.warm = true;
        // Another protocol may have served this version first: count the version's first success once.
        if (!warmVersions.has(`${o.model}\u0000${o.version}`)) {
          warmVersions.add(`${o.model}\u0000${o.version}`);
          coldStarts.inc({ model: o.model, version: o.version });
        }
      }
    },
  };
}

/**
 * Drops the request series of model versions that are no longer loaded (unloaded, replaced, removed from the
 * repository), so loading and unloading cannot grow /metrics without end. Kept: `_unknown`, loaded versions, and a
 * known model's series without a version (requests refused before a version was chosen).
 */
function pruneGone(
  options: RequestMetricsOptions,
  bundles: Map<string, RequestSeries>,
  warmVersions: Set<string>,
  metrics: ReadonlyArray<LabeledCounter | LabeledHistogram>,
  removeColdStart: (model: string, version: string) => void,
): void {
  const loaded = new Set(options.versions().map((v) => `${v.name}\u0000${v.version}`));
  const keep = (model: string, version: string): boolean =>
    model === UNKNOWN ||
    loaded.has(`${model}\u0000${version}`) ||
    (version === '' && (options.knownModel?.(model) ?? true));
  const gone = new Set<string>();
  for (const [key, b] of bundles) {
    if (keep(b.model, b.version)) continue;
    bundles.delete(key);
    gone.add(`${b.model}\u0000${b.version}`);
  }
  if (!gone.size) return;
  for (const m of metrics) m.removeWhere((labels) => gone.has(`${labels.model}\u0000${labels.version}`));
  for (const mv of gone) {
    if (!warmVersions.delete(mv)) continue;
    const [model, version] = mv.split('\u0000');
    removeColdStart(model, version);
  }
}

/** inferd_batch_size: a histogram of runtime-call sizes, built at scrape time from the schedulers' counts. */
function registerBatchSizes(registry: Registry, options: RequestMetricsOptions): void {
  const name = 'inferd_batch_size';
  const help = 'Rows per runtime call (dynamic batches).';
  const metric: LineSource & Record<string, unknown> = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      values: await valuesInTurns(options.versions(), (v, out: ReturnType<typeof batchHistogramValues>) =>
        out.push(...batchHistogramValues(v)),
      ),
    }),
    *lines() {
      for (const v of options.versions()) yield* batchHistogramLines(v);
    },
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]); // a collector-only metric: prom-client reads get()
}

function batchFigures(v: VersionFigures) {
  const below = (le: number) => v.batches.filter((b) => b.batchSize <= le).reduce((n, b) => n + b.count, 0);
  const count = v.batches.reduce((n, b) => n + b.count, 0);
  const sum = v.batches.reduce((n, b) => n + b.batchSize * b.count, 0);
  return { below, count, sum };
}

function batchHistogramValues(v: VersionFigures) {
  const labels = { model: v.name, version: v.version };
  const { below, count, sum } = batchFigures(v);
  return [
    ...BATCH_BUCKETS.map((le) => ({
      metricName: 'inferd_batch_size_bucket',
      labels: { ...labels, le },
      value: below(le),
    })),
    { metricName: 'inferd_batch_size_bucket', labels: { ...labels, le: '+Inf' }, value: count },
    { metricName: 'inferd_batch_size_sum', labels, value: sum },
    { metricName: 'inferd_batch_size_count', labels, value: count },
  ];
}

/** The same as batchHistogramValues, as text lines (render-metrics.ts). */
function batchHistogramLines(v: VersionFigures): string[] {
  const labels = `model="${escapeLabelValue(v.name)}",version="${escapeLabelValue(v.version)}"`;
  const { below, count, sum } = batchFigures(v);
  return [
    ...BATCH_BUCKETS.map((le) => `inferd_batch_size_bucket{${labels},le="${le}"} ${valueText(below(le))}`),
    `inferd_batch_size_bucket{${labels},le="+Inf"} ${valueText(count)}`,
    `inferd_batch_size_sum{${labels}} ${valueText(sum)}`,
    `inferd_batch_size_count{${labels}} ${valueText(count)}`,
  ];
}

function registerVersionGauges(registry: Registry, options: RequestMetricsOptions): void {
  registerRowFamily(registry, {
    name: 'inferd_model_load_seconds',
    help: 'How long loading a model version took.',
    type: 'gauge',
    labelNames: ['model', 'version'],
    rows: () => options.versions(),
    labels: (v) => [v.name, v.version],
    value: (v) => (v.loadMs === undefined ? undefined : v.loadMs / 1000),
  });
  registerRowFamily(registry, {
    name: 'inferd_cpu_seconds_per_inference',
    help: 'Process CPU seconds per inferred row since start, split across models by their compute time.',
    type: 'gauge',
    labelNames: ['model'],
    rows: () => cpuPerInference(options.versions()),
    labels: ([model]) => [model],
    value: ([, s]) => s,
  });
  registerRowFamily(registry, {
    name: 'inferd_cost_per_1k_inferences',
    help: 'Cost of 1000 inferences at the configured price of a CPU-second (cost_per_cpu_second).',
    type: 'gauge',
    labelNames: ['model'],
    rows: () => cpuPerInference(options.versions()),
    labels: ([model]) => [model],
    value: ([, s]) => s * 1000 * options.costPerCpuSecond,
  });
}

/** CPU seconds per row for each model: the process's CPU time shared by each model's share of compute time. */
function cpuPerInference(versions: readonly VersionFigures[]): Map<string, number> {
  const usage = process.cpuUsage();
  const cpuSeconds = (usage.user + usage.system) / 1e6;
  const byModel = new Map<string, { computeNs: number; rows: number }>();
  for (const v of versions) {
    const m = byModel.get(v.name) ?? { computeNs: 0, rows: 0 };
    m.computeNs += v.computeInfer.ns;
    m.rows += v.inferenceCount;
    byModel.set(v.name, m);
  }
  const totalCompute = [...byModel.values()].reduce((n, m) => n + m.computeNs, 0);
  const out = new Map<string, number>();
  for (const [model, m] of byModel) {
    if (m.rows === 0 || totalCompute === 0) continue;
    out.set(model, (cpuSeconds * (m.computeNs / totalCompute)) / m.rows);
  }
  return out;
}
