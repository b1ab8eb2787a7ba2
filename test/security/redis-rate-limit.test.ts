/**
 * Rate limits shared in Redis (the machine's, 127.0.0.1:6379, under a key prefix of this run's own, deleted after):
 * two servers with the same prefix draw on one bucket per key and one per model, so together they admit what one
 * bucket holds, and refuse the rest with 429 and Retry-After, counted by key class.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { deleteKeys, uniqueNamespace } from '../features/redis-target.js';
import {
  metricValue,
  RATE_KEYS,
  SHARED_REDIS_URL,
  sharedRedisSkip,
  startRateServer,
  type RateServer,
} from './rate-servers.js';

const skip = await sharedRedisSkip();

/** Slow refill (one token per 1000 s), so what a run admits is the burst and nothing more, however slow the machine. */
const KEY_LIMIT = { requests_per_second: 0.001, burst: 4 };
const MODEL_LIMIT = { requests_per_second: 0.001, burst: 8 };

describe('rate limits shared in Redis by two servers', { skip }, () => {
  const prefix = uniqueNamespace('prefix') + 'rl:';
  let a: RateServer;
  let b: RateServer;

  before(async () => {
    // Redis always decides here: a command that timed out on a busy machine would let a request through (on_unavailable: open).
    const options = {
      redisUrl: SHARED_REDIS_URL,
      keyPrefix: prefix,
      keyLimit: KEY_LIMIT,
      modelLimit: MODEL_LIMIT,
      commandTimeoutMs: 30_000,
    };
    a = await startRateServer(options);
    b = await startRateServer(options);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteKeys(`${prefix}*`);
  });

  /** Sends `n` requests with `key`, alternating between the servers; admitted and refused counts per server. */
  async function alternate(key: string, n: number) {
    const admitted = { a: 0, b: 0 };
    const refused: Array<{ retryAfter: string | null; text: string }> = [];
    for (let i = 0; i < n; i++) {
      const [name, s] = i % 2 === 0 ? (['a', a] as const) : (['b', b] as const);
      const r = await s.infer(key);
      if (r.status === 200) admitted[name]++;
      else if (r.status === 429) refused.push(r);
      else assert.fail(`unexpected status ${r.status}: ${r.text}`);
    }
    return { admitted, refused };
  }

  it("a key's limit: both servers together admit the key's burst, then 429 with Retry-After", async () => {
    const { admitted, refused } = await alternate(RATE_KEYS.limited, 10);
    // One bucket of 4 between them; with a bucket each they would admit 8.
    assert.deepEqual(admitted, { a: 2, b: 2 });
    assert.equal(refused.length, 6);
    // An empty bucket refilling at 0.001/s has its next token in 1000 s, less the time the run took.
    for (const r of refused) {
      assert.match(r.text, /rate limit of 'limited' exceeded \(0\.001 requests\/s, burst 4\)/);
      const wait = Number(r.retryAfter);
      assert.ok(wait >= 900 && wait <= 1000, `Retry-After ${r.retryAfter}: expected about the 1000 s a token takes`);
    }
    const counted =
      metricValue(await a.metrics(), 'inferd_rate_limited_total{key_class="limited",limit="key"}') +
      metricValue(await b.metrics(), 'inferd_rate_limited_total{key_class="limited",limit="key"}');
    assert.equal(counted, 6);
  });

  it("a model's limit is shared too: the model's burst of 8, 4 of them used above, leaves 4 for any caller", async () => {
    const { admitted, refused } = await alternate(RATE_KEYS.web, 10);
    assert.deepEqual(admitted, { a: 2, b: 2 });
    assert.equal(refused.length, 6);
    assert.match(refused[0].text, /rate limit of model 'digits' exceeded/);
  });

  it('buckets live under the prefix, named by key name and model, never by the raw key', async () => {
    const client = new Redis(SHARED_REDIS_URL);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
      keys.sort();
      assert.deepEqual(keys, [`${prefix}key:limited`, `${prefix}model:digits`]);
      const ttl = await client.pttl(`${prefix}key:limited`);
      assert.ok(
        ttl > 0 && ttl <= 4_001_000,
        `bucket TTL ${ttl} ms: expected at most the time to refill (4000 s) plus 1 s`,
      );
    } finally {
      client.disconnect();
    }
    const text = (await a.metrics()) + (await b.metrics());
    assert.doesNotMatch(text, new RegExp(RATE_KEYS.limited));
    assert.equal(metricValue(text, 'inferd_rate_store_up'), 1);
  });
});
