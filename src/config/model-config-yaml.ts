/**
 * Our own model config format, `config.yaml`. Field names follow Triton's config.pbtxt in snake_case so a
 * Triton user reads it at sight; every field is optional.
 *
 * ```yaml
 * max_batch_size: 64
 * inputs:  [{ name: input, datatype: FP32, dims: [64] }]
 * outputs: [{ name: logits, datatype: FP32, dims: [10], label_filename: labels.txt }]
 * version_policy: { latest: 2 }        # or: all, or { specific: [1, 3] }
 * dynamic_batching: { preferred_batch_size: [16, 32], max_queue_delay_microseconds: 200, max_queue_size: 1024 }
 * instance_group: { count: 1 }
 * onnx: { intra_op_threads: 1, inter_op_threads: 1, graph_optimization_level: all }
 * parameters: { any_key: any_value }
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { parseDatatypeName } from './datatype-names.js';
import { parseFeatureMapping } from './feature-config.js';
import { parseSloConfig } from './slo-config.js';
import { parseDriftConfig } from './drift-config.js';
import { parseCacheConfig } from './cache-config.js';
import { toTraffic, toWarmup, trafficSchema, warmupSchema } from './model-config-traffic.js';
import { adaptiveConcurrencySchema, toAdaptiveConcurrency, toFallback } from './model-config-resilience.js';
import {
  MAX_INSTANCE_COUNT,
  type ModelConfigSource,
  type SchedulingConfig,
  type VersionPolicy,
} from './model-config.js';
import { definedOnly } from '../lib/objects.js';
import { inlineExecutionSchema, toInlineExecution } from './inline-config.js';
import { GRAPH_PLATFORM, parseGraphConfig } from './graph-config.js';
import { PARSE_ONCE } from './parse-once.js';

const dims = z.array(z.number().int().min(-1));
const tensorSpec = z.strictObject({
  name: z.string().min(1),
  datatype: z.string().optional(),
  data_type: z.string().optional(),
  dims: dims.optional(),
  shape: dims.optional(),
});

/** An output may name a label file (Triton's label_filename): one class label per line, for classification. */
const outputSpec = z.strictObject({ ...tensorSpec.shape, label_filename: z.string().min(1).optional() });

const versionPolicy = z.union([
  z.literal('all'),
  z.strictObject({ all: z.object({}).optional().nullable() }),
  z.strictObject({
    latest: z.union([z.number().int().min(1), z.strictObject({ num_versions: z.number().int().min(1) })]),
  }),
  z.strictObject({
    specific: z.union([
      z.array(z.number().int().min(1)),
      z.strictObject({ versions: z.array(z.number().int().min(1)) }),
    ]),
  }),
]);

const queuePolicy = z.strictObject({
  max_queue_size: z.number().int().min(0).optional(),
  default_timeout_microseconds: z.number().int().min(0).optional(),
  max_timeout_microseconds: z.number().int().min(0).optional(),
  allow_timeout_override: z.boolean().optional(),
  timeout_action: z.string().optional(),
});

const dynamicBatching = z.strictObject({
  enabled: z.boolean().optional(),
  preferred_batch_size: z.array(z.number().int().min(1)).optional(),
  max_queue_delay_microseconds: z.number().int().min(0).optional(),
  priority_levels: z.number().int().min(0).optional(),
  default_priority_level: z.number().int().min(0).optional(),
  default_queue_policy: queuePolicy.optional(),
  ...queuePolicy.shape,
});

const instanceGroup = z.strictObject({
  count: z.number().int().min(1).max(MAX_INSTANCE_COUNT).optional(),
  kind: z.string().optional(),
});

