/**
 * The server's gRPC service is built from the protos' JSON form (src/transport/grpc/inference-proto-json.ts, made by
 * scripts/generate-proto-json.js): it must say what proto/*.proto say, and the definition built from it must
 * encode and decode exactly as @grpc/proto-loader's (which clients and the tests' own client use).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { INFERENCE_PROTO_JSON } from '../../src/transport/grpc/inference-proto-json.js';
import { inferenceServiceDefinition, PROTO_FILE, PROTO_LOADER_OPTIONS } from '../../src/transport/grpc/proto-loader.js';
import { ROOT } from '../helpers/root.js';

const PROTO_DIR = join(ROOT, 'proto');

function protoLoaderDefinition() {
  const pkg = loadSync(PROTO_FILE, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  return ((loadPackageDefinition(pkg).inference as GrpcObject).GRPCInferenceService as ServiceClientConstructor)
    .service;
}

test('the generated JSON is the .proto files as they are now (run scripts/generate-proto-json.js after editing them)', () => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(PROTO_FILE, { keepCase: true });
  root.resolveAll();
  assert.deepEqual(INFERENCE_PROTO_JSON, JSON.parse(JSON.stringify(root.toJSON())));
});

test("every method has proto-loader's path, streaming, name and model field", () => {
  const ours = inferenceServiceDefinition();
  const theirs = protoLoaderDefinition();
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const [name, method] of Object.entries(theirs)) {
    const mine = ours[name]!;
    assert.deepEqual(
      [mine.path, mine.requestStream, mine.responseStream, mine.originalName],
      [method.path, method.requestStream, method.responseStream, method.originalName],
      name,
    );
    // proto-loader keeps the request's descriptor: its model_name (else name) string field.
    const fields =
      (method as { requestType?: { type?: { field?: Array<{ name: string; number: number; type: string }> } } })
        .requestType?.type?.field ?? [];
    const field = fields.find((f) => f.name === 'model_name') ?? fields.find((f) => f.name === 'name');
    assert.equal(mine.modelField, field?.type === 'TYPE_STRING' ? field.number : undefined, name);
  }
});

test('requests and responses encode to the same bytes and decode to the same objects as with proto-loader', () => {
  const ours = inferenceServiceDefinition();
  const theirs = protoLoaderDefinition();
  const request = {
    model_name: 'digits',
    model_version: '1',
    id: 'r1',
    parameters: { priority: { int64_param: '2' }, flag: { bool_param: true } },
    inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '2'], contents: { fp32_contents: [1.5, -2] } }],
    outputs: [{ name: 'probabilities' }],
    raw_input_contents: [Buffer.from([1, 2, 3])],
  };
  const bytes = theirs.ModelInfer.requestSerialize(request);
  assert.deepEqual(ours.ModelInfer!.requestSerialize(request), bytes);
  assert.deepEqual(ours.ModelInfer!.requestDeserialize(bytes), theirs.ModelInfer.requestDeserialize(bytes));
  const response = {
    model_name: 'digits',
    model_version: '1',
    outputs: [{ name: 'label', datatype: 'INT64', shape: ['1'], contents: { int64_contents: ['7'] } }],
  };
  const out = theirs.ModelInfer.responseSerialize(response);
  assert.deepEqual(ours.ModelInfer!.responseSerialize(response), out);
  assert.deepEqual(ours.ModelInfer!.responseDeserialize(out), theirs.ModelInfer.responseDeserialize(out));
  const empty = theirs.ServerReady.requestSerialize({});
  assert.deepEqual(ours.ServerReady!.requestDeserialize(empty), theirs.ServerReady.requestDeserialize(empty));
});
