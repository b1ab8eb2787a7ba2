/**
 * The core's InferenceResponse → ModelInferResponse, with every output's data in raw_output_contents (what
 * tritonclient decodes).
 */
import type { InferenceResponse } from '../../inference/types.js';
import type { OutgoingMessage } from './messages.js';
import { parametersToProto } from './parameters.js';
import { tensorDataToRaw } from '../../tensor/index.js';

/** Encodes a response: model name, the version that answered, the echoed id, outputs and their raw bytes. */
export function encodeModelInferResponse(response: InferenceResponse): OutgoingMessage {
  return {
    model_name: response.model,
    model_version: response.version,
    id: response.id ?? '',
    parameters: parametersToProto(response.parameters),
    outputs: response.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
    raw_output_contents: response.outputs.map((t) => tensorDataToRaw(t.data)),
  };
}
