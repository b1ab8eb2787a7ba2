/**
 * Metadata, configuration, statistics and repository index from the core → their protobuf messages
 * (Triton's shapes).
 */
import type { ModelConfig } from '../../config/index.js';
import type { VersionStatistics } from '../../inference/inference-service.js';
import type { ModelMetadata, TensorMetadata } from '../../inference/model-metadata.js';
import { encodeModelConfig } from '../../protocol/triton-config-json.js';
import type { OutgoingMessage } from './messages.js';
import { versionLabel } from '../../config/version-label.js';

interface Duration {
  readonly count: number;
  readonly ns: number;
}

interface IndexEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
}

const NONE: Duration = { count: 0, ns: 0 };

/** A StatisticDuration (whole nanoseconds). */
function duration(d: Duration): Duration {
  return { count: d.count, ns: Math.round(d.ns) };
}

function tensorMetadata(t: TensorMetadata): OutgoingMessage {
  return { name: t.name, datatype: t.datatype, shape: [...t.shape] };
}

/**
 * ModelMetadataResponse: name, versions, platform, inputs and outputs (-1 = any size), and the model's parameters
 * as string parameters (field 6, inferd's addition).
 */
export function encodeModelMetadata(m: ModelMetadata): OutgoingMessage {
  const parameters = Object.fromEntries(Object.entries(m.parameters ?? {}).map(([k, v]) => [k, { string_param: v }]));
  return { name: m.name, versions: [...m.versions], platform: m.platform, inputs: m.inputs.map(tensorMetadata), outputs: m.outputs.map(tensorMetadata), parameters };
}

/**
 * ModelConfigResponse. The config's Triton JSON form (the one GET /v2/models/{m}/config answers) already uses
 * ModelConfig's field names; fields the reduced message lacks are dropped by the serializer.
 */
export function encodeModelConfigResponse(config: ModelConfig): OutgoingMessage {
  return { config: encodeModelConfig(config) };
}

/** One ModelStatistics message: counts, durations and per-batch-size compute times. */
export function encodeVersionStatistics(s: VersionStatistics): OutgoingMessage {
  return {
    name: s.name,
    version: s.version,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: duration(s.success),
      fail: duration(s.fail),
      queue: duration(s.queue),
      compute_input: duration(s.computeInput),
      compute_infer: duration(s.computeInfer),
      compute_output: duration(s.computeOutput),
      cache_hit: NONE,
      cache_miss: NONE,
    },
    batch_stats: s.batches.map((b) => ({
      batch_size: b.batchSize,
      compute_input: duration({ count: b.count, ns: b.inputNs }),
      compute_infer: duration({ count: b.count, ns: b.computeNs }),
      compute_output: duration({ count: b.count, ns: b.outputNs }),
    })),
  };
}

/** RepositoryIndexResponse; `readyOnly` keeps the READY entries. */
export function encodeRepositoryIndex(entries: readonly IndexEntry[], readyOnly: boolean): OutgoingMessage {
  return {
    models: entries
      .filter((e) => !readyOnly || e.state === 'READY')
      .map((e) => ({ name: e.name, version: e.version === undefined ? '' : versionLabel(e.version), state: e.state, reason: e.reason ?? '' })),
  };
}
