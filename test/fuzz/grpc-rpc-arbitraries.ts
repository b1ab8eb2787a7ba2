/**
 * Calls to every RPC of `inference.GRPCInferenceService` for the end-to-end fuzz properties, as the method path and
 * the bytes a client sends: hostile model names and versions, load requests with hostile config overrides and
 * parameters, ModelInfer requests with hostile ids, request parameters and requested outputs (binary outputs,
 * classification, timeouts), each sometimes damaged on the wire, and random bytes to every method.
 */
import fc from 'fast-check';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { hostileString, hostileValue, longString, toJsonText } from './arbitraries.js';
import { damaged, grpcRequestBytes, wellFormedGrpc } from './grpc-arbitraries.js';

/** One call: the method name (as in the proto) and the request bytes. */
export interface GrpcCall {
  readonly method: string;
  readonly bytes: Buffer;
}

const definition = inferenceServiceDefinition();

function serialize(method: string, message: object): Buffer {
  return definition[method]!.requestSerialize(message);
}

/** The models the fuzz server serves, names it does not, and hostile names. */
const modelName = fc.oneof(
  { arbitrary: fc.constantFrom('dtypes', 'digits', 'two'), weight: 4 },
  {
    arbitrary: fc.constantFrom('', 'nope', '..', '../digits', 'digits/1', '__proto__', 'constructor', 'a'.repeat(300)),
    weight: 2,
  },
  { arbitrary: hostileString, weight: 2 },
);

const versionText = fc.oneof(
  fc.constantFrom('', '1', '2', '0', '-1', '01', '1.0', '9007199254740993', 'latest'),
  hostileString,
);

const int64Text = fc.constantFrom(
  '0',
  '1',
  '-1',
  '100',
  '2147483647',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
);

/** An InferParameter (one of its oneof fields), hostile values included. */
const inferParameter: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.boolean().map((b) => ({ bool_param: b })),
  int64Text.map((v) => ({ int64_param: v })),
  fc.oneof(fc.constantFrom('', 'true', '1', 'none', 'all'), hostileString).map((s) => ({ string_param: s })),
  fc
    .oneof(fc.double(), fc.constantFrom(0, -1, 1e300, 2 ** 31, 2 ** 53, Number.NaN, Infinity))
    .map((d) => ({ double_param: d })),
  fc.constantFrom('0', '1', '18446744073709551615', '4294967296').map((v) => ({ uint64_param: v })),
  fc.constant({}),
);

/** Request-level parameter names the server reads, then any name. */
const parameterName = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'timeout',
      'priority',
      'sequence_id',
      'binary_data_output',
      'classification',
      'explain',
      'top_k',
      'threshold',
      'headers',
      'binary_data',
      'binary_data_size',
      'shared_memory_region',
    ),
    weight: 4,
  },
  { arbitrary: fc.oneof(fc.constantFrom('__proto__', 'constructor', ''), hostileString), weight: 1 },
);

const parameters = fc.dictionary(parameterName, inferParameter, { maxKeys: 4 });

const requestedOutput = fc.record({
  name: fc.oneof(fc.constantFrom('y', 'out_fp32', 'probabilities', 'label', 'output', ''), hostileString),
  parameters,
});

/** Request ids: ordinary, empty, long (a megabyte), and hostile text. */
const requestId = fc.oneof(
  { arbitrary: fc.string({ maxLength: 12 }), weight: 4 },
  { arbitrary: fc.constantFrom('', longString(4096), longString(1_100_000)), weight: 1 },
  { arbitrary: hostileString, weight: 1 },
);

/** A well-formed ModelInferRequest aimed at a served model, with hostile ids, parameters and requested outputs. */
const inferWithExtras: fc.Arbitrary<Buffer> = fc
  .tuple(wellFormedGrpc, modelName, versionText, requestId, parameters, fc.array(requestedOutput, { maxLength: 3 }))
  .map(([{ message }, model_name, model_version, id, params, outputs]) =>
    serialize('ModelInfer', { ...message, model_name, model_version, id, parameters: params, outputs }),
  )
  .chain(damaged);

