import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Inferd, type InferenceRequest } from '../../src/index.js';
import { makeRepository } from './temp-repository.js';
import { GIVE_UP_MS } from '../helpers/wait-for.js';
import { startTestServer } from '../helpers/server.js';

// slow_sum takes several milliseconds per call, so a queue builds behind a running request.
const SLOW = 'test/fixtures/models/slow_sum.onnx';

let inferd: Inferd;
let repo: ReturnType<typeof makeRepository>;

before(async () => {
  repo = makeRepository({
    small_queue: {
      onnx: SLOW,
      configYaml: 'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  max_queue_size: 2\n',
    },
    timeouts: {
      onnx: SLOW,
      configYaml:
        'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  default_timeout_microseconds: 0\n  max_timeout_microseconds: 1000000\n',
    },
    priorities: {
      onnx: SLOW,
      configYaml:
        'max_batch_size: 8\ndynamic_batching:\n  enabled: false\n  priority_levels: 2\n  default_priority_level: 2\n',
    },
  });
  inferd = await Inferd.create({ modelRepository: repo.dir });
});

after(async () => {
  await inferd.stop();
  repo.remove();
});

function request(model: string, parameters?: Record<string, unknown>): InferenceRequest {
  return {
    model,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Float32Array(256).fill(0.01) }],
    parameters,
  };
}

/**
 * Sends one request and resolves once it is executing with nothing queued behind it (a latch on the scheduler's
 * own counters, checked every event-loop turn), so the caller can queue requests behind it in the same turn: the
 * running request cannot finish before they are queued, however slow the machine. Should it finish before it
 * was seen running, another is sent.
 */
async function oneExecuting(model: string): Promise<{ running: Promise<unknown> }> {
  const giveUpAt = performance.now() + GIVE_UP_MS;
  while (performance.now() < giveUpAt) {
    let done = false;
    const running = inferd.infer(request(model)).finally(() => (done = true));
    while (!done) {
      const [s] = inferd.service.statistics(model);
      if (s.inFlight === 1 && s.queueDepth === 0) return { running };
      await new Promise((resolve) => setImmediate(resolve));
    }
    await running;
  }
  throw new Error(`never saw a request to '${model}' executing`);
}

test('beyond max_queue_size requests are refused at once with UNAVAILABLE', async () => {
  const first = await oneExecuting('small_queue'); // the queue is empty
  const rest = Array.from({ length: 5 }, () =>
    inferd.infer(request('small_queue')).then(
      () => 'ok',
      (e: Error & { code?: string }) => ({ code: e.code, message: e.message }),
    ),
  );
  const results = await Promise.all(rest);
  await first.running;
  const refused = results.filter((r) => r !== 'ok') as Array<{ code: string; message: string }>;
  assert.equal(results.filter((r) => r === 'ok').length, 2, 'two fit in the queue');
  assert.equal(refused.length, 3);
  for (const r of refused) {
    assert.equal(r.code, 'UNAVAILABLE');
    assert.match(r.message, /overloaded: 2 requests are already queued \(max_queue_size 2\); retry later/);
  }
});

test('a request that waits past its timeout is rejected without running', async () => {
  const before = inferd.service.statistics('timeouts')[0].inferenceCount;
  const { running } = await oneExecuting('timeouts');
  // Queued behind a running request with a timeout of 1 µs: it is past its timeout before it could start.
  const late = inferd.infer(request('timeouts', { timeout: 1 }));
  await assert.rejects(
    late,
    (e: Error & { code?: string }) =>
      e.code === 'DEADLINE_EXCEEDED' && /past its timeout; it was not run/.test(e.message),
  );
  await running;
  const stats = inferd.service.statistics('timeouts')[0];
  assert.equal(stats.inferenceCount - before, 1, 'only the first request ran');
  assert.ok(stats.timedOut >= 1);
});

test('a timeout above the model maximum is a client error', async () => {
  await assert.rejects(
    inferd.infer(request('timeouts', { timeout: 2_000_000 })),
    /timeout 2000000 µs exceeds model 'timeouts''s maximum of 1000000 µs/,
  );
  await assert.rejects(
    inferd.infer(request('timeouts', { timeout: -1 })),
    /parameter 'timeout' must be a non-negative integer/,
  );
});

test('higher priority requests are dequeued first', async () => {
  const order: string[] = [];
  const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
  const blocker = track('blocker', (await oneExecuting('priorities')).running);
  const low = [1, 2, 3].map((i) => track(`low${i}`, inferd.infer(request('priorities'))));
  const high = track('high', inferd.infer(request('priorities', { priority: 1 })));
  await Promise.all([blocker, ...low, high]);
  assert.deepEqual(order, ['blocker', 'high', 'low1', 'low2', 'low3']);
  await assert.rejects(
    inferd.infer(request('priorities', { priority: 3 })),
    /priority 3 is out of range: model 'priorities' has priority levels 1 to 2/,
  );
});

test('over HTTP, a full queue answers 503 with Retry-After', async () => {
  const server = await startTestServer({ repository: repo.dir });
  try {
    const body = JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(0.01) }],
    });
    const post = () =>
      fetch(`${server.url}/v2/models/small_queue/infer`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
    // Rounds of 8 at once until one round overflows the queue (on a busy machine the requests of a round may
    // arrive spread out, and a round may all fit): counted, not timed.
    let responses: Response[] = [];
    let refused: Response[] = [];
    for (let round = 0; refused.length === 0; round++) {
      assert.ok(round < 200, 'no request was ever refused: the queue limit is not enforced over HTTP');
      responses = await Promise.all(Array.from({ length: 8 }, post));
      refused = responses.filter((r) => r.status === 503);
    }
    assert.equal(refused[0].headers.get('retry-after'), '1');
    assert.match(((await refused[0].json()) as { error: string }).error, /max_queue_size 2/);
    assert.ok(responses.every((r) => r.status === 200 || r.status === 503));
  } finally {
    await server.close();
  }
});
