/**
 * The in-process fuzz properties over the four request decoders, run by the quick suite (decoders.fuzz.test.ts,
 * part of `npm test`) and by `npm run fuzz` (fuzz-runner.ts) with many more cases. Each property decodes exactly
 * what the server decodes for a request: the V2 body (JSON, or binary with Inference-Header-Content-Length), the
 * V1 predict body, and the ModelInferRequest bytes through the gRPC server's own deserializer.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_DECODE_LIMITS } from '../../src/protocol/decode-limits.js';
import { decodePredictRequest } from '../../src/protocol/v1-json.js';
import { DEFAULT_MAX_JSON_DEPTH, parseJsonBody } from '../../src/protocol/v2-json.js';
import { tensorDataToJson, type Tensor } from '../../src/tensor/index.js';
import { decodeModelInferRequest } from '../../src/transport/grpc/infer-request.js';
import { assertWellFormed, withTolerantDeserializers } from '../../src/transport/grpc/malformed-message.js';
import type { ModelInferRequest } from '../../src/transport/grpc/messages.js';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { decodeV2Body } from '../../src/transport/http/v2-body.js';
import type { JsonTensorValue } from './arbitraries.js';
import { assertWellFormedRequest, checkDecode, type FuzzTally } from './decode-check.js';
import { grpcRequestBytes, serializeInferRequest, wellFormedGrpc } from './grpc-arbitraries.js';
import { v1Case, wellFormedV1 } from './v1-arbitraries.js';
import { anyBinary, v2JsonBody, wellFormedBinary, wellFormedV2 } from './v2-arbitraries.js';

const LIMITS = DEFAULT_DECODE_LIMITS;
const BODY_LIMITS = { ...LIMITS, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH };
const deserialize = withTolerantDeserializers(inferenceServiceDefinition()).ModelInfer!.requestDeserialize;

/** Decodes ModelInferRequest bytes exactly as the gRPC server does: tolerant deserializer, then the decoder. */
function decodeGrpcBytes(bytes: Buffer) {
  const message = deserialize(bytes);
  assertWellFormed('ModelInfer', message);
  return decodeModelInferRequest(message as ModelInferRequest, LIMITS);
}

/** The generated elements as the decoder should have stored them (FP32 rounded, null as NaN, integers as text). */
function expectedValues(t: JsonTensorValue): unknown[] {
  const round = t.datatype === 'FP32' ? Math.fround : (v: number) => v;
  return t.data
    .map((v) =>
      v === null
        ? NaN
        : typeof v === 'number'
          ? t.datatype.includes('INT')
            ? String(v)
            : round(v)
          : typeof v === 'string' && t.datatype.includes('INT')
            ? String(BigInt(v))
            : v,
    )
    .map(zeroSign);
}

function decodedValues(t: Tensor): unknown[] {
  if (t.datatype === 'INT64' || t.datatype === 'UINT64') return Array.from(t.data as BigInt64Array, String);
  return tensorDataToJson(t.data, t.datatype).map((v) =>
    typeof v === 'number' && t.datatype.includes('INT') ? String(v) : zeroSign(v),
  );
}

/** JSON writes -0 as 0: compare zeros without their sign. */
function zeroSign(v: unknown): unknown {
  return v === 0 ? 0 : v;
}

/** Well-formed input decoded to the same names, datatypes, shapes and (except FP16/BF16, which round) values. */
function assertSameTensors(decoded: readonly Tensor[], sent: readonly JsonTensorValue[]): void {
  assert.deepEqual(
    decoded.map((t) => [t.name, t.datatype, t.shape]),
    sent.map((t) => [t.name, t.datatype, t.shape]),
  );
  sent.forEach((t, i) => {
    if (t.datatype === 'FP16' || t.datatype === 'BF16') return;
    assert.deepEqual(decodedValues(decoded[i]!), expectedValues(t), `values of input '${t.name}' (${t.datatype})`);
  });
}

/** A counterexample as text, Buffers as their UTF-8 text and every long string cut (fc.stringify fails on megabytes). */
function preview(value: unknown): string {
  const cut = (t: string) => (t.length > 300 ? `${t.slice(0, 300)}...(${t.length} chars)` : t);
  return (
    JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      const raw = key === '' ? v : this[key]; // Buffers arrive already turned into {type, data} by their toJSON
      if (Buffer.isBuffer(raw)) return `<${raw.length} bytes> ${cut(raw.toString('utf8'))}`;
      if (typeof v === 'string') return cut(v);
      if (typeof v === 'bigint') return `${v}n`;
      return v;
    }) ?? String(value)
  );
}

