import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';

const reference = JSON.parse(readFileSync('test/fixtures/reference/digits.json', 'utf8')) as {
  inputs: number[][];
  logits: number[][];
  labels: number[];
};

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function binaryBody(header: unknown, ...chunks: Uint8Array[]): { body: Buffer; headerLength: number } {
  const head = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([head, ...chunks]), headerLength: head.length };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function post(model: string, body: Buffer | string, headerLength?: number) {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (headerLength !== undefined) headers['inference-header-content-length'] = String(headerLength);
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

test('binary inputs and binary outputs round-trip the reference digits', async () => {
  const rows = reference.inputs.length;
  const x = new Float32Array(reference.inputs.flat());
  const { body, headerLength } = binaryBody(
    {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64], parameters: { binary_data_size: x.byteLength } }],
      parameters: { binary_data_output: true },
    },
    bytesOf(x),
  );
  const res = await post('digits', body, headerLength);
  assert.equal(res.status, 200, res.bytes.toString());
  const jsonLength = Number(res.headers.get('inference-header-content-length'));
  const header = JSON.parse(res.bytes.subarray(0, jsonLength).toString()) as {
    outputs: Array<{ name: string; shape: number[]; parameters: { binary_data_size: number }; data?: unknown }>;
  };
  const [logits, label] = header.outputs;
  assert.equal(logits.data, undefined);
  assert.equal(logits.parameters.binary_data_size, rows * 10 * 4);
  assert.equal(label.parameters.binary_data_size, rows * 8);
  const rest = res.bytes.subarray(jsonLength);
  const logitValues = new Float32Array(rest.buffer.slice(rest.byteOffset, rest.byteOffset + rows * 40));
  const labelValues = new BigInt64Array(rest.buffer.slice(rest.byteOffset + rows * 40, rest.byteOffset + rows * 48));
  reference.logits.flat().forEach((v, i) => assert.ok(Math.abs(logitValues[i] - v) < 1e-4, `logit ${i}`));
  assert.deepEqual(Array.from(labelValues, Number), reference.labels);
});

test('binary input with JSON output, and one output chosen as binary', async () => {
  const x = new Float32Array(reference.inputs[0]);
  const { body, headerLength } = binaryBody(
    {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: 256 } }],
      outputs: [{ name: 'label' }, { name: 'logits', parameters: { binary_data: true } }],
    },
    bytesOf(x),
  );
  const res = await post('digits', body, headerLength);
  assert.equal(res.status, 200);
  const jsonLength = Number(res.headers.get('inference-header-content-length'));
  const header = JSON.parse(res.bytes.subarray(0, jsonLength).toString()) as {
    outputs: Array<{ name: string; data?: number[] }>;
  };
  assert.deepEqual(header.outputs[0], { name: 'label', datatype: 'INT64', shape: [1], data: [reference.labels[0]] });
  assert.equal(res.bytes.length - jsonLength, 40);
});

test('NaN travels as it is in binary data to a tree model', async () => {
  const cancer = JSON.parse(readFileSync('test/fixtures/xgboost/breast_cancer_binary/reference.json', 'utf8')) as {
    inputs: Array<Array<number | null>>;
    predictions: number[];
  };
  const row = 39; // all features missing
  const x = new Float32Array(cancer.inputs[row].map((v) => v ?? NaN));
  const { body, headerLength } = binaryBody(
    {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], parameters: { binary_data_size: x.byteLength } }],
      outputs: [{ name: 'probabilities' }],
    },
    bytesOf(x),
  );
  const res = await post('breast_cancer_xgb', body, headerLength);
  assert.equal(res.status, 200);
  const out = JSON.parse(res.bytes.toString()) as { outputs: Array<{ data: number[] }> };
  assert.ok(Math.abs(out.outputs[0].data[1] - cancer.predictions[row]) < 1e-6);
});

test('malformed binary requests are 400s that say what was wrong', async () => {
  const x = bytesOf(new Float32Array(64));
  const header = (size: number) => ({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: size } }],
  });
  const rows2 = {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64], parameters: { binary_data_size: 512 } }],
  };
  const cases: Array<[Buffer | string, number | undefined, RegExp]> = [
    [binaryBody(header(256), x).body, 100000, /Inference-Header-Content-Length is 100000, but the body has/],
    [
      binaryBody(rows2, x).body,
      binaryBody(rows2, x).headerLength,
      /binary_data_size is 512 but only 256 bytes of binary data remain/,
    ],
    [
      binaryBody(header(300), x).body,
      binaryBody(header(300), x).headerLength,
      /binary data holds 300 bytes, but FP32 shape \[1, 64\] needs 256/,
    ],
    [
      binaryBody(header(128), x).body,
      binaryBody(header(128), x).headerLength,
      /binary data holds 128 bytes, but FP32 shape \[1, 64\] needs 256/,
    ],
    [
      binaryBody(header(256), x, x).body,
      binaryBody(header(256), x).headerLength,
      /256 bytes of binary data follow the JSON header but no input claims them/,
    ],
    [JSON.stringify(header(256)), undefined, /binary_data_size\) needs the Inference-Header-Content-Length header/],
  ];
  for (const [body, headerLength, message] of cases) {
    const res = await post('digits', body, headerLength);
    assert.equal(res.status, 400, res.bytes.toString());
    assert.match((JSON.parse(res.bytes.toString()) as { error: string }).error, message);
  }
});
