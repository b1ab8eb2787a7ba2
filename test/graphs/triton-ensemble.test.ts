/**
 * A Triton model repository with an ensemble (test/fixtures/graphs/triton: scaler → classifier, config.pbtxt files
 * as Triton reads them, the ensemble's version folder empty) served unchanged. Requests are made as tritonclient
 * makes them: over HTTP, the binary tensor extension for inputs and outputs (InferInput.set_data_from_numpy with
 * binary_data=True, InferRequestedOutput with binary_data=True); over gRPC, raw_input_contents and
 * raw_output_contents. The ensemble answers what its two steps answer by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { asFloat32, connect, rawBytes, type InferenceClient, type InferResponse } from '../grpc/grpc-client.js';
import { assertClose, get, readJsonFixture, startTestServer } from '../helpers/server.js';

const { rows } = readJsonFixture<{ rows: number[][] }>('test/fixtures/graphs/rows.json');

describe('a Triton ensemble repository, unchanged', () => {
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    server = await startTestServer({ repository: 'test/fixtures/graphs/triton', strictReadiness: true });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
  });

  /** tritonclient.http's infer(): a JSON header, then the FP32 input's bytes; outputs asked for as binary. */
  async function httpInfer(model: string, input: string, values: Float32Array, output: string) {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: input,
            shape: [values.length / 30, 30],
            datatype: 'FP32',
            parameters: { binary_data_size: values.byteLength },
          },
        ],
        outputs: [{ name: output, parameters: { binary_data: true } }],
      }),
    );
    const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
      body: Buffer.concat([header, rawBytes(values)]),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, bytes.toString());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const answer = JSON.parse(bytes.subarray(0, jsonLength).toString()) as {
      model_name: string;
      outputs: Array<{ name: string; shape: number[]; parameters: { binary_data_size: number } }>;
    };
    assert.deepEqual(
      answer.outputs.map((o) => o.name),
      [output],
    );
    return { answer, values: asFloat32(bytes.subarray(jsonLength)) };
  }

  it('answers over HTTP (binary tensors) what scaler then classifier answer by hand', async () => {
    const raw = Float32Array.from(rows.flat());
    const scaled = await httpInfer('scaler', 'raw', raw, 'scaled');
    const byHand = await httpInfer('classifier', 'features', Float32Array.from(scaled.values), 'probabilities');
    const ensemble = await httpInfer('bc_ensemble', 'RAW', raw, 'PROBABILITIES');
    assert.equal(ensemble.answer.model_name, 'bc_ensemble');
    assert.deepEqual(ensemble.answer.outputs[0].shape, [rows.length, 2]);
    assertClose(ensemble.values, byHand.values, 1e-6, 'PROBABILITIES');
  });

  it('answers over gRPC (raw contents) what the steps answer by hand', async () => {
    const infer = (model: string, input: string, values: Float32Array, output: string) =>
      grpc.call<InferResponse>('ModelInfer', {
        model_name: model,
        inputs: [{ name: input, datatype: 'FP32', shape: [values.length / 30, 30] }],
        outputs: [{ name: output }],
        raw_input_contents: [rawBytes(values)],
      });
    const raw = Float32Array.from(rows.flat());
    const scaled = await infer('scaler', 'raw', raw, 'scaled');
    const byHand = await infer(
      'classifier',
      'features',
      Float32Array.from(asFloat32(scaled.raw_output_contents[0])),
      'probabilities',
    );
    const ensemble = await infer('bc_ensemble', 'RAW', raw, 'PROBABILITIES');
    assert.deepEqual(ensemble.outputs[0].shape.map(Number), [rows.length, 2]);
    assertClose(
      asFloat32(ensemble.raw_output_contents[0]),
      asFloat32(byHand.raw_output_contents[0]),
      1e-6,
      'PROBABILITIES over gRPC',
    );
  });

  it("reports the ensemble's metadata and config as Triton does", async () => {
    const meta = (await get(`${server.url}/v2/models/bc_ensemble`)).json as Record<string, unknown>;
    assert.equal(meta.platform, 'ensemble');
    assert.deepEqual(meta.inputs, [{ name: 'RAW', datatype: 'FP32', shape: [-1, 30] }]);
    const config = (await get(`${server.url}/v2/models/bc_ensemble/config`)).json as Record<string, unknown>;
    assert.equal(config.max_batch_size, 32);
    assert.deepEqual(config.ensemble_scheduling, {
      step: [
        {
          model_name: 'scaler',
          model_version: -1,
          input_map: { raw: 'RAW' },
          output_map: { scaled: 'scaled_features' },
        },
        {
          model_name: 'classifier',
          model_version: -1,
          input_map: { features: 'scaled_features' },
          output_map: { probabilities: 'PROBABILITIES' },
        },
      ],
    });
    const grpcMeta = await grpc.call<{ platform: string }>('ModelMetadata', { name: 'bc_ensemble' });
    assert.equal(grpcMeta.platform, 'ensemble');
  });
});
