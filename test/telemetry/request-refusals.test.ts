/**
 * Inference requests refused before the core ran them (authentication, scope, rate limit, a body or message that
 * could not be decoded) are counted in inferd_requests_total and logged, over HTTP and gRPC; a model name nobody
 * loaded never becomes a label.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';
import { UNKNOWN_MODEL } from '../../src/inference/inference-service.js';
import { connect, grpcError } from '../grpc/grpc-client.js';
import { DIGITS_REQUEST, keysFile, post } from '../security/security-helpers.js';
import { captureLog, sampleOf, type CapturedLog } from './log-capture.js';

const KEY = {
  web: 'web-key-0123456789',
  reader: 'reader-key-0123456789',
  limited: 'limited-key-0123456789',
  any: 'any-key-0123456789',
};
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

let dir: string;
let server: RunningServer;
let log: CapturedLog;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferd-refusals-'));
  await writeFile(
    join(dir, 'keys.yaml'),
    keysFile([
      { name: 'web', key: KEY.web, scopes: ['infer:digits'] },
      { name: 'reader', key: KEY.reader, scopes: ['metrics'] },
      { name: 'any', key: KEY.any, scopes: ['infer:*'] },
      // One request, then nothing for 1000 s: the second is refused whatever the machine's speed.
      { name: 'limited', key: KEY.limited, scopes: ['infer:digits'], rate: '{requests_per_second: 0.001, burst: 1}' },
    ]),
  );
  log = captureLog();
  server = await startTestServer({
    config: {
      model_control_mode: 'explicit',
      load_models: ['digits'],
      log_level: 'info',
      log_requests: 'all',
      auth: { enabled: true, api_keys_file: join(dir, 'keys.yaml') },
    },
    logger: log.logger,
  });
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const requestsTotal = async (labels: Record<string, string>) =>
  sampleOf(await (await fetch(server.metricsUrl!)).text(), 'inferd_requests_total', labels);
const requestLines = () => log.entries().filter((e) => e.msg === 'request' || e.msg === 'request failed');

test('HTTP: 401, 403, 429 and undecodable bodies are counted and logged, with the model only when it is loaded', async () => {
  const infer = (body: string, headers: Record<string, string>, model = 'digits') =>
    post(server.url, `/v2/models/${model}/infer`, body, headers);
  assert.equal((await infer(DIGITS_REQUEST, {})).status, 401);
  assert.equal((await infer(DIGITS_REQUEST, auth(KEY.reader))).status, 403);
  assert.equal((await infer(DIGITS_REQUEST, auth(KEY.limited))).status, 200);
  assert.equal((await infer(DIGITS_REQUEST, auth(KEY.limited))).status, 429);
  assert.equal((await infer('{"inputs": [', auth(KEY.web))).status, 400);
  const short = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: [1, 2, 3] }] });
  assert.equal((await infer(short, auth(KEY.web))).status, 400);
  // An unknown model with a body that does not parse: counted under a placeholder, not under the name it was sent.
  assert.equal((await infer('{"inputs": [', auth(KEY.any), 'no-such-model-4711')).status, 400);

  const http = { version: '', protocol: 'http' };
  assert.equal(await requestsTotal({ model: 'digits', ...http, outcome: 'unauthorized' }), 2);
  assert.equal(await requestsTotal({ model: 'digits', ...http, outcome: 'rate_limited' }), 1);
  assert.equal(await requestsTotal({ model: 'digits', ...http, outcome: 'client_error' }), 2);
  assert.equal(await requestsTotal({ model: 'digits', version: '1', protocol: 'http', outcome: 'success' }), 1);
  assert.equal(await requestsTotal({ model: '_unknown', ...http, outcome: 'client_error' }), 1);
  const metrics = await (await fetch(server.metricsUrl!)).text();
  assert.doesNotMatch(metrics, /no-such-model-4711/, 'a model name nobody loaded makes no series');

  const lines = requestLines().filter((e) => e.protocol === 'http');
  const byStatus = (s: string) => lines.filter((e) => e.status === s);
  assert.deepEqual(
    byStatus('unauthorized')
      .map((e) => e.code)
      .sort(),
    ['PERMISSION_DENIED', 'UNAUTHENTICATED'],
  );
  assert.equal(byStatus('rate_limited').length, 1);
  assert.equal(byStatus('rate_limited')[0].code, 'RATE_LIMITED');
  const decoding = byStatus('client_error').filter((e) => e.model === 'digits');
  assert.equal(decoding.length, 2);
  for (const e of decoding) assert.equal(e.code, 'INVALID_ARGUMENT');
  assert.ok(
    decoding.some((e) => /needs 64 elements but 'data' has 3/.test(String(e.error))),
    'the decoder message is logged',
  );
  for (const e of lines) assert.match(String(e.request_id), /.+/, 'every line has a request id');
});

test('gRPC: unauthenticated calls and undecodable messages are counted and logged', async () => {
  const anonymous = connect(server.grpcUrl!);
  const keyed = connect(server.grpcUrl!, {}, { 'x-api-key': KEY.web });
  try {
    const message = {
      model_name: 'digits',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], contents: { fp32_contents: [1, 2, 3] } }],
    };
    assert.equal((await grpcError(anonymous.call('ModelInfer', message))).code, status.UNAUTHENTICATED);
    assert.equal((await grpcError(keyed.call('ModelInfer', message))).code, status.INVALID_ARGUMENT);
    assert.equal(
      (await grpcError(keyed.call('ModelInfer', { model_name: 'digits', inputs: [] }))).code,
      status.INVALID_ARGUMENT,
    );
  } finally {
    anonymous.close();
    keyed.close();
  }
  const grpc = { model: 'digits', version: '', protocol: 'grpc' };
  // An unauthenticated caller's message is not read at all (its credentials are checked from the metadata first),
  // so the model it names is not known: the refusal counts under the unknown model.
  assert.equal(await requestsTotal({ ...grpc, model: UNKNOWN_MODEL, outcome: 'unauthorized' }), 1);
  assert.equal(await requestsTotal({ ...grpc, outcome: 'client_error' }), 2);
  const lines = requestLines().filter((e) => e.protocol === 'grpc');
  assert.deepEqual(lines.map((e) => e.status).sort(), ['client_error', 'client_error', 'unauthorized']);
});