/** Triton's load parameters: `config` (a model config as JSON), `file:` overrides, and any name. */
const loadParameterValue = fc.oneof(
  fc.boolean().map((b) => ({ bool_param: b })),
  int64Text.map((v) => ({ int64_param: v })),
  fc
    .oneof(
      fc.constantFrom(
        '',
        '{}',
        'null',
        '[]',
        '{"max_batch_size": -1}',
        '{"instance_group": [{"count": 0}]}',
        '{"instance_group": [{"count": -3}]}',
        '{"instance_group": [{"count": 100000}]}',
        '{"instance_group": [{}]}',
        '{"input": [{"name": "x", "dims": [-7]}]}',
        '{"version_policy": {"specific": {"versions": [99]}}}',
      ),
      hostileValue.map(toJsonText),
      hostileString,
    )
    .map((s) => ({ string_param: s })),
  fc.uint8Array({ maxLength: 32 }).map((b) => ({ bytes_param: Buffer.from(b) })),
);

const loadParameterName = fc.oneof(
  fc.constantFrom('config', 'file:1/model.onnx', 'file:../../etc/passwd', 'file:', 'unknown'),
  hostileString,
);

const repositoryModelRequest = fc.record({
  repository_name: fc.oneof(fc.constant(''), hostileString),
  model_name: modelName,
  parameters: fc.dictionary(loadParameterName, loadParameterValue, { maxKeys: 3 }),
});

/** Messages for the RPCs other than ModelInfer, well-formed with hostile field values. */
const otherMessage: fc.Arbitrary<GrpcCall> = fc.oneof(
  fc
    .tuple(fc.constantFrom('ModelReady', 'ModelMetadata', 'ModelConfig', 'ModelStatistics'), modelName, versionText)
    .map(([method, name, version]) => ({ method, bytes: serialize(method, { name, version }) })),
  fc.tuple(fc.oneof(fc.constant(''), hostileString), fc.boolean()).map(([repository_name, ready]) => ({
    method: 'RepositoryIndex',
    bytes: serialize('RepositoryIndex', { repository_name, ready }),
  })),
  fc.constantFrom('ServerLive', 'ServerReady', 'ServerMetadata').map((method) => ({ method, bytes: Buffer.alloc(0) })),
);

/** Every method but load and unload (grpcControlCall has those). */
const METHODS = Object.keys(definition).filter((m) => m !== 'RepositoryModelLoad' && m !== 'RepositoryModelUnload');

/** A call to any RPC but load and unload: well-formed with hostile values, damaged on the wire, or random bytes. */
export const grpcCall: fc.Arbitrary<GrpcCall> = fc.oneof(
  { arbitrary: otherMessage.chain((c) => damaged(c.bytes).map((bytes) => ({ method: c.method, bytes }))), weight: 6 },
  { arbitrary: inferWithExtras.map((bytes) => ({ method: 'ModelInfer', bytes })), weight: 4 },
  { arbitrary: grpcRequestBytes.map((bytes) => ({ method: 'ModelInfer', bytes })), weight: 1 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...METHODS), fc.uint8Array({ maxLength: 96 }))
      .map(([method, b]) => ({ method, bytes: Buffer.from(b) })),
    weight: 2,
  },
);

/** Load and unload calls: run against a server of their own, since they change what it serves. */
export const grpcControlCall: fc.Arbitrary<GrpcCall> = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom('RepositoryModelLoad', 'RepositoryModelUnload'), repositoryModelRequest)
      .chain(([method, message]) => damaged(serialize(method, message)).map((bytes) => ({ method, bytes }))),
    weight: 6,
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('RepositoryModelLoad', 'RepositoryModelUnload'), fc.uint8Array({ maxLength: 64 }))
      .map(([method, b]) => ({ method, bytes: Buffer.from(b) })),
    weight: 1,
  },
);
