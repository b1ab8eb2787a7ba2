/**
 * FP16 tensors reach onnxruntime and come back on every Node line. Where the engine has Float16Array (Node 24 and
 * later), onnxruntime-node 1.30 read every FP16 input as empty ("not enough space: expected 8, got 0") and
 * answered FP16 outputs as Float16Array views (src/runtimes/onnx/float16-bits.ts). scripts/node-lts-smoke.sh runs
 * this file on those lines too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  inferBody,
  outputNamed,
  postJson,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';

/** Every input of dtypes_identity.onnx (Identity per datatype), two values each. */
const INPUTS: Record<string, { datatype: string; data: unknown[] }> = {
  bool: { datatype: 'BOOL', data: [true, false] },
  int8: { datatype: 'INT8', data: [-128, 127] },
  int16: { datatype: 'INT16', data: [-32768, 32767] },
  int32: { datatype: 'INT32', data: [-2147483648, 2147483647] },
  int64: { datatype: 'INT64', data: [-1, 4294967296] },
  uint8: { datatype: 'UINT8', data: [0, 255] },
  uint16: { datatype: 'UINT16', data: [0, 65535] },
  uint32: { datatype: 'UINT32', data: [0, 4294967295] },
  uint64: { datatype: 'UINT64', data: [0, 4294967296] },
  fp16: { datatype: 'FP16', data: [0.5, 1.5] },
  fp32: { datatype: 'FP32', data: [1.5, -2] },
  fp64: { datatype: 'FP64', data: [0.1, Math.PI] },
  bytes: { datatype: 'BYTES', data: ['a', 'bc'] },
};

function request(fp16: number[]) {
  return {
    inputs: Object.entries(INPUTS).map(([t, v]) => {
      const data = t === 'fp16' ? fp16 : v.data;
      return { name: `in_${t}`, datatype: v.datatype, shape: [1, data.length], data };
    }),
  };
}

describe(`FP16 through onnxruntime on Node ${process.version}`, () => {
  let repo: TempRepository;
  let server: RunningServer;

  before(async () => {
    repo = await tempRepository({ dtypes: { onnx: 'dtypes_identity.onnx' } });
    server = await startTestServer({ repository: repo.dir });
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  it('answers FP16 values exactly, the extremes and subnormals included', async () => {
    const fp16 = [0.5, -2, 65504, -65504, 2 ** -14, 2 ** -24, -0.333251953125, 0];
    const body = inferBody(await postJson(`${server.url}/v2/models/dtypes/infer`, request(fp16)));
    const out = outputNamed(body, 'out_fp16');
    assert.deepEqual([out.datatype, out.shape, out.data], ['FP16', [1, fp16.length], fp16]);
    assert.deepEqual(outputNamed(body, 'out_fp32').data, INPUTS.fp32.data, 'the other inputs go with it');
  });

  it('answers FP16 as raw little-endian bit patterns with the binary extension', async () => {
    const res = await fetch(`${server.url}/v2/models/dtypes/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...request([1, -0.5]),
        outputs: [{ name: 'out_fp16', parameters: { binary_data: true } }],
      }),
    });
    assert.equal(res.status, 200);
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const raw = Buffer.from(await res.arrayBuffer()).subarray(headerLength);
    // 1.0 is 0x3c00 and -0.5 is 0xb800 in IEEE 754 half precision.
    assert.deepEqual([...raw], [0x00, 0x3c, 0x00, 0xb8]);
  });
});
