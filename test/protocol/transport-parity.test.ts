import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { asFloat32, connect, rawBytes, rawOutput, type InferResponse } from '../grpc/grpc-client.js';
import { startTestServer } from '../helpers/server.js';

const reference = JSON.parse(readFileSync('test/fixtures/reference/digits.json', 'utf8')) as { inputs: number[][] };

test('the same request gives bit-identical answers over JSON, binary HTTP and gRPC', async () => {
  const server = await startTestServer();
  const client = connect(server.grpcUrl!);
  try {
    for (const model of ['digits', 'mlp_heavy']) {
      const rows = reference.inputs.slice(0, 8);
      const x = new Float32Array(rows.flat());
      const url = `${server.url}/v2/models/${model}/infer`;

      const json = (await (
        await fetch(url, {
          method: 'POST',
          body: JSON.stringify({
            inputs: [{ name: 'input', datatype: 'FP32', shape: [8, 64], data: rows }],
            outputs: [{ name: 'logits' }],
          }),
        })
      ).json()) as { outputs: Array<{ data: number[] }> };
      const viaJson = new Float32Array(json.outputs[0].data);

      const header = Buffer.from(
        JSON.stringify({
          inputs: [{ name: 'input', datatype: 'FP32', shape: [8, 64], parameters: { binary_data_size: x.byteLength } }],
          outputs: [{ name: 'logits', parameters: { binary_data: true } }],
        }),
      );
      const res = await fetch(url, {
        method: 'POST',
        body: Buffer.concat([header, rawBytes(x)]),
        headers: { 'inference-header-content-length': String(header.length) },
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const viaBinary = new Float32Array(
        asFloat32(bytes.subarray(Number(res.headers.get('inference-header-content-length')))),
      );

      const grpc = await client.call<InferResponse>('ModelInfer', {
        model_name: model,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [8, 64] }],
        outputs: [{ name: 'logits' }],
        raw_input_contents: [rawBytes(x)],
      });
      const viaGrpc = new Float32Array(asFloat32(rawOutput(grpc, 'logits').raw));

      assert.equal(viaJson.length, 80);
      assert.deepEqual(viaBinary, viaJson, `${model}: binary HTTP equals JSON`);
      assert.deepEqual(viaGrpc, viaJson, `${model}: gRPC equals JSON`);
    }
  } finally {
    client.close();
    await server.close();
  }
});
