/**
 * One inference body (V2, with or without binary data, or V1) as bytes → the core's request: the same function
 * runs on the event loop for small bodies and in the decode worker (decode-pool.ts) for large ones. Each first
 * checks what the body declares against the model (declared-shape.ts), then decodes.
 */
import type { InferenceRequest } from '../../inference/types.js';
import { checkV1Declared, type ShapeSignature } from '../../protocol/declared-shape.js';
import { decodePredictRequest, type V1Format, type V1Signature } from '../../protocol/v1-json.js';
import { parseJsonBody } from '../../protocol/v2-json.js';
import type { DecodeLimits } from '../../protocol/decode-limits.js';
import { decodeV2Body, type V2BodyContext, type V2BodyLimits } from './v2-body.js';

export type DecodeJob =
  | {
      readonly kind: 'v2';
      readonly body: Uint8Array;
      readonly context: V2BodyContext;
      readonly limits: V2BodyLimits;
      readonly signature?: ShapeSignature | undefined;
    }
  | {
      readonly kind: 'v1';
      readonly body: Uint8Array;
      readonly model: string;
      readonly version?: string | undefined;
      readonly limits: DecodeLimits & { readonly maxJsonDepth: number };
      readonly signature: V1Signature;
    };

export interface DecodedBody {
  readonly request: InferenceRequest;
  /** V1 only: how to answer. */
  readonly format?: V1Format;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeJob(job: DecodeJob): DecodedBody {
  const body = asBuffer(job.body);
  if (job.kind === 'v2') return { request: decodeV2Body(body, job.context, job.limits, job.signature) };
  const text = body.toString('utf8');
  checkV1Declared(text, job.signature);
  return decodePredictRequest(
    parseJsonBody(text, job.limits.maxJsonDepth),
    job.signature,
    job.model,
    job.version,
    job.limits,
  );
}
