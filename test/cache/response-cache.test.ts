/**
 * The exact response cache over a started server: hits and misses in the answer's parameters, in the statistics
 * endpoint and in /metrics; what the key covers (inputs, requested outputs and their parameters) and what it
 * leaves out (priority); the shared tier in Redis between two servers, and never across version loads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { postJson, startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { deleteKeys, redisSkip, REDIS_URL, uniqueNamespace } from '../features/redis-target.js';

const DIGITS = 'models/digits/1/model.onnx';

function body(value: number, extra: Record<string, unknown> = {}) {
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(value) }], ...extra };
}

interface Answer {
  model_version: string;
  outputs: Array<{ name: string; data: number[] }>;
  parameters?: Record<string, unknown>;
}

async function infer(server: RunningServer, b: unknown, model = 'digits'): Promise<Answer> {
  const r = await postJson(`${server.url}/v2/models/${model}/infer`, b);
  assert.equal(r.status, 200, r.text);
  return r.json as Answer;
}

async function cacheStats(server: RunningServer, model = 'digits') {
  const r = await fetch(`${server.url}/v2/models/${model}/stats`);
  const json = (await r.json()) as { model_stats: Array<{ version: string; response_cache?: Record<string, number> }> };
  return json.model_stats[0]?.response_cache;
}

describe('response cache', () => {
  let repo: TempRepository;
  let server: RunningServer;
  before(async () => {
    repo = await tempRepository({
      digits: { onnx: DIGITS, config: { file: 'config.yaml', text: 'cache: { bypass: never, ttl_ms: 600000 }\n' } },
      plain: { onnx: DIGITS },
    });
    server = await startTestServer({ repository: repo.dir });
  });
  after(async () => {
    await server.close();
    await repo.cleanup();
  });

  test('a repeated request is a hit with the same outputs; the answer, statistics and metrics say so', async () => {
    const first = await infer(server, body(1));
    assert.equal(first.parameters?.cache, 'miss');
    const second = await infer(server, body(1));
    assert.equal(second.parameters?.cache, 'hit');
    assert.deepEqual(second.outputs, first.outputs);
    assert.equal(second.model_version, first.model_version);
    const stats = await cacheStats(server);
    assert.ok(stats, 'the statistics endpoint reports the cache');
    assert.ok(stats.hits >= 1 && stats.misses >= 1 && stats.entries >= 1 && stats.bytes > 0);
    const metrics = await (await fetch(server.metricsUrl!)).text();
    assert.match(metrics, /inferd_response_cache_requests_total\{model="digits",version="1",result="hit"\} [1-9]/);
    assert.match(metrics, /inferd_response_cache_bytes\{model="digits",version="1"\} [1-9]/);
  });

  test('the key covers inputs, requested outputs and their parameters, not the priority', async () => {
    await infer(server, body(2));
    assert.equal((await infer(server, body(3))).parameters?.cache, 'miss', 'other inputs');
    assert.equal((await infer(server, body(2, { parameters: { priority: 1 } }))).parameters?.cache, 'hit');
    const top2 = { outputs: [{ name: 'logits', parameters: { classification: 2 } }] };
    const classified = await infer(server, body(2, top2));
    assert.equal(classified.parameters?.cache, 'miss', 'classification changes the answer');
    assert.equal((await infer(server, body(2, top2))).parameters?.cache, 'hit');
    const top3 = { outputs: [{ name: 'logits', parameters: { classification: 3 } }] };
    assert.equal((await infer(server, body(2, top3))).parameters?.cache, 'miss');
  });

  test('a model without cache: answers carry no cache parameter and report no cache', async () => {
    const answer = await infer(server, body(1), 'plain');
    assert.equal(answer.parameters?.cache, undefined);
    assert.equal(await cacheStats(server, 'plain'), undefined);
  });
});

describe('response cache: shared tier in Redis', async () => {
  const skip = await redisSkip();
  test('a second replica is answered from Redis; another version load never is', { skip }, async () => {
    const prefix = uniqueNamespace('prefix');
    const config = `cache: { bypass: never, redis: { url: '${REDIS_URL}', key_prefix: '${prefix}' } }\n`;
    const repo = await tempRepository({ digits: { onnx: DIGITS, config: { file: 'config.yaml', text: config } } });
    const a = await startTestServer({ repository: repo.dir });
    const b = await startTestServer({ repository: repo.dir });
    const other = await tempRepository({
      digits: { onnx: 'models/mlp_heavy/1/model.onnx', config: { file: 'config.yaml', text: config } },
    });
    const c = await startTestServer({ repository: other.dir });
    try {
      const computed = await infer(a, body(5));
      assert.equal(computed.parameters?.cache, 'miss');
      // The write to Redis is not awaited by the request: wait until the second replica finds it.
      let shared: Answer | undefined;
      for (let i = 0; i < 500 && shared?.parameters?.cache !== 'hit'; i++) {
        shared = await infer(b, body(5, { parameters: { probe: i } }));
        shared = await infer(b, body(5));
      }
      assert.equal(shared?.parameters?.cache, 'hit');
      assert.deepEqual(shared?.outputs, computed.outputs);
      assert.ok(((await cacheStats(b))?.shared_hits ?? 0) >= 1);
      const elsewhere = await infer(c, body(5));
      assert.equal(elsewhere.parameters?.cache, 'miss', 'other files, other load: its own keys');
      assert.notDeepEqual(elsewhere.outputs, computed.outputs);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
      await Promise.all([repo.cleanup(), other.cleanup()]);
      await deleteKeys(`${prefix}*`);
    }
  });
});
