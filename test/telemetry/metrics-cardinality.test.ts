/**
 * A caller cannot grow /metrics by naming models: requests to made-up names (404 over HTTP V2 and V1, NOT_FOUND over
 * gRPC, and every other endpoint that takes a model name) are counted under `_unknown` and make no series of their
 * own; a version that does not exist makes none either. The series of a model that is unloaded go away, so load and
 * unload cycles do not pile up. With the in-memory rate store, inferd_rate_store_up reads 1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { ROOT, startTestServer } from '../helpers/server.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { sampleOf } from './log-capture.js';

const FLOOD = 2000;
const DIGITS = readFileSync(join(ROOT, 'examples', 'digits-request.json'), 'utf8');
const BREAST_CANCER = readFileSync(join(ROOT, 'examples', 'breast-cancer-request.json'), 'utf8');

let server: RunningServer;
let grpc: InferenceClient;

before(async () => {
  server = await startTestServer({ config: { model_control_mode: 'explicit', load_models: ['digits'], grpc_port: 0 } });
  grpc = connect(server.grpcUrl!);
});

after(async () => {
  grpc.close();
  await server.close();
});

const scrape = async () => (await fetch(server.metricsUrl!)).text();
const post = async (path: string, body: string) => {
  const r = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await r.arrayBuffer();
  return r.status;
};
const getStatus = async (path: string) => {
  const r = await fetch(`${server.url}${path}`);
  await r.arrayBuffer();
  return r.status;
};
const grpcInfer = (model: string) => ({
  model_name: model,
  inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], contents: { fp32_contents: new Array(64).fill(0) } }],
});
const grpcCode = async (method: string, message: object) => {
  try {
    await grpc.call(method, message);
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
};

/** Sends one request naming `name` (and `version` of a loaded model) through every door that takes a model name. */
async function nameEverywhere(i: number, name: string): Promise<void> {
  const statuses = await Promise.all([
    post(`/v2/models/${name}/infer`, DIGITS),
    post(`/v2/models/${name}/versions/${i + 2}/infer`, DIGITS),
    post(`/v2/models/digits/versions/${i + 2}/infer`, DIGITS),
    post(`/v1/models/${name}:predict`, '{"instances": [[1]]}'),
    post(`/v1/models/digits/versions/${i + 2}:predict`, '{"instances": [[1]]}'),
    getStatus(`/v2/models/${name}`),
    getStatus(`/v2/models/${name}/ready`),
    getStatus(`/v2/models/${name}/config`),
    getStatus(`/v2/models/${name}/stats`),
    getStatus(`/v1/models/${name}`),
    getStatus(`/v1/models/${name}/slo`),
    getStatus(`/v1/models/${name}/quality`),
    getStatus(`/v1/models/${name}/traffic`),
  ]);
  for (const s of statuses) assert.ok(s >= 400 && s < 500, `a made-up name is refused with a 4xx, got ${s}`);
  const codes = await Promise.all([
    grpcCode('ModelInfer', grpcInfer(name)),
    grpcCode('ModelInfer', { ...grpcInfer('digits'), model_version: String(i + 2) }),
    grpcCode('ModelMetadata', { name }),
    grpcCode('ModelConfig', { name }),
    grpcCode('ModelStatistics', { name }),
  ]);
  for (const c of codes) assert.notEqual(c, 0, 'a made-up name is refused over gRPC');
}

test(`${FLOOD} requests to made-up model names over HTTP and gRPC leave /metrics without them and no bigger`, async () => {
  assert.equal(await post('/v2/models/digits/infer', DIGITS), 200);
  await nameEverywhere(0, 'made-up-warm'); // the _unknown series exist from here on
  const baseline = await scrape();
  const names = Array.from({ length: FLOOD }, (_, i) => `made-up-${i}`);
  const door = [
    (n: string) => post(`/v2/models/${n}/infer`, DIGITS),
    (n: string) => grpcCode('ModelInfer', grpcInfer(n)),
    (n: string) => post(`/v1/models/${n}:predict`, '{"instances": [[1]]}'),
    (n: string) => grpcCode('ModelInfer', grpcInfer(n)),
  ];
  for (let i = 0; i < names.length; i += 50) {
    // Each name once, through V2 infer, V1 predict or gRPC ModelInfer in turn; every 50th through every door.
    await Promise.all(names.slice(i, i + 50).map((n, j) => door[(i + j) % door.length](n)));
    await nameEverywhere(i + 1, names[i]);
  }
  const text = await scrape();
  assert.doesNotMatch(text, /made-up/, 'no series names a made-up model');
  assert.doesNotMatch(text, /version="(?!1")\d+"/, 'no series names a version that does not exist');
  // Counts grow by a few digits; a series per name would add over a kilobyte each.
  const grown = Buffer.byteLength(text) - Buffer.byteLength(baseline);
  assert.ok(grown < 4096, `/metrics grew by ${grown} bytes (from ${Buffer.byteLength(baseline)})`);
  const unknown = (protocol: string) =>
    sampleOf(text, 'inferd_requests_total', { model: '_unknown', version: '', protocol, outcome: 'client_error' }) ?? 0;
  assert.ok(unknown('http') + unknown('v1') >= FLOOD / 2, 'the HTTP requests are counted under _unknown');
  assert.ok(unknown('grpc') >= FLOOD / 2, 'the gRPC requests are counted under _unknown');
});

test('the series of an unloaded model go away', async () => {
  assert.equal(await post('/v2/repository/models/breast_cancer/load', '{}'), 200);
  assert.equal(await post('/v2/models/breast_cancer/infer', BREAST_CANCER), 200);
  const loaded = await scrape();
  assert.ok(
    sampleOf(loaded, 'inferd_requests_total', {
      model: 'breast_cancer',
      version: '1',
      protocol: 'http',
      outcome: 'success',
    }) === 1,
  );
  assert.match(loaded, /^inferd_stage_duration_seconds_count\{model="breast_cancer",version="1",stage="compute"\} 1$/m);
  assert.equal(await post('/v2/repository/models/breast_cancer/unload', '{}'), 200);
  const unloaded = await scrape();
  assert.doesNotMatch(unloaded, /model="breast_cancer",version="1"/, 'no series of the unloaded version is left');
  assert.match(unloaded, /model="digits",version="1"/, 'the loaded model keeps its series');
});

test('inferd_rate_store_up is 1 with the in-memory rate store', async () => {
  assert.match(await scrape(), /^inferd_rate_store_up 1$/m);
});