export const modelConfigYamlSchema = z.strictObject({
  name: z.string().min(1).optional(),
  runtime: z.enum(['onnx', 'xgboost', 'graph']).optional(),
  platform: z.string().optional(),
  backend: z.string().optional(),
  max_batch_size: z.number().int().min(0).optional(),
  inputs: z.array(tensorSpec).optional(),
  outputs: z.array(outputSpec).optional(),
  version_policy: versionPolicy.optional(),
  dynamic_batching: z.union([dynamicBatching, z.boolean()]).optional(),
  instance_group: z.union([instanceGroup, z.array(instanceGroup)]).optional(),
  onnx: z
    .strictObject({
      intra_op_threads: z.number().int().min(0).optional(),
      inter_op_threads: z.number().int().min(0).optional(),
      graph_optimization_level: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
      allow_spinning: z.boolean().optional(),
    })
    .optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  default_model_filename: z.string().min(1).optional(),
  /** Online features (see feature-config.ts); validated by parseFeatureMapping. */
  features: z.unknown().optional(),
  warmup: warmupSchema.optional(),
  traffic: trafficSchema.optional(),
  /** Service level objectives (see slo-config.ts); validated by parseSloConfig. */
  slo: z.unknown().optional(),
  /** Overload and failure handling (see model-config-resilience.ts); fallback is validated by toFallback. */
  max_concurrency: z.number().int().min(0).optional(),
  adaptive_concurrency: adaptiveConcurrencySchema.optional(),
  fallback: z.unknown().optional(),
  /** Live drift monitoring (see drift-config.ts); validated by parseDriftConfig. */
  drift: z.unknown().optional(),
  /** Lone requests on the main thread for fast models (see inline-config.ts). */
  inline_execution: inlineExecutionSchema.optional(),
  /** The exact response cache (see cache-config.ts); validated by parseCacheConfig. */
  cache: z.unknown().optional(),
  /** An inference graph over other models (see graph-config.ts); validated by parseGraphConfig. */
  graph: z.unknown().optional(),
});

type YamlConfig = z.infer<typeof modelConfigYamlSchema>;

function toVersionPolicy(p: z.infer<typeof versionPolicy>): VersionPolicy {
  if (p === 'all') return { kind: 'all' };
  if ('latest' in p)
    return { kind: 'latest', numVersions: typeof p.latest === 'number' ? p.latest : p.latest.num_versions };
  if ('specific' in p)
    return { kind: 'specific', versions: Array.isArray(p.specific) ? p.specific : p.specific.versions };
  return { kind: 'all' };
}

function toTensorSpecs(specs: YamlConfig['inputs'], file: string, where: string) {
  return specs?.map((s, i) => {
    const typeName = s.datatype ?? s.data_type;
    const datatype = typeName === undefined ? undefined : parseDatatypeName(typeName);
    if (!datatype) {
      throw new ConfigError(
        `${file}: ${where}[${i}] ('${s.name}') needs a datatype such as FP32 or TYPE_FP32, got '${typeName ?? ''}'`,
      );
    }
    const d = s.dims ?? s.shape;
    if (!d) throw new ConfigError(`${file}: ${where}[${i}] ('${s.name}') needs dims (use -1 for a variable dimension)`);
    return { name: s.name, datatype, dims: d };
  });
}

