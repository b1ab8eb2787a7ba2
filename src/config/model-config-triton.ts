/**
 * Triton's `config.pbtxt` (ModelConfig in protobuf text format), for the fields that matter to inferd:
 * name, platform/backend, max_batch_size, input, output, version_policy, dynamic_batching, instance_group,
 * parameters, default_model_filename, and ensembles (`platform: "ensemble"`, read as graphs by triton-ensemble.ts). Other fields (optimization, model_warmup, ...) are accepted and ignored,
 * so an existing Triton ONNX model repository serves unchanged; those that would change answers if ignored
 * (sequence_batching, decoupled, reshape, `file:` parameters) are refused with a reason.
 */
import { ConfigError } from '../errors/index.js';
import type { TensorSpec } from '../tensor/index.js';
import { definedOnly } from '../lib/objects.js';
import { parseDatatypeName } from './datatype-names.js';
import {
  MAX_INSTANCE_COUNT,
  type ModelConfigSource,
  type OnnxOptions,
  type RuntimeKind,
  type SchedulingConfig,
  type VersionPolicy,
} from './model-config.js';
import { asArray, parseTextProto, type TextMessage, type TextValue } from './pbtxt.js';
import { resilienceFromParameters } from './model-config-resilience.js';
import { ensembleGraph } from './triton-ensemble.js';

function isMessage(v: TextValue | undefined): v is TextMessage {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: TextValue | undefined, file: string, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new ConfigError(`${file}: ${field} must be a number, got '${String(v)}'`);
  return n;
}

function tensorSpecs(list: TextValue | undefined, file: string, field: string): TensorSpec[] | undefined {
  if (list === undefined) return undefined;
  return asArray(list).map((item, i) => {
    if (!isMessage(item)) throw new ConfigError(`${file}: ${field}[${i}] must be a message`);
    const name = item.name;
    if (typeof name !== 'string' || !name) throw new ConfigError(`${file}: ${field}[${i}] needs a name`);
    const datatype = typeof item.data_type === 'string' ? parseDatatypeName(item.data_type) : undefined;
    if (!datatype)
      throw new ConfigError(`${file}: ${field} '${name}' has an unknown data_type '${String(item.data_type)}'`);
    const dims = asArray(item.dims).map((d) => num(d, file, `${field} '${name}' dims`) ?? 0);
    return { name, datatype, dims };
  });
}

/** Triton's `label_filename` on outputs, by output name. */
function labelFilenames(list: TextValue | undefined): Record<string, string> | undefined {
  const entries = asArray(list).flatMap((o) =>
    isMessage(o) && typeof o.name === 'string' && typeof o.label_filename === 'string' && o.label_filename
      ? [[o.name, o.label_filename] as const]
      : [],
  );
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function versionPolicy(v: TextValue | undefined, file: string): VersionPolicy | undefined {
  if (!isMessage(v)) return undefined;
  if ('all' in v) return { kind: 'all' };
  if (isMessage(v.latest))
    return { kind: 'latest', numVersions: num(v.latest.num_versions, file, 'num_versions') ?? 1 };
  if (isMessage(v.specific)) {
    return { kind: 'specific', versions: asArray(v.specific.versions).map((x) => num(x, file, 'versions') ?? 0) };
  }
  throw new ConfigError(`${file}: version_policy must hold latest, all or specific`);
}

function scheduling(v: TextValue | undefined, file: string): Partial<SchedulingConfig> {
  // Triton without dynamic_batching runs each request as it comes: no joining.
  if (!isMessage(v)) return { dynamicBatching: false };
  const q = isMessage(v.default_queue_policy) ? v.default_queue_policy : {};
  return definedOnly({
    dynamicBatching: true,
    preferredBatchSizes:
      v.preferred_batch_size === undefined
        ? undefined
        : asArray(v.preferred_batch_size).map((x) => num(x, file, 'preferred_batch_size') ?? 1),
    maxQueueDelayMicroseconds: num(v.max_queue_delay_microseconds, file, 'max_queue_delay_microseconds'),
    maxQueueSize: num(q.max_queue_size, file, 'max_queue_size'),
    defaultTimeoutMicroseconds: num(q.default_timeout_microseconds, file, 'default_timeout_microseconds'),
    priorityLevels: num(v.priority_levels, file, 'priority_levels'),
    defaultPriorityLevel: num(v.default_priority_level, file, 'default_priority_level'),
  });
}

function parameters(v: TextValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMessage(v) && !('key' in v)) {
    // JSON form of the map: { "name": { "string_value": "x" } }
    for (const [key, value] of Object.entries(v))
      out[key] = isMessage(value) ? String(value.string_value ?? '') : String(value);
    return out;
  }
  for (const entry of asArray(v)) {
    if (!isMessage(entry) || typeof entry.key !== 'string') continue;
    const value = entry.value;
    out[entry.key] = isMessage(value) ? String(value.string_value ?? '') : String(value ?? '');
  }
  return out;
}

function runtimeOf(m: TextMessage, file: string): RuntimeKind | undefined {
  const p = (m.platform ?? m.backend) as string | undefined;
  if (p === undefined) return undefined;
  if (p === 'ensemble') return 'graph';
  if (p === 'onnxruntime_onnx' || p === 'onnxruntime') return 'onnx';
  if (p === 'fil' || p === 'xgboost') return 'xgboost';
  throw new ConfigError(
    `${file}: platform/backend '${p}' is not supported; inferd serves onnxruntime_onnx and fil (xgboost_json) models`,
  );
}

