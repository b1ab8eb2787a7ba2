/**
 * The server config's `limits:` (JSON depth, number of inputs, BYTES length) hold on the V1 and gRPC doors as on
 * V2: a started server with small limits refuses what exceeds them with 400 / INVALID_ARGUMENT naming the limit,
 * and answers what stays within them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { DATATYPES } from '../../src/tensor/index.js';
import { connect, rawStrings, type InferenceClient } from '../grpc/grpc-client.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';

const LIMITS = { max_json_depth: 8, max_inputs: 13, max_string_bytes: 16 };
/** dtypes_identity's inputs: one per datatype but BF16. */
const TYPES = DATATYPES.filter((d) => d !== 'BF16');

/** V1 columnar body for dtypes_identity: every input one row of one element; `text` for in_bytes. */
function v1Columns(text: string): Record<string, unknown> {
  const value = (d: string) => (d === 'BYTES' ? text : d === 'BOOL' ? true : 1);
  return Object.fromEntries(TYPES.map((d) => [`in_${d.toLowerCase()}`, [[value(d)]]]));
}

async function post(server: RunningServer, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function grpcError(client: InferenceClient, request: object): Promise<ServiceError | undefined> {
  return client.call('ModelInfer', request).then(
    () => undefined,
    (e: ServiceError) => e,
  );
}

const fp32Input = (name: string) => ({
  name,
  datatype: 'FP32',
  shape: ['1', '64'],
  contents: { fp32_contents: new Array(64).fill(0.5) },
});

describe('input limits on the V1 and gRPC doors', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    repo = await tempRepository({
      dtypes: { onnx: 'dtypes_identity.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 4\n' } },
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
    });
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, limits: LIMITS },
    });
    grpc = connect(server.grpcUrl!);
  });

  after(async () => {
    grpc?.close();
    await server?.close();
    await repo?.cleanup();
  });

  it('V1: a body nested deeper than limits.max_json_depth is refused with 400 before parsing', async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 10; i++) nested = [nested];
    const r = await post(server, '/v1/models/digits:predict', { instances: nested });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /nests deeper than 8 levels \(limits\.max_json_depth\)/);
  });

  it('V1: a BYTES element longer than limits.max_string_bytes is refused with 400; one at the limit is answered', async () => {
    const long = await post(server, '/v1/models/dtypes:predict', { inputs: v1Columns('x'.repeat(17)) });
    assert.equal(long.status, 400, long.text);
    assert.match(
      long.text,
      /input 'in_bytes': element 0 is 17 bytes, above the limit of 16 \(limits\.max_string_bytes\)/,
    );
    const ok = await post(server, '/v1/models/dtypes:predict', { inputs: v1Columns('y'.repeat(16)) });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /"in_bytes"|"out_bytes"|yyyyyyyyyyyyyyyy/);
  });

  it('V1: an inputs object with more names than limits.max_inputs is refused with 400', async () => {
    const columns = { ...v1Columns('a'), extra: [[1]] };
    const r = await post(server, '/v1/models/dtypes:predict', { inputs: columns });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /14 inputs in 'inputs', above the limit of 13 \(limits\.max_inputs\)/);
  });

  it('gRPC: more inputs than limits.max_inputs answer INVALID_ARGUMENT before any is decoded', async () => {
    const inputs = Array.from({ length: 14 }, (_, i) => fp32Input(`x${i}`));
    const err = await grpcError(grpc, { model_name: 'digits', inputs });
    assert.ok(err, 'the request was answered');
    assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
    assert.match(err.details, /14 inputs, above the limit of 13 \(limits\.max_inputs\)/);
  });

  it('gRPC: BYTES elements longer than limits.max_string_bytes answer INVALID_ARGUMENT, typed or raw', async () => {
    const bytesInput = { name: 'in_bytes', datatype: 'BYTES', shape: ['1', '1'] };
    const typed = await grpcError(grpc, {
      model_name: 'dtypes',
      inputs: [{ ...bytesInput, contents: { bytes_contents: [Buffer.from('z'.repeat(17))] } }],
    });
    assert.equal(typed?.code, status.INVALID_ARGUMENT, typed?.details);
    assert.match(typed!.details, /element 0 is 17 bytes, above the limit of 16 \(limits\.max_string_bytes\)/);
    const raw = await grpcError(grpc, {
      model_name: 'dtypes',
      inputs: [bytesInput],
      raw_input_contents: [rawStrings(['z'.repeat(40)])],
    });
    assert.equal(raw?.code, status.INVALID_ARGUMENT, raw?.details);
    assert.match(raw!.details, /40 bytes, above the limit of 16/);
  });

  it('gRPC: a request within the limits is answered', async () => {
    const response = await grpc.call<{ outputs: unknown[] }>('ModelInfer', {
      model_name: 'digits',
      inputs: [fp32Input('input')],
    });
    assert.equal(response.outputs.length > 0, true);
  });
});
