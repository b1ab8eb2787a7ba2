/**
 * A model's completed configuration in the JSON form of Triton's ModelConfig, as `GET /v2/models/{m}/config`
 * answers it (what tritonclient's get_model_config reads).
 */
import type { ModelConfig } from '../config/index.js';
import type { TensorSpec } from '../tensor/index.js';
import { encodeGraph } from './graph-config-json.js';

function tensorConfig(s: TensorSpec) {
  return { name: s.name, data_type: `TYPE_${s.datatype === 'BYTES' ? 'STRING' : s.datatype}`, dims: s.dims };
}

function versionPolicy(config: ModelConfig) {
  const p = config.versionPolicy;
  if (p.kind === 'all') return { all: {} };
  if (p.kind === 'latest') return { latest: { num_versions: p.numVersions } };
  return { specific: { versions: p.versions } };
}

export function encodeModelConfig(config: ModelConfig): Record<string, unknown> {
  const s = config.scheduling;
  const out: Record<string, unknown> = {
    name: config.name,
    platform: config.platform,
    ...(config.runtime === 'graph' ? {} : { backend: config.runtime === 'onnx' ? 'onnxruntime' : 'fil' }),
    runtime: config.runtime,
    max_batch_size: config.maxBatchSize,
    input: config.inputs.map(tensorConfig),
    output: config.outputs.map(tensorConfig),
    version_policy: versionPolicy(config),
    instance_group: [{ count: config.instanceCount, kind: 'KIND_CPU' }],
    ...(config.graph ? encodeGraph(config.graph) : { default_model_filename: config.defaultModelFilename }),
    parameters: Object.fromEntries(Object.entries(config.parameters).map(([k, v]) => [k, { string_value: v }])),
  };
  if (s.dynamicBatching) {
    out.dynamic_batching = {
      preferred_batch_size: s.preferredBatchSizes,
      max_queue_delay_microseconds: s.maxQueueDelayMicroseconds,
      priority_levels: s.priorityLevels,
      default_priority_level: s.defaultPriorityLevel,
      default_queue_policy: {
        max_queue_size: s.maxQueueSize,
        default_timeout_microseconds: s.defaultTimeoutMicroseconds,
      },
    };
  }
  if (config.runtime === 'onnx')
    out.onnx = {
      intra_op_threads: config.onnx.intraOpThreads,
      inter_op_threads: config.onnx.interOpThreads,
      graph_optimization_level: config.onnx.graphOptimizationLevel,
      allow_spinning: config.onnx.allowSpinning,
    };
  return out;
}
