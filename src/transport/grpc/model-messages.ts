/**
 * Metadata, configuration and repository index from the core → their protobuf messages (Triton's shapes).
 * Statistics share their shape with the HTTP door: protocol/model-statistics.ts.
 */
import type { ModelConfig } from '../../config/index.js';
import type { ModelMetadata, TensorMetadata } from '../../inference/model-metadata.js';
import { encodeModelConfig } from '../../protocol/triton-config-json.js';
import type { OutgoingMessage } from './messages.js';
import { versionLabel } from '../../config/version-label.js';

interface IndexEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
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
  return {
    name: m.name,
    versions: [...m.versions],
    platform: m.platform,
    inputs: m.inputs.map(tensorMetadata),
    outputs: m.outputs.map(tensorMetadata),
    parameters,
  };
}

/**
 * ModelConfigResponse. The config's Triton JSON form (the one GET /v2/models/{m}/config answers) already uses
 * ModelConfig's field names; fields the reduced message lacks are dropped by the serializer.
 */
export function encodeModelConfigResponse(config: ModelConfig): OutgoingMessage {
  return { config: encodeModelConfig(config) };
}

/** RepositoryIndexResponse; `readyOnly` keeps the READY entries. */
export function encodeRepositoryIndex(entries: readonly IndexEntry[], readyOnly: boolean): OutgoingMessage {
  return {
    models: entries
      .filter((e) => !readyOnly || e.state === 'READY')
      .map((e) => ({
        name: e.name,
        version: e.version === undefined ? '' : versionLabel(e.version),
        state: e.state,
        reason: e.reason ?? '',
      })),
  };
}