function labelFilenames(outputs: YamlConfig['outputs']): Record<string, string> | undefined {
  const entries = (outputs ?? []).flatMap((o) => (o.label_filename ? [[o.name, o.label_filename] as const] : []));
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function toScheduling(db: YamlConfig['dynamic_batching']): Partial<SchedulingConfig> | undefined {
  if (db === undefined) return undefined;
  if (typeof db === 'boolean') return { dynamicBatching: db };
  const q = { ...db, ...db.default_queue_policy };
  const s: Record<string, unknown> = {
    dynamicBatching: db.enabled ?? true,
    preferredBatchSizes: db.preferred_batch_size,
    maxQueueDelayMicroseconds: db.max_queue_delay_microseconds,
    maxQueueSize: q.max_queue_size,
    defaultTimeoutMicroseconds: q.default_timeout_microseconds,
    maxTimeoutMicroseconds: q.max_timeout_microseconds,
    priorityLevels: db.priority_levels,
    defaultPriorityLevel: db.default_priority_level,
  };
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Partial<SchedulingConfig>;
}

/** Adds `max_concurrency` and `adaptive_concurrency` (top-level keys: they apply with or without batching). */
function withConcurrency(
  s: Partial<SchedulingConfig> | undefined,
  c: YamlConfig,
  file: string,
): Partial<SchedulingConfig> | undefined {
  if (c.max_concurrency === undefined && c.adaptive_concurrency === undefined) return s;
  return {
    ...s,
    ...(c.max_concurrency === undefined ? {} : { maxConcurrency: c.max_concurrency }),
    ...(c.adaptive_concurrency === undefined
      ? {}
      : { adaptiveConcurrency: toAdaptiveConcurrency(c.adaptive_concurrency, file) }),
  };
}

function runtimeOf(c: YamlConfig): ModelConfigSource['runtime'] {
  if (c.graph !== undefined) {
    if ((c.runtime ?? 'graph') !== 'graph')
      throw new ConfigError(`runtime '${c.runtime}' cannot declare a graph; leave runtime out`);
    return 'graph';
  }
  if (c.runtime) return c.runtime;
  const p = c.platform ?? c.backend;
  if (p === undefined) return undefined;
  if (p === 'onnxruntime_onnx' || p === 'onnxruntime' || p === 'onnx') return 'onnx';
  if (p === 'xgboost' || p === 'xgboost_json' || p === 'fil') return 'xgboost';
  if (p === 'ensemble' || p === GRAPH_PLATFORM) throw new ConfigError(`platform '${p}' needs a graph: section`);
  throw new ConfigError(`platform/backend '${p}' is not supported; use onnxruntime_onnx (ONNX) or xgboost`);
}

/** Parses and validates a `config.yaml`. Errors name the file and the offending field. */
export function parseModelConfigYaml(text: string, file = 'config.yaml'): ModelConfigSource {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = modelConfigYamlSchema.safeParse(raw, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${file}: invalid model config:\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const groups =
    c.instance_group === undefined ? [] : Array.isArray(c.instance_group) ? c.instance_group : [c.instance_group];
  const instances = groups.length ? groups.reduce((n, g) => n + (g.count ?? 1), 0) : undefined;
  if (instances !== undefined && instances > MAX_INSTANCE_COUNT) {
    throw new ConfigError(
      `${file}: instance_group asks for ${instances} instances in all, above the limit of ${MAX_INSTANCE_COUNT} per model (each is a worker thread with its own copy of the model); ask for fewer`,
    );
  }
  let runtime: ModelConfigSource['runtime'];
  try {
    runtime = runtimeOf(c);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  return {
    source: file,
    name: c.name,
    runtime,
    platform: c.platform,
    maxBatchSize: c.max_batch_size,
    inputs: toTensorSpecs(c.inputs, file, 'inputs'),
    outputs: toTensorSpecs(c.outputs, file, 'outputs'),
    versionPolicy: c.version_policy === undefined ? undefined : toVersionPolicy(c.version_policy),
    scheduling: withConcurrency(toScheduling(c.dynamic_batching), c, file),
    instanceCount: instances,
    parameters: c.parameters && Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, String(v)])),
    onnx:
      c.onnx &&
      definedOnly({
        intraOpThreads: c.onnx.intra_op_threads,
        interOpThreads: c.onnx.inter_op_threads,
        graphOptimizationLevel: c.onnx.graph_optimization_level,
        allowSpinning: c.onnx.allow_spinning,
      }),
    defaultModelFilename: c.default_model_filename,
    labelFilenames: labelFilenames(c.outputs),
    features: c.features === undefined ? undefined : parseFeatureMapping(c.features, file),
    warmup: toWarmup(c.warmup),
    traffic: toTraffic(c.traffic),
    slo: c.slo === undefined ? undefined : parseSloConfig(c.slo, file),
    fallback: toFallback(c.fallback, file),
    drift: c.drift === undefined ? undefined : parseDriftConfig(c.drift, file),
    inline: c.inline_execution === undefined ? undefined : toInlineExecution(c.inline_execution),
    cache: c.cache === undefined ? undefined : parseCacheConfig(c.cache, file),
    graph: c.graph === undefined ? undefined : parseGraphConfig(c.graph, file),
  };
}
