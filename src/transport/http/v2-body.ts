/**
 * A V2 inference request body as bytes → InferenceRequest: plain JSON, or (with Inference-Header-Content-Length)
 * a JSON header followed by binary tensor data. Every failure is the caller's mistake (an InferenceError with a
 * 4xx code); the fuzz suite in test/fuzz holds this function to that.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import type { InferenceRequest } from '../../inference/types.js';
import {
  decodeInferRequest,
  DEFAULT_DECODE_LIMITS,
  DEFAULT_MAX_JSON_DEPTH,
  parseJsonBody,
  type V2DecodeLimits,
} from '../../protocol/v2-json.js';
import { splitBinaryBody } from './binary-body.js';
import { checkV2Declared, type ShapeSignature } from '../../protocol/declared-shape.js';

export type V2BodyLimits = V2DecodeLimits & { readonly maxJsonDepth: number };

export const DEFAULT_BODY_LIMITS: V2BodyLimits = Object.freeze({
  ...DEFAULT_DECODE_LIMITS,
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
});

/** What the route knows of a request besides its body. */
export interface V2BodyContext {
  readonly model: string;
  readonly version?: string | undefined;
  /** The Inference-Header-Content-Length header as received (node joins repeated headers). */
  readonly headerLength?: string | string[] | undefined;
}

/**
 * With `signature` (the model the request will reach), each input's declared shape and datatype are checked
 * against it before any data is decoded (declared-shape.ts).
 */
export function decodeV2Body(
  body: Buffer,
  { model, version, headerLength }: V2BodyContext,
  limits: V2BodyLimits = DEFAULT_BODY_LIMITS,
  signature?: ShapeSignature,
): InferenceRequest {
  if (headerLength === undefined) {
    const text = body.toString('utf8');
    if (signature) checkV2Declared(text, signature);
    return decodeInferRequest(parseJsonBody(text, limits.maxJsonDepth), model, version, undefined, limits);
  }
  if (typeof headerLength !== 'string')
    throw new InvalidArgumentError('Inference-Header-Content-Length is given more than once; send it once');
  const { json, reader, unread } = splitBinaryBody(body, headerLength);
  if (signature) checkV2Declared(json, signature);
  const request = decodeInferRequest(parseJsonBody(json, limits.maxJsonDepth), model, version, reader, limits);
  if (unread() > 0)
    throw new InvalidArgumentError(
      `${unread()} bytes of binary data follow the JSON header but no input claims them (binary_data_size)`,
    );
  return request;
}
