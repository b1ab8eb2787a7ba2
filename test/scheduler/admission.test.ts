import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inferd, resolveServerConfig, startServer, type InferenceRequest } from '../../src/index.js';
import { makeRepository } from './temp-repository.js';

// slow_sum takes several milliseconds per call, so a queue builds behind a running request.
const SLOW = 'test/fixtures/models/slow_sum.onnx';

let inferd: Inferd;
let repo: ReturnType<typeof makeRepository>;

before(async () => {
  repo = makeRepository({
    small_queue: { onnx: SLOW, configYaml: 'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  max_queue_size: 2\n' },
    timeouts: { onnx: SLOW, configYaml: 'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  default_timeout_microseconds: 0\n  max_timeout_microseconds: 1000000\n' },
    priorities: { onnx: SLOW, configYaml: 'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  priority_levels: 2\n  default_priority_level: 2\n' },
  });
  inferd = await Inferd.create({ modelRepository: repo.dir });
});

after(async () => {
  await inferd.stop();
  repo.remove();
});

function request(model: string, parameters?: Record<string, unknown>): InferenceRequest {
  return { model, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Float32Array(256).fill(0.01) }], parameters };
}

test('beyond max_queue_size requests are refused at once with UNAVAILABLE', async () => {
  const first = inferd.infer(request('small_queue'));
  await sleep(3); // first is executing now; the queue is empty
  const started = performance.now();
  const rest = Array.from({ length: 5 }, () => inferd.infer(request('small_queue')).then(() => 'ok', (e: Error & { code?: string }) => ({ code: e.code, message: e.message, ms: performance.now() - started })));
  const results = await Promise.all(rest);
  await first;
  const refused = results.filter((r) => r !== 'ok') as Array<{ code: string; message: string; ms: number }>;
  assert.equal(results.filter((r) => r === 'ok').length, 2, 'two fit in the queue');
  assert.equal(refused.length, 3);
  for (const r of refused) {
    assert.equal(r.code, 'UNAVAILABLE');
    assert.match(r.message, /overloaded: 2 requests are already queued \(max_queue_size 2\); retry later/);
  }
});

test('a request that waits past its timeout is rejected without running', async () => {
  const before = inferd.service.statistics('timeouts')[0].inferenceCount;
  const running = inferd.infer(request('timeouts'));
  await sleep(1);
  const late = inferd.infer(request('timeouts', { timeout: 1000 }));
  await assert.rejects(late, (e: Error & { code?: string }) => e.code === 'DEADLINE_EXCEEDED' && /past its timeout; it was not run/.test(e.message));
  await running;
  await sleep(20);
  const stats = inferd.service.statistics('timeouts')[0];
  assert.equal(stats.inferenceCount - before, 1, 'only the first request ran');
  assert.ok(stats.timedOut >= 1);
});

test('a timeout above the model maximum is a client error', async () => {
  await assert.rejects(inferd.infer(request('timeouts', { timeout: 2_000_000 })), /timeout 2000000 µs exceeds model 'timeouts''s maximum of 1000000 µs/);
  await assert.rejects(inferd.infer(request('timeouts', { timeout: -1 })), /parameter 'timeout' must be a non-negative integer/);
});

test('higher priority requests are dequeued first', async () => {
  const order: string[] = [];
  const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
  const blocker = track('blocker', inferd.infer(request('priorities')));
  await sleep(2);
  const low = [1, 2, 3].map((i) => track(`low${i}`, inferd.infer(request('priorities'))));
  await sleep(1);
  const high = track('high', inferd.infer(request('priorities', { priority: 1 })));
  await Promise.all([blocker, ...low, high]);
  assert.deepEqual(order, ['blocker', 'high', 'low1', 'low2', 'low3']);
  await assert.rejects(inferd.infer(request('priorities', { priority: 3 })), /priority 3 is out of range: model 'priorities' has priority levels 1 to 2/);
});

test('over HTTP, a full queue answers 503 with Retry-After', async () => {
  const server = await startServer(resolveServerConfig({ model_repository: repo.dir, http_port: 0, log_level: 'silent' }));
  try {
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(0.01) }] });
    const post = () => fetch(`${server.url}/v2/models/small_queue/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const responses = await Promise.all(Array.from({ length: 8 }, post));
    const refused = responses.filter((r) => r.status === 503);
    assert.ok(refused.length >= 1, 'some requests were refused');
    assert.equal(refused[0].headers.get('retry-after'), '1');
    assert.match(((await refused[0].json()) as { error: string }).error, /max_queue_size 2/);
    assert.ok(responses.every((r) => r.status === 200 || r.status === 503));
  } finally {
    await server.close();
  }
});