/** Fails with the seed, the error and a counterexample cut to a readable length (bodies can be megabytes). */
function shortReport<T>(details: fc.RunDetails<T>): void {
  if (!details.failed) return;
  const example = preview(details.counterexample);
  const shown = example.length > 600 ? `${example.slice(0, 600)}... (${example.length} characters)` : example;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `property failed after ${details.numRuns} cases (seed ${details.seed}, path "${details.counterexamplePath}"): ${error.slice(0, 600)}\ncounterexample: ${shown}`,
  );
}

/** One fuzz property: `run` checks `numRuns` generated cases and adds them to the tally. */
export interface DecoderProperty {
  readonly name: string;
  /** Share of a fuzz run's total cases (hostile properties get most). */
  readonly weight: number;
  run(numRuns: number, tally: FuzzTally, seed?: number): void;
}

function property<T>(
  name: string,
  weight: number,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T, tally: FuzzTally) => void,
): DecoderProperty {
  return {
    name,
    weight,
    run: (numRuns, tally, seed) =>
      fc.assert(
        fc.property(arbitrary, (value) => check(value, tally)),
        { numRuns, ...(seed === undefined ? {} : { seed }), reporter: shortReport, endOnFailure: true },
      ),
  };
}

export const DECODER_PROPERTIES: readonly DecoderProperty[] = [
  property(
    'V2 JSON: any body decodes to a well-formed request or a 4xx InferenceError',
    4,
    v2JsonBody,
    (body, tally) => {
      const request = checkDecode(tally, body.length, () => decodeV2Body(body, { model: 'm' }, BODY_LIMITS));
      if (request) assertWellFormedRequest(request, LIMITS);
    },
  ),
  property('V2 JSON: well-formed requests decode to the values sent', 1, wellFormedV2, (value, tally) => {
    const body = Buffer.from(JSON.stringify(value));
    const request = checkDecode(tally, body.length, () => decodeV2Body(body, { model: 'm' }, BODY_LIMITS));
    assert.ok(request, `a well-formed request was refused: ${body.toString().slice(0, 300)}`);
    assertSameTensors(request.inputs, value.inputs);
  }),
  property(
    'V2 binary: any body and header length decode to a well-formed request or a 4xx InferenceError',
    4,
    anyBinary,
    ({ body, headerLength }, tally) => {
      const request = checkDecode(tally, body.length, () =>
        decodeV2Body(body, { model: 'm', headerLength }, BODY_LIMITS),
      );
      if (request) assertWellFormedRequest(request, LIMITS);
    },
  ),
  property('V2 binary: well-formed bodies decode', 1, wellFormedBinary, ({ body, headerLength }, tally) => {
    const request = checkDecode(tally, body.length, () =>
      decodeV2Body(body, { model: 'm', headerLength }, BODY_LIMITS),
    );
    assert.ok(
      request,
      `a well-formed binary body was refused (header ${headerLength}): ${body.toString().slice(0, 300)}`,
    );
    assertWellFormedRequest(request, LIMITS);
  }),
  property(
    'V1: any predict body decodes to a well-formed request or a 4xx InferenceError',
    4,
    v1Case,
    ({ signature, body }, tally) => {
      const decoded = checkDecode(tally, body.length, () =>
        decodePredictRequest(
          parseJsonBody(body.toString('utf8'), BODY_LIMITS.maxJsonDepth),
          signature,
          signature.name,
          undefined,
          LIMITS,
        ),
      );
      if (decoded) assertWellFormedRequest(decoded.request, LIMITS);
    },
  ),
  property('V1: well-formed predict bodies decode', 1, wellFormedV1, ({ signature, body }, tally) => {
    const decoded = checkDecode(tally, body.length, () =>
      decodePredictRequest(parseJsonBody(body.toString('utf8')), signature, signature.name, undefined, LIMITS),
    );
    assert.ok(decoded, `a well-formed V1 body for '${signature.name}' was refused: ${body.toString().slice(0, 300)}`);
    assertWellFormedRequest(decoded.request, LIMITS);
  }),
  property(
    'gRPC: any ModelInferRequest bytes decode to a well-formed request or a 4xx InferenceError',
    4,
    grpcRequestBytes,
    (bytes, tally) => {
      const request = checkDecode(tally, bytes.length, () => decodeGrpcBytes(bytes));
      if (request) assertWellFormedRequest(request, LIMITS);
    },
  ),
  property(
    'gRPC: well-formed ModelInferRequests decode to the values sent',
    1,
    wellFormedGrpc,
    ({ message, tensors }, tally) => {
      const bytes = serializeInferRequest(message);
      const request = checkDecode(tally, bytes.length, () => decodeGrpcBytes(bytes));
      assert.ok(request, `a well-formed ModelInferRequest was refused`);
      assertSameTensors(request.inputs, tensors);
    },
  ),
];