function onnxOptions(params: Record<string, string>): Partial<OnnxOptions> {
  const n = (k: string) => (params[k] === undefined ? undefined : Number(params[k]));
  return definedOnly({ intraOpThreads: n('intra_op_thread_count'), interOpThreads: n('inter_op_thread_count') });
}

/** Triton's FIL backend names its file by model_type; inferd serves the XGBoost JSON kind. */
function filFilename(m: TextMessage, params: Record<string, string>, file: string): string | undefined {
  if (m.backend !== 'fil') return undefined;
  const type = params.model_type ?? 'xgboost';
  if (type !== 'xgboost_json') {
    throw new ConfigError(
      `${file}: FIL model_type '${type}' is not supported; inferd serves model_type "xgboost_json" (save the model with save_model("xgboost.json"))`,
    );
  }
  return 'xgboost.json';
}

/** The instances of all groups: each group's count a whole number from 1, the total at most MAX_INSTANCE_COUNT. */
function instanceCount(groups: readonly TextMessage[], file: string): number | undefined {
  if (groups.length === 0) return undefined;
  let total = 0;
  groups.forEach((g, i) => {
    const count = num(g.count, file, `instance_group[${i}].count`) ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new ConfigError(
        `${file}: instance_group[${i}].count must be a whole number from 1 to ${MAX_INSTANCE_COUNT}, got ${count}; leave it out for one instance`,
      );
    }
    total += count;
  });
  if (total > MAX_INSTANCE_COUNT) {
    throw new ConfigError(
      `${file}: instance_group asks for ${total} instances in all, above the limit of ${MAX_INSTANCE_COUNT} per model (each is a worker thread with its own copy of the model); ask for fewer`,
    );
  }
  return total;
}

/** Parses a Triton `config.pbtxt`. */
export function parseTritonConfig(text: string, file = 'config.pbtxt'): ModelConfigSource {
  return tritonConfigFromMessage(parseTextProto(text, file), file);
}

/** Reads Triton's ModelConfig in its JSON form (as a load request's `config` parameter carries it). */
export function parseTritonConfigJson(text: string, source: string): ModelConfigSource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: the config is not valid JSON: ${(err as Error).message}`);
  }
  if (!isMessage(value as TextValue))
    throw new ConfigError(`${source}: the config must be a JSON object (Triton's ModelConfig)`);
  return tritonConfigFromMessage(value as TextMessage, source);
}

/**
 * Triton features that would change answers if inferd ignored them: refused with what to do instead, so a
 * repository never serves something other than what its config says.
 */
function assertSupportedFeatures(m: TextMessage, params: Record<string, string>, file: string): void {
  const refuse = (what: string, todo: string) => {
    throw new ConfigError(`${file}: ${what} is not supported by inferd; ${todo}`);
  };
  if (m.sequence_batching !== undefined)
    refuse('sequence_batching (stateful models)', 'serve a stateless model, or use dynamic_batching');
  if (m.ensemble_scheduling !== undefined && m.platform !== 'ensemble')
    refuse('ensemble_scheduling without platform: "ensemble"', 'set platform: "ensemble"');
  if (m.platform === 'ensemble' && m.ensemble_scheduling === undefined)
    refuse('platform: "ensemble" without ensemble_scheduling', "declare the ensemble's steps in ensemble_scheduling");
  if (
    isMessage(m.model_transaction_policy) &&
    (m.model_transaction_policy.decoupled === true || m.model_transaction_policy.decoupled === 'true')
  ) {
    refuse('model_transaction_policy { decoupled: true }', 'inferd answers each request once; remove it');
  }
  for (const field of ['input', 'output'] as const) {
    for (const t of asArray(m[field])) {
      if (isMessage(t) && t.reshape !== undefined)
        refuse(`${field} '${String(t.name)}' reshape`, 'give dims the shape the model itself takes and remove reshape');
    }
  }
  const fileParam = Object.keys(params).find((k) => k.startsWith('file:'));
  if (fileParam !== undefined)
    refuse(
      `parameter '${fileParam.slice(0, 64)}' (model files in the config)`,
      'put the model files in the version folder of the model repository',
    );
}

function tritonConfigFromMessage(m: TextMessage, file: string): ModelConfigSource {
  const params = parameters(m.parameters);
  assertSupportedFeatures(m, params, file);
  const groups = asArray(m.instance_group).filter(isMessage);
  const { fallback, ...concurrency } = resilienceFromParameters(params, file);
  return {
    source: file,
    name: typeof m.name === 'string' ? m.name : undefined,
    runtime: runtimeOf(m, file),
    platform: typeof m.platform === 'string' ? m.platform : undefined,
    maxBatchSize: num(m.max_batch_size, file, 'max_batch_size'),
    inputs: tensorSpecs(m.input, file, 'input'),
    outputs: tensorSpecs(m.output, file, 'output'),
    labelFilenames: labelFilenames(m.output),
    versionPolicy: versionPolicy(m.version_policy, file),
    scheduling: { ...scheduling(m.dynamic_batching, file), ...definedOnly(concurrency) },
    ...(fallback ? { fallback } : {}),
    instanceCount: instanceCount(groups, file),
    parameters: params,
    onnx: onnxOptions(params),
    defaultModelFilename:
      typeof m.default_model_filename === 'string' ? m.default_model_filename : filFilename(m, params, file),
    ...(m.ensemble_scheduling === undefined
      ? {}
      : {
          graph: ensembleGraph(
            m.ensemble_scheduling,
            asArray(m.output).flatMap((o) => (isMessage(o) && typeof o.name === 'string' ? [o.name] : [])),
            file,
          ),
        }),
  };
}
