/**
 * The Open Inference Protocol (V2) REST endpoints against the example repository models/:
 * health, server and model metadata, inference against torch-computed references, config, repository index.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  assertClose,
  errorMessage,
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  startTestServer,
} from '../helpers/server.js';

interface DigitsReference {
  inputs: number[][];
  logits: number[][];
  labels: number[];
}

interface BreastCancerReference {
  inputs: number[][];
  probabilities: number[][];
}

interface ExampleRequest {
  id: string;
  inputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }>;
}

const digits = readJsonFixture<DigitsReference>('test/fixtures/reference/digits.json');
const breastCancer = readJsonFixture<BreastCancerReference>('test/fixtures/reference/breast_cancer.json');
const example = readJsonFixture<ExampleRequest>('examples/digits-request.json');
const packageVersion = readJsonFixture<{ version: string }>('package.json').version;

function digitsRequest(rows: number[][]) {
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: rows.flat() }] };
}

describe('V2 HTTP endpoints on models/', () => {
  let server: RunningServer;

  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    await server?.close();
  });

  it('answers liveness and readiness with 200 and an empty body', async () => {
    const live = await get(`${server.url}/v2/health/live`);
    assert.equal(live.status, 200);
    assert.equal(live.text, '');
    const ready = await get(`${server.url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.text, '');
  });

  it('GET /v2 returns server metadata', async () => {
    const r = await get(`${server.url}/v2`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    const body = r.json as { name: unknown; version: unknown; extensions: unknown };
    assert.equal(body.name, 'inferd');
    assert.equal(body.version, packageVersion);
    assert.ok(Array.isArray(body.extensions), 'extensions is an array');
    assert.ok((body.extensions as unknown[]).every((e) => typeof e === 'string'));
  });

  it('GET /v2/models/digits returns its metadata exactly', async () => {
    const r = await get(`${server.url}/v2/models/digits`);
    assert.equal(r.status, 200);
    const body = r.json as Record<string, unknown>;
    assert.equal(body.name, 'digits');
    assert.deepEqual(body.versions, ['1']);
    assert.equal(body.platform, 'onnxruntime_onnx');
    assert.deepEqual(body.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
    assert.deepEqual(body.outputs, [
      { name: 'logits', datatype: 'FP32', shape: [-1, 10] },
      { name: 'label', datatype: 'INT64', shape: [-1] },
    ]);
    const byVersion = await get(`${server.url}/v2/models/digits/versions/1`);
    assert.equal(byVersion.status, 200);
    assert.deepEqual(byVersion.json, r.json);
  });

  it('model readiness endpoints answer 200', async () => {
    assert.equal((await get(`${server.url}/v2/models/digits/ready`)).status, 200);
    assert.equal((await get(`${server.url}/v2/models/digits/versions/1/ready`)).status, 200);
    assert.equal((await get(`${server.url}/v2/models/breast_cancer/ready`)).status, 200);
  });

  it('every digits reference row, one request each, matches torch (logits within 1e-4, labels equal)', async () => {
    assert.equal(digits.inputs.length, 32);
    const responses = await Promise.all(
      digits.inputs.map((row) => postJson(`${server.url}/v2/models/digits/infer`, digitsRequest([row]))),
    );
    responses.forEach((r, i) => {
      const body = inferBody(r);
      assert.equal(body.model_name, 'digits');
      assert.equal(body.model_version, '1');
      const logits = outputNamed(body, 'logits');
      assert.equal(logits.datatype, 'FP32');
      assert.deepEqual(logits.shape, [1, 10]);
      assertClose(logits.data, digits.logits[i], 1e-4, `row ${i} logits`);
      const label = outputNamed(body, 'label');
      assert.equal(label.datatype, 'INT64');
      assert.deepEqual(label.shape, [1]);
      assert.deepEqual(label.data, [digits.labels[i]], `row ${i} label`);
    });
  });

  it('all 32 digits reference rows in one batch match torch', async () => {
    const body = inferBody(await postJson(`${server.url}/v2/models/digits/infer`, digitsRequest(digits.inputs)));
    const logits = outputNamed(body, 'logits');
    assert.deepEqual(logits.shape, [32, 10]);
    assertClose(logits.data, digits.logits.flat(), 1e-4, 'batched logits');
    const label = outputNamed(body, 'label');
    assert.deepEqual(label.shape, [32]);
    assert.deepEqual(label.data, digits.labels);
  });

  it('examples/digits-request.json answers label 2 and echoes the id', async () => {
    const body = inferBody(await postJson(`${server.url}/v2/models/digits/infer`, example));
    assert.equal(body.id, 'example-1');
    assert.deepEqual(outputNamed(body, 'label').data, [2]);
    assert.deepEqual(outputNamed(body, 'label').data, [digits.labels[0]]);
  });

  it('nested data ([[...64]]) answers the same as flat data', async () => {
    const rows = digits.inputs.slice(0, 3);
    const flat = inferBody(await postJson(`${server.url}/v2/models/digits/infer`, digitsRequest(rows)));
    const nested = inferBody(
      await postJson(`${server.url}/v2/models/digits/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 64], data: rows }],
      }),
    );
    assert.deepEqual(nested.outputs, flat.outputs);
    assert.deepEqual(outputNamed(nested, 'label').data, digits.labels.slice(0, 3));
  });

  it('the outputs selection returns only the named output', async () => {
    const onlyLabel = inferBody(
      await postJson(`${server.url}/v2/models/digits/infer`, {
        ...digitsRequest([digits.inputs[1]]),
        outputs: [{ name: 'label' }],
      }),
    );
    assert.deepEqual(
      onlyLabel.outputs.map((o) => o.name),
      ['label'],
    );
    assert.deepEqual(onlyLabel.outputs[0].data, [digits.labels[1]]);
    const onlyLogits = inferBody(
      await postJson(`${server.url}/v2/models/digits/infer`, {
        ...digitsRequest([digits.inputs[1]]),
        outputs: [{ name: 'logits' }],
      }),
    );
    assert.deepEqual(
      onlyLogits.outputs.map((o) => o.name),
      ['logits'],
    );
    assertClose(onlyLogits.outputs[0].data, digits.logits[1], 1e-4, 'selected logits');
  });

  it('breast_cancer (Triton config.pbtxt) matches its torch reference within 1e-5', async () => {
    const meta = await get(`${server.url}/v2/models/breast_cancer`);
    assert.equal(meta.status, 200);
    assert.deepEqual((meta.json as Record<string, unknown>).inputs, [
      { name: 'input', datatype: 'FP32', shape: [-1, 30] },
    ]);
    assert.deepEqual((meta.json as Record<string, unknown>).outputs, [
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ]);
    const rows = breastCancer.inputs;
    const body = inferBody(
      await postJson(`${server.url}/v2/models/breast_cancer/infer`, {
        id: 'bc',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 30], data: rows.flat() }],
      }),
    );
    assert.equal(body.model_name, 'breast_cancer');
    assert.equal(body.id, 'bc');
    const probs = outputNamed(body, 'probabilities');
    assert.deepEqual(probs.shape, [rows.length, 2]);
    assertClose(probs.data, breastCancer.probabilities.flat(), 1e-5, 'probabilities');
  });

  it('POST /v2/models/digits/versions/1/infer answers from version 1', async () => {
    const body = inferBody(
      await postJson(`${server.url}/v2/models/digits/versions/1/infer`, digitsRequest([digits.inputs[4]])),
    );
    assert.equal(body.model_name, 'digits');
    assert.equal(body.model_version, '1');
    assert.deepEqual(outputNamed(body, 'label').data, [digits.labels[4]]);
    assertClose(outputNamed(body, 'logits').data, digits.logits[4], 1e-4, 'versioned logits');
  });

  it('GET /v2/models/digits/config returns the Triton-style completed config', async () => {
    const r = await get(`${server.url}/v2/models/digits/config`);
    assert.equal(r.status, 200);
    const c = r.json as Record<string, unknown>;
    assert.equal(c.name, 'digits');
    assert.equal(c.platform, 'onnxruntime_onnx');
    assert.equal(c.max_batch_size, 64);
    assert.deepEqual(c.input, [{ name: 'input', data_type: 'TYPE_FP32', dims: [64] }]);
    assert.deepEqual(c.output, [
      { name: 'logits', data_type: 'TYPE_FP32', dims: [10] },
      { name: 'label', data_type: 'TYPE_INT64', dims: [] },
    ]);
    const db = c.dynamic_batching as Record<string, unknown> | undefined;
    assert.ok(db, 'dynamic_batching is present');
    assert.equal(db.max_queue_delay_microseconds, 0);
    const byVersion = await get(`${server.url}/v2/models/digits/versions/1/config`);
    assert.equal(byVersion.status, 200);
    assert.deepEqual(byVersion.json, r.json);
  });

  it('POST /v2/repository/index lists the three example models READY (and nothing that is not READY)', async () => {
    const r = await postJson(`${server.url}/v2/repository/index`, {});
    assert.equal(r.status, 200);
    const entries = r.json as Array<{ name: string; version?: string; state: string; reason?: string }>;
    assert.ok(Array.isArray(entries), 'the index is an array');
    for (const name of ['breast_cancer', 'digits', 'mlp_heavy']) {
      assert.deepEqual(
        entries.filter((e) => e.name === name).map((e) => ({ name: e.name, version: e.version, state: e.state })),
        [{ name, version: '1', state: 'READY' }],
        `index entry of ${name}`,
      );
    }
    assert.deepEqual(
      entries.filter((e) => e.state !== 'READY'),
      [],
      'every model in models/ is READY',
    );
  });

  it('a client error on a known model does not affect the next request', async () => {
    const bad = await postJson(`${server.url}/v2/models/digits/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: [1] }],
    });
    assert.equal(bad.status, 400);
    assert.match(errorMessage(bad), /64/);
    const good = inferBody(await postJson(`${server.url}/v2/models/digits/infer`, digitsRequest([digits.inputs[0]])));
    assert.deepEqual(outputNamed(good, 'label').data, [digits.labels[0]]);
  });
});
